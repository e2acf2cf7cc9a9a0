"""`python -m ui [--index-dir DIR] [--host H] [--port P]`: the UI alone, without the HTTP API."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from service.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m ui", description="Run the RUS Search Gradio UI alone.")
    parser.add_argument("--index-dir", type=Path, default=None, help=f"index directory (default {settings.index_dir})")
    parser.add_argument("--host", default=None, help=f"address to bind (default {settings.host})")
    parser.add_argument("--port", type=int, default=None, help=f"port (default {settings.port})")
    args = parser.parse_args(argv)
    updates = {"index_dir": args.index_dir, "host": args.host, "port": args.port}
    settings = settings.model_copy(update={k: v for k, v in updates.items() if v is not None})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from ui.app import launch

    launch(settings, on_start=lambda url: print(f"RUS Search UI: {url}", flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
