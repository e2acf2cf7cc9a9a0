"""Ingest files and folders into Documents: read, clean, find sections."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from ingest.clean import drop_artifacts, drop_footnotes, paragraphs_from_lines
from ingest.errors import IngestError, Refusal
from ingest.formats import SUPPORTED_SUFFIXES, read_file
from ingest.headings import detect_headings
from ingest.limits import IngestLimits
from ingest.models import Document, Heading, Line, OutlineEntry
from ingest.outline import locate_outline
from ingest.pdf import open_pdf, read_lines
from ingest.plan_headings import detect_plan_headings
from ingest.plan_sections import build_plan_sections, section_id
from ingest.sections import build_sections
from ingest.vocabulary import PRIORITY_HEADING, SUBPRIORITY_HEADING

DOC_ID_MAX_CHARS = 80  # an id names files beside the index (`<doc_id>.en.phrasings.po`); file names stop at 255 bytes


def doc_id_for(path: Path) -> str:
    """A readable, stable id from the file name: its letters and digits joined by hyphens, at most
    DOC_ID_MAX_CHARS long (cut at a hyphen where there is one)."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.casefold()).strip("-")
    if len(slug) > DOC_ID_MAX_CHARS:
        cut = slug[: DOC_ID_MAX_CHARS + 1]
        slug = (cut.rsplit("-", 1)[0] if "-" in cut else cut[:DOC_ID_MAX_CHARS]).strip("-")
    return slug or "document"


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assign_doc_id(document: Document, doc_id: str) -> None:
    """Give a document a new id; a plan's section ids, which carry the document id, follow it."""
    old_prefix = section_id(document.doc_id, "")
    for section in document.sections:
        if section.section_id.startswith(old_prefix):
            section.section_id = section_id(doc_id, section.section_id[len(old_prefix) :])
    document.doc_id = doc_id


def is_strategy_shaped(lines: list[Line], outline: list[OutlineEntry]) -> bool:
    """Whether a document follows the strategy's layout ("Prioritering N:" / "Delprioritering N.N" headings).

    Such documents keep the strategy's section ids ("P 3", "3.1"); every other document is read as a plan.
    """
    titles = [entry.title for entry in outline] + [line.text for line in lines]
    return any(PRIORITY_HEADING.match(title) or SUBPRIORITY_HEADING.match(title) for title in titles)


def load_document(path: Path, use_outline: bool = True, limits: IngestLimits | None = None) -> Document:
    """Read one file into a Document; raise IngestError naming the file and the reason.

    `limits` bound the file size, pages, decompressed streams, text and time (default: `IngestLimits()`;
    the entry points pass the configured ones). The title comes from the file's metadata (PDF /Title, DOCX
    core properties, HTML <title>), else its first line.
    """
    path = Path(path)
    extracted = read_file(path, limits or IngestLimits())
    lines, title, n_pages = extracted.lines, extracted.title, extracted.n_pages
    outline = extracted.outline if use_outline else []
    lines = drop_artifacts(lines, n_pages or 0)
    doc_id = doc_id_for(path)
    if is_strategy_shaped(lines, outline):
        lines = drop_footnotes(lines)  # plans keep theirs: a body-size list "1 …", "2 …" could pass for footnotes
        headings: list[Heading] = locate_outline(lines, outline) if outline else detect_headings(lines)
        sections = build_sections(lines, headings) if lines else []
        title = title or (lines[0].text if lines else None)
    else:
        if lines and title is None:
            title = lines[0].text
            if lines[0].level is None and len(lines) > 1:  # the title line is not body text
                lines = lines[1:]
        headings = locate_outline(lines, outline) if outline else detect_plan_headings(lines)
        sections = build_plan_sections(lines, headings, doc_id)
    if not lines or not title:
        raise IngestError(
            path, "no text left after removing headers, footers, links and figure debris", Refusal.NO_TEXT
        )
    return Document(
        doc_id=doc_id,
        title=title,
        source=str(path),
        content_hash=file_hash(path),
        n_pages=n_pages,
        sections=sections,
        headings_from="outline" if outline else "detected",
    )


def plain_text(path: Path, limits: IngestLimits | None = None) -> tuple[str, int | None]:
    """A file's text as paragraphs separated by blank lines (running headers, page numbers and debris removed),
    and its page count when it has pages: how an application uploaded for the alignment check is read."""
    path = Path(path)
    extracted = read_file(path, limits or IngestLimits())
    lines = drop_artifacts(extracted.lines, extracted.n_pages or 0)
    text = "\n\n".join(paragraph.text for paragraph in paragraphs_from_lines(lines)).strip()
    if not text:
        raise IngestError(path, "the file holds no readable text", Refusal.NO_TEXT)
    return text, extracted.n_pages


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
            assign_doc_id(document, f"{base}-{suffix}")
            suffix += 1
        seen.add(document.doc_id)
        documents.append(document)
    return documents, errors


def lines_for_debug(path: Path) -> list[Line]:
    """The cleaned lines of a PDF, for inspecting extraction."""
    reader = open_pdf(path)
    return drop_artifacts(read_lines(reader, path), len(reader.pages))
