"""Split sections into chunks: never across sections, numbered needs and challenges kept whole.

Splitting also yields the strategy's structure as data: each section's numbered items (ingest.models.Item)
with their full text, pages and the ids of the chunks that hold them, which the build stores beside the chunks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ingest.models import Chunk, Document, Item, Paragraph, Section
from ingest.vocabulary import item_label, numbered_item

SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class ChunkingConfig:
    """Chunk size and overlap in characters (chosen by measurement, see docs/retrieval.md)."""

    size: int = 900
    overlap: int = 150


@dataclass
class ChunkedDocument:
    """A document's chunks in document order, and per section (same order as document.sections) its items."""

    chunks: list[Chunk]
    items: list[list[Item]]


def chunk_document(document: Document, config: ChunkingConfig | None = None) -> list[Chunk]:
    """All chunks of a document, in document order."""
    return split_document(document, config).chunks


def split_document(document: Document, config: ChunkingConfig | None = None) -> ChunkedDocument:
    """Chunks and numbered items of a document."""
    config = config or ChunkingConfig()
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=config.size, chunk_overlap=config.overlap, separators=SEPARATORS, keep_separator="end"
    )
    chunks: list[Chunk] = []
    items: list[list[Item]] = []
    passages: set[str] = set()
    for section in document.sections:
        section_items: list[Item] = []
        for text, first, last, item in _pieces(section, config.size, splitter):
            if item is not None and (not section_items or section_items[-1] is not item):
                section_items.append(item)
            passage = " ".join(text.split())
            if passage in passages:  # boilerplate repeated across sections is indexed once, where it first appears
                continue
            passages.add(passage)
            label = item_label(item.kind, item.number) if item is not None else None
            chunk = section_chunk(document, section, text, first, last, label)
            chunks.append(chunk)
            if item is not None:
                item.chunk_ids.append(chunk.chunk_id)
        items.append(section_items)
    return ChunkedDocument(chunks, items)


Piece = tuple[str, int | None, int | None, Item | None]


def _pieces(section: Section, size: int, splitter: RecursiveCharacterTextSplitter) -> Iterator[Piece]:
    """Group a section's paragraphs: an item stands alone, other paragraphs are packed up to `size`."""
    group: list[Paragraph] = []

    def flush() -> Iterator[Piece]:
        if group:
            yield from _split(group, None, size, splitter)
            group.clear()

    last_number: dict[str, int] = {}
    for paragraph in section.paragraphs:
        numbered = numbered_item(section.kind, paragraph.text)
        if numbered:
            kind, number = numbered
            # a paragraph that restarts the numbering is a footnote ("1. Likvärdighet betyder …" after need 6 of
            # 6.2): it keeps a passage of its own but is no item; a repeated number (5.3 has two 4s) is an item
            restarts = number < last_number.get(kind, 0)
            last_number[kind] = max(number, last_number.get(kind, 0))
            item = None if restarts else Item(kind, number, paragraph.text, paragraph.page_start, paragraph.page_end)
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


def _split(
    paragraphs: list[Paragraph], item: Item | None, size: int, splitter: RecursiveCharacterTextSplitter
) -> Iterator[Piece]:
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


def section_chunk(
    document: Document,
    section: Section,
    text: str,
    first: int | None,
    last: int | None,
    item: str | None = None,
    identity: str | None = None,
) -> Chunk:
    """A chunk of `text` from `section`, on pages first–last; its id is a hash of `identity` (by default the
    document, the section, its heading path and the text, so an unchanged passage keeps its id)."""
    identity = identity or "\x1f".join([document.doc_id, section.section_id, *section.heading_path, text])
    return Chunk(
        chunk_id=hashlib.sha256(identity.encode()).hexdigest()[:16],
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
