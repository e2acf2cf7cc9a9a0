"""`rus translations status|export|import`: the documents' translation memories (index/translation_memory.py)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from index.store import load_build
from index.translation_memory import (
    MemoryStatus,
    TranslationMemoryError,
    export_template,
    import_translations,
    load_memories,
    memory_path,
    status,
)
from ingest.models import Chunk
from service.cli.options import index_dir_option
from service.settings import Settings


def _documents(index_dir: Path) -> tuple[dict[str, list[Chunk]], dict[str, dict]]:
    """The indexed chunks per document (document order) and the manifest's entry per document."""
    stored = load_build(index_dir, verify=False)
    chunks: dict[str, list[Chunk]] = {}
    for chunk in stored.chunks:
        chunks.setdefault(chunk.doc_id, []).append(chunk)
    return chunks, {entry["doc_id"]: entry for entry in stored.manifest.get("documents", [])}


def statuses(index_dir: Path, translations: Path) -> list[MemoryStatus]:
    """Per indexed document: its chunks and how many have a current, stale or no rendering in its memory."""
    chunks, entries = _documents(index_dir)
    memories = load_memories(translations, chunks)
    return [
        status(own, memories.get(doc_id), entries.get(doc_id, {}).get("title", doc_id),
               entries.get(doc_id, {}).get("kind"))
        for doc_id, own in chunks.items()
    ]


def cmd_status(args: argparse.Namespace) -> int:
    found = statuses(args.index_dir, args.translations_dir)
    if args.json:
        print(json.dumps({"documents": [asdict(s) for s in found]}, ensure_ascii=False, indent=2))
        return 0
    print(f"{'document':<32} {'kind':<9} {'chunks':>6} {'translated':>10} {'stale':>6} {'missing':>7}")
    for s in found:
        print(f"{s.doc_id:<32} {s.kind or '–':<9} {s.chunks:>6} {s.translated:>10} {s.stale:>6} {s.missing:>7}"
              f"  ({s.share:.0%})")
    return 0


def _document_chunks(args: argparse.Namespace) -> list[Chunk] | None:
    """The indexed chunks of args.doc_id, or None after saying on stderr that the index has no such document."""
    chunks, _ = _documents(args.index_dir)
    if args.doc_id not in chunks:
        print(f"error: no document {args.doc_id!r} in the index; see `rus docs list`", file=sys.stderr)
        return None
    return chunks[args.doc_id]


def cmd_export(args: argparse.Namespace) -> int:
    own = _document_chunks(args)
    if own is None:
        return 2
    memory = load_memories(args.translations_dir, [args.doc_id]).get(args.doc_id)
    count = export_template(own, memory, args.out)
    print(f"wrote {count} passage(s) of {args.doc_id} to translate (missing or stale) to {args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    own = _document_chunks(args)
    if own is None:
        return 2
    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    target = memory_path(args.translations_dir, args.doc_id)
    count, unmatched = import_translations(args.file, target, args.doc_id, own)
    left_out = (f"{unmatched} translated {'entry matches' if unmatched == 1 else 'entries match'} no passage of "
                f"{args.doc_id} "
                "(its Swedish text changed since the export, or they belong to another document)")
    if not count:
        reason = left_out if unmatched else "no translated (non-fuzzy) entries"
        print(f"error: nothing imported from {args.file}: {reason}; {target} is unchanged", file=sys.stderr)
        return 1
    print(f"imported {count} translated passage(s) into {target}; rebuild the index (`rus index build`) to use them")
    if unmatched:
        print(f"left out {left_out}")
    return 0


def _run(handler):
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except TranslationMemoryError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    return run


def add_translations_command(subparsers, settings: Settings) -> argparse.ArgumentParser:
    """Register `translations status|export|import` on the `rus` sub-command parser (defaults from `settings`)."""
    parser = subparsers.add_parser("translations", help="the English translation memory of each document")
    actions = parser.add_subparsers(dest="translations_action", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        index_dir_option(p, settings)
        p.add_argument("--translations-dir", type=Path, default=settings.translations_dir,
                       help=f"translation memories (default {settings.translations_dir}, env RUS_TRANSLATIONS_DIR)")

    show = actions.add_parser("status", help="per document: chunks, translated, stale and missing")
    show.add_argument("--json", action="store_true", help='print {"documents": [...]} as JSON')
    common(show)
    show.set_defaults(func=_run(cmd_status))
    export = actions.add_parser("export", help="write a PO file of the passages to translate, for a translator")
    export.add_argument("doc_id", metavar="DOC", help="a document id (see `rus docs list`)")
    export.add_argument("--out", type=Path, required=True, help="the PO file to write")
    common(export)
    export.set_defaults(func=_run(cmd_export))
    fold = actions.add_parser("import", help="fold a translated PO file into the document's memory")
    fold.add_argument("doc_id", metavar="DOC", help="a document id (see `rus docs list`)")
    fold.add_argument("file", type=Path, help="the translated PO file (from `export`)")
    common(fold)
    fold.set_defaults(func=_run(cmd_import))
    return parser
