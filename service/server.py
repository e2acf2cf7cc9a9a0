"""`rus serve`: run the API with uvicorn."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from service.settings import get_settings


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    updates = {"index_dir": args.index_dir, "host": args.host, "port": args.port}
    settings = get_settings().model_copy(update={k: v for k, v in updates.items() if v is not None})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )
    return 0


def add_serve_command(commands: argparse._SubParsersAction) -> None:
    """Register `rus serve` on the CLI's subcommands."""
    settings = get_settings()
    serve = commands.add_parser("serve", help="run the HTTP API (uvicorn)")
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
    serve.set_defaults(func=cmd_serve)
