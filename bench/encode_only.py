"""The service with its search taken out: how far the 8-client ratio can go on this machine (issue 25).

`python -m bench.encode_only --index-dir DIR --port N` serves the app `rus serve` serves (one process, the UI
mounted when RUS_UI_ENABLED says so, uvloop and httptools, BLAS on the calling thread) plus one route,
`GET /bench/encode?q=…`, that does what a /v1/search request does up to its query vector (the query threads, the
question's dense text, the micro-batcher's encoder lanes) and answers `{"q": …}` instead of searching. 8 clients
against it give the most any search could reach on this machine with this serving path: the HTTP, the threads and
the encoder's lanes, with no search work at all (bench.ratios `throughput_ratio`, bench.suite).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fastapi import FastAPI

from bench.http import ENCODE_ROUTE
from service.api.app import create_app
from service.api.deps import CorpusDep, QueriesDep
from service.cli.serve import blas_on_calling_thread
from service.settings import Settings, get_settings
from service.state import Corpus


def encode(corpus: Corpus, query: str) -> dict[str, str]:
    """Embed the query as /v1/search embeds it (its dense text, through the service's micro-batcher); no search."""
    index = corpus.index
    index.query_vector(index.reader.dense_text(query, None))
    return {"q": query}


def encode_only_app(settings: Settings) -> FastAPI:
    """`rus serve`'s app for these settings with the encode-only route added."""
    app = create_app(settings)

    @app.get(ENCODE_ROUTE, include_in_schema=False)
    async def encode_route(q: str, corpus: CorpusDep, queries: QueriesDep) -> dict[str, str]:
        return await queries.run(encode, corpus, q)

    return app


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    app = encode_only_app(get_settings().model_copy(update={"index_dir": args.index_dir}))
    blas_on_calling_thread()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
