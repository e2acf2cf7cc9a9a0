"""Data shapes passed between the ingest steps."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.vocabulary import ItemKind


@dataclass(frozen=True)
class Line:
    """One visual line of text as extracted, with the layout hints the cleaner and heading detector use."""

    text: str
    page: int | None
    size: float | None = None  # font size in points (PDF only)
    bold: bool = False
    paragraph_start: bool = False  # a vertical gap (or blank line) precedes this line
    level: int | None = None  # heading level when the format marks headings (Markdown #, DOCX styles, HTML h1–h3)


@dataclass(frozen=True)
class OutlineEntry:
    """A bookmark: its title, nesting level (0 = top) and 1-based target page."""

    title: str
    level: int
    page: int


@dataclass
class Extracted:
    """What a format's reader gives (ingest/formats.py): the lines in reading order, the title from the file's
    metadata (None when it has none), the page count when the format has pages, and the PDF outline."""

    lines: list[Line]
    title: str | None
    n_pages: int | None = None
    outline: list[OutlineEntry] = field(default_factory=list)


@dataclass
class Heading:
    """A heading located in the line stream: lines[start:end] hold its text."""

    title: str
    start: int
    end: int
    level: int | None = None  # outline depth when known
    page: int | None = None


@dataclass
class Paragraph:
    """Cleaned paragraph text with the pages it spans."""

    text: str
    page_start: int | None
    page_end: int | None


@dataclass
class Section:
    """A contiguous piece of the document under one heading path."""

    section_id: str
    heading_path: list[str]
    kind: str  # intro | priority | subpriority | challenges | actors | needs | plans
    priority: int | None
    paragraphs: list[Paragraph] = field(default_factory=list)
    heading_page: int | None = None  # the page the heading itself stands on

    @property
    def page_start(self) -> int | None:
        pages = [p.page_start for p in self.paragraphs if p.page_start is not None]
        if self.heading_page is not None and self.kind != "plans":
            pages.append(self.heading_page)
        return min(pages) if pages else self.heading_page

    @property
    def page_end(self) -> int | None:
        pages = [p.page_end for p in self.paragraphs if p.page_end is not None]
        return max(pages) if pages else None

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)


@dataclass
class Item:
    """A numbered challenge ("Utmaning 2") or identified need ("Behov 4") of a sub-priority, as the document
    numbers it: its full text, its pages and the chunks that hold it."""

    kind: ItemKind
    number: int
    text: str
    page_start: int | None
    page_end: int | None
    chunk_ids: list[str] = field(default_factory=list)
    text_en: str | None = None  # its English rendering, when its chunks have one (set at build time)


@dataclass
class Document:
    """One ingested file."""

    doc_id: str
    title: str
    source: str
    content_hash: str
    n_pages: int | None
    sections: list[Section]
    headings_from: str  # "outline" | "detected"


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded, indexed, retrieved and cited."""

    chunk_id: str
    doc_id: str
    doc_title: str
    section_id: str
    heading_path: tuple[str, ...]
    kind: str
    priority: int | None
    page_start: int | None
    page_end: int | None
    text: str
    item: str | None = None  # "Behov 4", "Utmaning 3" for numbered needs and challenges (ingest.vocabulary.item_label)
    doc_kind: str | None = None  # the document's library kind ("strategi", "plan", …), set when the index is built
    doc_year: int | None = None  # the document's year, when the library knows it
    text_en: str | None = None  # the English rendering from the document's translation memory, set at build time
