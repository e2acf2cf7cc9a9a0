"""`rus serve`: run the API with uvicorn."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from service.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.api.app import create_app

    updates = {"index_dir": args.index_dir, "host": args.host, "port": args.port}
    settings = args.settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and settings.ui_enabled:
        print(
            "error: the UI keeps its sessions in one process, so it is served by one worker: serve the API alone "
            "from several (RUS_UI_ENABLED=false) and the UI from another `rus serve`",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name, url in service_urls(settings).items():
        print(f"RUS Search {name:<5} {url}", flush=True)
    options = {"host": settings.host, "port": settings.port, "log_level": args.log_level,
               "access_log": not args.no_access_log}
    if args.workers > 1:
        share_with_workers(settings, args.workers)
        uvicorn.run(f"{__name__}:worker_app", factory=True, workers=args.workers, **options)
        return 0
    app = create_app(settings)
    blas_on_calling_thread()
    uvicorn.run(app, **options)
    return 0


def share_with_workers(settings: Settings, workers: int) -> None:
    """What each worker process reads when it starts: the index it serves (RUS_INDEX_DIR) and, unless set, its
    share of the cores for the encoder's OpenMP threads (OMP_NUM_THREADS)."""
    os.environ["RUS_INDEX_DIR"] = str(settings.index_dir)
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, len(os.sched_getaffinity(0)) // workers)))


def worker_app() -> FastAPI:
    """One worker's app (`rus serve --workers N`; uvicorn calls this in each worker process): settings from the
    environment, BLAS on the calling thread."""
    from service.api.app import create_app

    app = create_app()
    blas_on_calling_thread()
    return app


def blas_on_calling_thread() -> None:
    """Make numpy's and faiss's BLAS compute on the thread that calls it, for the rest of this process.

    The server answers requests side by side, one thread each, while the encoder's own threads use both cores.
    OpenBLAS would split each product over its own threads and then keep them spinning on a core for a while
    after every call: a search scoring the English side used two cores' CPU for one core's work, and 8 clients
    got 0.44–0.47× the encoder's batch throughput instead of 0.53–0.66× (docs/benchmarks.md, "Request profile").
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def service_urls(settings: Settings) -> dict[str, str]:
    """The addresses `rus serve` prints on start: the API, the UI (when mounted) and the OpenAPI docs."""
    host = settings.host if settings.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    base = f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"
    urls = {"API": base, "UI": base + settings.ui_prefix() + "/", "docs": base + "/docs"}
    if not settings.ui_enabled:
        urls.pop("UI")
    return urls


def add_serve_command(commands: argparse._SubParsersAction, settings: Settings) -> None:
    """Register `rus serve` on the CLI's subcommands (defaults from `settings`)."""
    serve = commands.add_parser("serve", help="run the HTTP API and the UI (uvicorn)")
    serve.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help=f"index directory (default {settings.index_dir}, env RUS_INDEX_DIR)",
    )
    serve.add_argument("--host", default=None, help=f"address to bind (default {settings.host}, env RUS_HOST)")
    serve.add_argument("--port", type=int, default=None, help=f"port (default {settings.port}, env RUS_PORT)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--no-access-log", action="store_true", help="do not log every request")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving the API, each with its own copy of the index and its share of the cores "
        "(default 1; more than one needs RUS_UI_ENABLED=false: the UI is served by one process)",
    )
    serve.set_defaults(func=cmd_serve)
