"""`rus`: build the index, search it, and (via other modules) evaluate and serve."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from index.embedders import EmbedderError
from index.hits import Hit
from index.library import KINDS
from index.search import RETRIEVERS, SearchIndex
from index.store import IndexProblem
from ingest.chunking import ChunkingConfig
from ingest.formats import FORMATS_IN_WORDS
from service.cli.options import index_dir_option
from service.models import SearchHit
from service.settings import VERSION, Settings, get_settings
from service.texts import format_pages

REPORT_SUFFIXES = (".docx", ".md")  # what `rus align --out` writes


def _snippet(hit: Hit, width: int = 320) -> str:
    """The chunk around its best sentence, with that sentence marked »like this«."""
    text = hit.chunk.text
    if not hit.highlights:
        return text[:width]
    start, end = hit.highlights[0]
    marked = text[:start] + "»" + text[start:end] + "«" + text[end:]
    left = max(0, start - (width - (end - start)) // 2)
    piece = marked[left : left + max(width, end - start + 2)]
    return ("…" if left else "") + " ".join(piece.split()) + ("…" if left + width < len(marked) else "")


def cmd_index_build(args: argparse.Namespace) -> int:
    from index.build import build_index
    from index.embedders import get_embedder
    from service.limits import Limits

    settings = args.settings
    paths = [Path(p) for p in args.paths] or list(settings.corpus)
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    if args.chunk_size < 100 or not 0 <= args.chunk_overlap < args.chunk_size:
        print("error: --chunk-size must be at least 100 and --chunk-overlap between 0 and the size", file=sys.stderr)
        return 2
    chunking = ChunkingConfig(size=args.chunk_size, overlap=args.chunk_overlap)
    report = build_index(
        paths,
        args.index_dir,
        embedder=get_embedder(args.embedder, settings.e5_engine),
        chunking=chunking,
        progress=not args.quiet,
        limits=Limits.from_settings(settings).ingest,  # RUS_MAX_* (a rebuild from the API sets them too)
        keep_library=not args.drop_library,
        translations=settings.translations_dir,
    )
    for error in report.errors:
        print(f"skipped {error}", file=sys.stderr)
    for memory in report.incomplete_translations():
        print(
            f"warning: the English translation memory of {memory.doc_id} covers {memory.translated} of "
            f"{memory.chunks} passages ({memory.stale} stale, {memory.missing} missing); English readers see the "
            f"Swedish text there. `rus translations export {memory.doc_id} --out FILE` lists them for a translator",
            file=sys.stderr,
        )
    if report.kept:
        print(f"kept {len(report.kept)} document(s) added to the library: {', '.join(report.kept)}")
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
    phrased = (
        f"; everyday phrasings for {report.phrased} of them ({report.phrasings_embedded} embedded)"
        if report.phrased else ""
    )
    print(
        f"indexed {report.n_documents} document(s), {report.n_chunks} chunks "
        f"({report.embedded} embedded, {report.reused} reused{phrased}) into {args.index_dir} [{timing}]"
    )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from service.answering.searching import require_filters
    from service.errors import ServiceError
    from service.limits import Limits

    limits = Limits.from_settings(args.settings)  # the same limits and checks as the API (service/limits.py)
    if not args.query.strip():
        print("error: the query is empty", file=sys.stderr)
        return 2
    if not 1 <= args.k <= limits.max_k:
        bound = "at least 1" if args.k < 1 else f"at most {limits.max_k} (RUS_MAX_K)"
        print(f"error: -k must be {bound}", file=sys.stderr)
        return 2
    try:
        args.query = limits.query(args.query, "query")
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    index = SearchIndex.open(args.index_dir, args.embedder, args.settings.e5_engine)
    try:
        filters = require_filters(index, args.doc, args.priority, args.section, args.kind)
    except ServiceError as error:
        print(f"error: --{error.field}: {error.message}", file=sys.stderr)
        return 2
    hits = index.search(args.query, k=args.k, retriever=args.retriever, filters=filters)
    if args.json:
        print(json.dumps([SearchHit.of(h).model_dump() for h in hits], ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("no matching passages")
    for hit in hits:
        chunk = hit.chunk
        print(
            f"{hit.rank:>2}. [{chunk.section_id}] {' › '.join(chunk.heading_path)}  "
            f"({format_pages(chunk.page_start, chunk.page_end, 'en') or '–'}, score {hit.score:.4f})"
        )
        print(f"    {_snippet(hit)}\n")
    return 0


def cmd_align(args: argparse.Namespace) -> int:
    """The alignment report of an application file, read as the UI's alignment upload reads it (service.library.uploads:
    ingest's reader in a sandboxed child, under the configured limits): Markdown on stdout, or written to --out as
    Word (.docx) or Markdown (.md)."""
    from service.answering.matching import align
    from service.answering.word_report import alignment_docx, application_name
    from service.errors import ServiceError
    from service.library.uploads import DocumentReader, DocumentRefused
    from service.limits import Limits
    from service.state import Corpus
    from ui.texts import t  # the refusal wordings the UI shows
    from ui.uploads import truncate

    settings = args.settings
    out: Path | None = args.out
    if out is not None and out.suffix.lower() not in REPORT_SUFFIXES:
        print(f"error: --out must name a .docx or .md file, not {out}", file=sys.stderr)
        return 2
    if out is not None and not out.parent.is_dir():
        print(f"error: the folder of --out does not exist: {out.parent}", file=sys.stderr)
        return 2
    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    reader = DocumentReader(Limits.from_settings(settings), concurrency=1)  # RUS_MAX_*, as the server reads files
    try:
        upload = reader.application_text(args.file, args.file.name, settings.ui_max_upload_bytes)
    except DocumentRefused as error:  # worded from ingest's refusal code, as the UI words it
        params = {"detail": error.reason, **error.params}
        reason = t(f"upload_{error.refusal.value}", "en", name=error.filename, **params)
        print(f"error: {re.sub(r'</?b>', '', reason)}", file=sys.stderr)
        return 2
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    text = truncate(upload.text, settings.max_text_chars)
    if len(text) < len(upload.text):
        print(
            f"note: {upload.name} has {len(upload.text):,} characters; the first {len(text):,} were checked "
            f"(the limit is {settings.max_text_chars:,}, RUS_MAX_TEXT_CHARS)",
            file=sys.stderr,
        )
    try:
        report = align(Corpus.open(args.index_dir, engine=settings.e5_engine), text, args.k, settings)
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    if out is None:
        print(report.markdown)
        return 0
    if out.suffix.lower() == ".docx":
        name = application_name(text, args.name or upload.name, report.language)
        out.write_bytes(alignment_docx(report, name, date.today()))
    else:
        out.write_text(report.markdown, encoding="utf-8")
    main = report.subpriorities[0] if report.subpriorities else None
    if main is None:
        print(f"wrote {out}: no sub-priority matched")
        return 0
    addressed = [need.item for need in main.needs if need.status == "addressed"]
    print(
        f"wrote {out}: main sub-priority {main.subpriority.title}; needs addressed: "
        f"{', '.join(addressed) or 'none'} ({len(report.subpriorities)} sub-priorities checked)"
    )
    return 0


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    """The `rus` parser; the settings (from the environment unless given) are read here, once, and reach every
    command as `args.settings`."""
    settings = settings or get_settings()
    parser = argparse.ArgumentParser(prog="rus", description="RUS Search: search the regional development strategy.")
    parser.add_argument("--version", action="version", version=f"rus {VERSION}")
    parser.set_defaults(settings=settings)
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="build the index").add_subparsers(dest="action", required=True)
    build = index.add_parser("build", help="ingest documents and build the index")
    build.add_argument("paths", nargs="*", help=f"{FORMATS_IN_WORDS} files or folders (default: the shared corpus)")
    build.add_argument("--embedder", default=settings.embedder, help="'e5' (default) or 'st:<model or path>'")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.add_argument(
        "--drop-library",
        action="store_true",
        help="leave out the documents added with `rus docs add`, the API or the UI (kept by default)",
    )
    build.add_argument("--chunk-size", type=int, default=ChunkingConfig.size, help="characters per chunk")
    build.add_argument("--chunk-overlap", type=int, default=ChunkingConfig.overlap, help="overlap of split chunks")
    index_dir_option(build, settings)
    build.set_defaults(func=cmd_index_build)

    search = commands.add_parser("search", help="search the index")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5, help="number of hits (default 5)")
    search.add_argument("--retriever", choices=RETRIEVERS, default="hybrid")
    search.add_argument("--doc", help="only this document id")
    search.add_argument("--kind", choices=KINDS, help="only documents of this kind (see `rus docs list`)")
    search.add_argument("--priority", type=int, help="only this priority (1–6)")
    search.add_argument("--section", help="only this section id, e.g. 3.1")
    search.add_argument("--json", action="store_true", help="print hits as JSON")
    search.add_argument("--embedder", default=None, help="embedder to query with (must match the index)")
    index_dir_option(search, settings)
    search.set_defaults(func=cmd_search)

    align = commands.add_parser(
        "align", help="check an application against the strategy: the alignment report as Markdown or Word"
    )
    align.add_argument(
        "file", type=Path, metavar="FILE", help=f"the application ({FORMATS_IN_WORDS}, read as the UI does)"
    )
    align.add_argument(
        "--out", type=Path, help="write the report to this .docx (Word) or .md file (default: Markdown on stdout)"
    )
    align.add_argument("--name", help="the application's name in the Word report (default: the file name)")
    align.add_argument("-k", type=int, default=None, help=f"sub-priorities to check (default {settings.match_k})")
    index_dir_option(align, settings)
    align.set_defaults(func=cmd_align)
    from eval.cli import add_eval_command

    add_eval_command(commands, settings)
    from service.cli.library import add_docs_command

    add_docs_command(commands, settings)
    from service.cli.translations import add_translations_command

    add_translations_command(commands, settings)
    from eval.feedback import add_feedback_command

    add_feedback_command(commands, settings)
    from service.cli.serve import add_serve_command

    add_serve_command(commands, settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `rus` command. What the user can act on ends in one line on stderr, never a traceback: invalid
    RUS_* settings (exit 2), an index problem, a file or folder that cannot be read or written (exit 1), Ctrl-C
    (exit 130; every write to an index or a report is atomic, so nothing half-written is left to use)."""
    try:
        settings = get_settings()
    except (ValidationError, SettingsError) as error:
        print(f"error: {settings_problem(error)}", file=sys.stderr)
        return 2
    args = build_parser(settings).parse_args(argv)
    try:
        return args.func(args)
    except (IndexProblem, EmbedderError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (`rus eval compare A B | head`): end quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 1
    except OSError as error:  # e.g. an --out in a read-only folder, a folder where a file was named, no permission
        where = f"{error.filename}: " if error.filename else ""
        print(f"error: {where}{error.strerror or error}", file=sys.stderr)
        return 1


def settings_problem(error: ValidationError | SettingsError) -> str:
    """An invalid environment setting in one line, named as the user set it (RUS_MAX_K), with what is wrong."""
    if isinstance(error, ValidationError):
        problems = [f"RUS_{'_'.join(str(part) for part in e['loc']).upper()}: {e['msg']}" for e in error.errors()]
        return "invalid setting " + "; ".join(problems)
    return f"invalid setting: {error} (a list is JSON, e.g. RUS_CORPUS='[\"plan.pdf\"]')"

