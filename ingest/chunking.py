"""Split sections into chunks: never across sections, numbered needs and challenges kept whole."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.models import Chunk, Document, Paragraph, Section

NEED_ITEM = re.compile(r"^(\d{1,2})\.\s+\S")
CHALLENGE_ITEM = re.compile(r"^Utmaning (\d+)\s*[:.]")  # "Utmaning 2." occurs too
SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size and overlap in characters (chosen by measurement, see docs/chunking.md)."""

    size: int = 900
    overlap: int = 150


def item_label(section: Section, text: str) -> str | None:
    """ "Behov 4" for a numbered need, "Utmaning 3" for a challenge, else None."""
    if section.kind == "needs" and (match := NEED_ITEM.match(text)):
        return f"Behov {match.group(1)}"
    if match := CHALLENGE_ITEM.match(text):
        return f"Utmaning {match.group(1)}"
    return None


def chunk_document(document: Document, config: ChunkingConfig | None = None) -> list[Chunk]:
    """All chunks of a document, in document order."""
    config = config or ChunkingConfig()
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=config.size, chunk_overlap=config.overlap, separators=SEPARATORS, keep_separator="end"
    )
    chunks: list[Chunk] = []
    passages: set[str] = set()
    for section in document.sections:
        for text, first, last, item in _pieces(section, config.size, splitter):
            passage = " ".join(text.split())
            if passage in passages:  # boilerplate repeated across sections is indexed once, where it first appears
                continue
            passages.add(passage)
            chunks.append(_make_chunk(document, section, text, first, last, item))
    return chunks


def _pieces(section: Section, size: int, splitter: RecursiveCharacterTextSplitter):
    """Group a section's paragraphs: an item stands alone, other paragraphs are packed up to `size`."""
    group: list[Paragraph] = []

    def flush():
        if group:
            yield from _split(group, None, size, splitter)
            group.clear()

    for paragraph in section.paragraphs:
        item = item_label(section, paragraph.text)
        if item:
            lead_in = [p for p in group if p.text.endswith(":")] if all(p.text.endswith(":") for p in group) else []
            if not lead_in:
                yield from flush()
            yield from _split([*lead_in, paragraph], item, size, splitter)
            group.clear()
            continue
        if group and sum(len(p.text) + 2 for p in group) + len(paragraph.text) > size:
            yield from flush()
        group.append(paragraph)
    yield from flush()


def _split(paragraphs: list[Paragraph], item: str | None, size: int, splitter: RecursiveCharacterTextSplitter):
    text = "\n\n".join(p.text for p in paragraphs)
    first = min((p.page_start for p in paragraphs if p.page_start is not None), default=None)
    last = max((p.page_end for p in paragraphs if p.page_end is not None), default=None)
    if len(text) <= size:
        yield text, first, last, item
        return
    for piece in splitter.split_text(text):
        yield piece.strip(), _page_of(piece, paragraphs, first), _page_of(piece, paragraphs, last, end=True), item


def _page_of(piece: str, paragraphs: list[Paragraph], default: int | None, end: bool = False) -> int | None:
    """The page where a split piece starts (or ends): the paragraph holding its first (last) words."""
    probe = piece.strip()[-40:] if end else piece.strip()[:40]
    for paragraph in paragraphs:
        if probe in paragraph.text:
            return paragraph.page_end if end else paragraph.page_start
    return default


def _make_chunk(
    document: Document, section: Section, text: str, first: int | None, last: int | None, item: str | None
) -> Chunk:
    digest = hashlib.sha256(
        "\x1f".join([document.doc_id, section.section_id, *section.heading_path, text]).encode()
    ).hexdigest()[:16]
    return Chunk(
        chunk_id=digest,
        doc_id=document.doc_id,
        doc_title=document.title,
        section_id=section.section_id,
        heading_path=tuple(section.heading_path),
        kind=section.kind,
        priority=section.priority,
        page_start=first,
        page_end=last,
        text=text,
        item=item,
    )
