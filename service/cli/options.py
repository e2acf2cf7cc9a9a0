"""Options several `rus` commands share, with their defaults from the settings the CLI read once."""

from __future__ import annotations

import argparse
from pathlib import Path

from service.settings import Settings


def index_dir_option(parser: argparse.ArgumentParser, settings: Settings) -> None:
    """`--index-dir DIR`, defaulting to settings.index_dir (env RUS_INDEX_DIR)."""
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=settings.index_dir,
        help=f"index directory (default {settings.index_dir}, env RUS_INDEX_DIR)",
    )
