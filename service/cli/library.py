"""`rus docs add|list|remove`: manage the document library (index/library.py) from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from index.library import KINDS, LibraryChange, add_documents, list_documents, remove_document
from ingest.limits import IngestLimits
from service.cli.options import index_dir_option
from service.limits import Limits
from service.settings import Settings


def _year(text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not a four-digit year")
    return int(text)


def _embedder(spec: str | None, settings: Settings):
    from index.embedders import get_embedder

    return get_embedder(spec or settings.embedder, settings.e5_engine)


def _limits(settings: Settings) -> IngestLimits:
    """The configured ingest limits (RUS_MAX_*), as `rus index build` uses them."""
    return Limits.from_settings(settings).ingest


def _print_change(verb: str, change: LibraryChange, index_dir: Path) -> None:
    report = change.build
    print(
        f"{verb} {', '.join(change.doc_ids)}: the index in {index_dir} now holds {report.n_documents} document(s), "
        f"{report.n_chunks} chunks ({report.embedded} texts embedded, {report.reused} reused)"
    )


def cmd_docs_add(args: argparse.Namespace) -> int:
    change = add_documents(
        args.index_dir, [Path(p) for p in args.paths], title=args.title, kind=args.kind, year=args.year,
        embedder=_embedder(args.embedder, args.settings), progress=not args.quiet, limits=_limits(args.settings),
    )
    _print_change("added", change, args.index_dir)
    return 0


def cmd_docs_list(args: argparse.Namespace) -> int:
    documents = list_documents(args.index_dir)
    if args.json:
        print(json.dumps(documents, ensure_ascii=False, indent=2))
        return 0
    for entry in documents:
        pages = f"{entry['n_pages']} p." if entry.get("n_pages") else "–"
        print(
            f"{entry['doc_id']:<28} {entry.get('kind') or '–':<9} {entry.get('year') or '–':<5} {pages:>7} "
            f"{entry.get('n_chunks', '–'):>5} chunks  {entry['title']}  [{entry.get('original_name') or '–'}]"
        )
    return 0


def cmd_docs_remove(args: argparse.Namespace) -> int:
    change = remove_document(
        args.index_dir, args.doc_id, embedder=_embedder(args.embedder, args.settings), limits=_limits(args.settings)
    )
    _print_change("removed", change, args.index_dir)
    return 0


def add_docs_command(subparsers, settings: Settings) -> argparse.ArgumentParser:
    """Register `docs add|list|remove` on the `rus` sub-command parser (defaults from `settings`)."""
    parser = subparsers.add_parser("docs", help="manage the document library (plans searched with the strategy)")
    actions = parser.add_subparsers(dest="docs_action", required=True)

    add = actions.add_parser("add", help="ingest documents and add them to the index")
    add.add_argument("paths", nargs="+", metavar="PATH", help="PDF, DOCX, HTML, MD or TXT files")
    add.add_argument("--title", help="the document's title (one PATH only; default: its metadata or first line)")
    add.add_argument("--kind", choices=KINDS, help="what the document is (default: strategi or plan by its shape)")
    add.add_argument("--year", type=_year, help="the year the document was adopted, e.g. 2023")
    add.add_argument("--embedder", default=None, help="embedder (must match the index; default as configured)")
    add.add_argument("--quiet", action="store_true", help="no progress bar")
    index_dir_option(add, settings)
    add.set_defaults(func=cmd_docs_add)

    listing = actions.add_parser("list", help="list the documents in the index")
    listing.add_argument("--json", action="store_true", help="print the metadata as JSON")
    index_dir_option(listing, settings)
    listing.set_defaults(func=cmd_docs_list)

    remove = actions.add_parser("remove", help="remove a document from the index")
    remove.add_argument("doc_id", metavar="DOC_ID", help="the document id (see `rus docs list`)")
    remove.add_argument("--embedder", default=None, help="embedder (must match the index; default as configured)")
    index_dir_option(remove, settings)
    remove.set_defaults(func=cmd_docs_remove)
    return parser
