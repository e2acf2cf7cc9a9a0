"""Ingest files and folders into Documents: read, clean, find sections."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from ingest.clean import drop_artifacts
from ingest.errors import IngestError
from ingest.formats import SUPPORTED_SUFFIXES, describe
from ingest.headings import detect_headings
from ingest.limits import IngestLimits, pdf_limits
from ingest.models import Document, Heading, Line
from ingest.outline import locate_outline
from ingest.pdf import open_pdf, pdf_title, read_lines, read_outline
from ingest.sections import build_sections
from ingest.text import read_text, text_lines


def doc_id_for(path: Path) -> str:
    """A readable, stable id from the file name."""
    return re.sub(r"[^a-z0-9]+", "-", path.stem.casefold()).strip("-") or "document"


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_document(path: Path, use_outline: bool = True, limits: IngestLimits | None = None) -> Document:
    """Read one file into a Document; raise IngestError naming the file and the reason.

    `limits` bound the file size, pages, decompressed streams, text and time (default: `IngestLimits()`;
    the entry points pass the configured ones).
    """
    path = Path(path)
    limits = limits or IngestLimits()
    if not path.is_file():
        raise IngestError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(path, f"unsupported file type {suffix or '(none)'}; use {describe()}")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise IngestError(path, f"the file is {size:,} bytes; the limit is {limits.max_file_bytes:,} bytes")
    if suffix == ".pdf":
        with pdf_limits(limits):
            reader = open_pdf(path)
            n_pages: int | None = len(reader.pages)
            limits.check_pages(path, n_pages)
            lines = read_lines(reader, path, limits.deadline(), limits.max_document_chars)
            title = pdf_title(reader, path)
            outline = read_outline(reader) if use_outline else []
    else:
        text = read_text(path)
        if len(text) > limits.max_document_chars:
            raise IngestError(
                path, f"the text is {len(text):,} characters; the limit is {limits.max_document_chars:,} characters"
            )
        lines = text_lines(text)
        n_pages = max((line.page or 0 for line in lines), default=0) or None
        title = path.stem
        outline = []
    lines = drop_artifacts(lines, n_pages or 0)
    if not lines:
        raise IngestError(path, "no text left after removing headers, footers and figure debris")
    headings: list[Heading] = locate_outline(lines, outline) if outline else detect_headings(lines)
    sections = build_sections(lines, headings)
    return Document(
        doc_id=doc_id_for(path),
        title=title,
        source=str(path),
        content_hash=file_hash(path),
        n_pages=n_pages,
        sections=sections,
        headings_from="outline" if outline else "detected",
    )


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus the supported files inside named folders (sorted, not recursive)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES))
        else:
            files.append(path)
    return files


def load_documents(
    paths: Iterable[Path], limits: IngestLimits | None = None
) -> tuple[list[Document], list[IngestError]]:
    """Ingest every file; collect failures instead of stopping, and keep doc ids unique."""
    documents: list[Document] = []
    errors: list[IngestError] = []
    seen: set[str] = set()
    limits = limits or IngestLimits()
    for path in expand_paths(paths):
        try:
            document = load_document(path, limits=limits)
        except IngestError as error:
            errors.append(error)
            continue
        base, suffix = document.doc_id, 2
        while document.doc_id in seen:
            document.doc_id = f"{base}-{suffix}"
            suffix += 1
        seen.add(document.doc_id)
        documents.append(document)
    return documents, errors


def lines_for_debug(path: Path) -> list[Line]:
    """The cleaned lines of a PDF, for inspecting extraction."""
    reader = open_pdf(path)
    return drop_artifacts(read_lines(reader, path), len(reader.pages))
