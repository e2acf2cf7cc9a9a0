"""Word documents (.docx), the one module that uses python-docx: `read_docx` reads an uploaded or indexed file into
lines under the ingest limits (heading styles give heading levels, tables become rows), and `WordWriter` writes one
(the alignment report, the eval's test applications) with every text made fit for a Word document on the way in.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.errors import IngestError, Refusal
from ingest.limits import IngestLimits
from ingest.models import Extracted, Line

# --- reading ----------------------------------------------------------------------------------------

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"  # a .docx file
HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)
TITLE_STYLES = {"title", "rubrik"}
BULLET_STYLE = re.compile(r"^list bullet|^punktlista", re.IGNORECASE)
NUMBER_STYLE = re.compile(r"^list number|^numrerad lista", re.IGNORECASE)
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .doc files and password-protected Office files


def read_docx(path: Path, limits: IngestLimits, deadline: float) -> Extracted:
    """The DOCX format's reader: the document's lines in reading order, and its title (core properties, else a
    Title-styled paragraph). The package is checked before python-docx reads it: its declared unpacked size, and
    that every part unpacks to exactly the size it declares (`_check_package`); text and time while reading.

    A paragraph that is nothing but a hyperlink is left out: it is navigation, not content.
    """
    _check_package(path, limits)
    try:
        document = docx.Document(str(path))
        title = " ".join((document.core_properties.title or "").split()) or None
        lines, styled_title = _document_lines(document, path, limits, deadline)
    except IngestError:
        raise
    except PackageNotFoundError as exc:
        raise IngestError(
            path, "not a Word document (.docx): the package has no main document", Refusal.WRONG_FORMAT
        ) from exc
    except Exception as exc:  # python-docx and lxml raise assorted errors for malformed packages
        raise IngestError(
            path, f"not a readable Word document (.docx): {type(exc).__name__}: {exc}", Refusal.DAMAGED
        ) from exc
    return Extracted(lines, title or styled_title)


def _document_lines(
    document: Document, path: Path, limits: IngestLimits, deadline: float
) -> tuple[list[Line], str | None]:
    """The body's paragraphs and table rows as lines, and the text of its first Title-styled paragraph."""
    lines: list[Line] = []
    title: str | None = None
    number = 0
    chars = 0
    for block in document.iter_inner_content():
        rows = _table_rows(block) if isinstance(block, Table) else [block]
        for row in rows:
            if isinstance(row, str):
                lines.append(Line(row, None, paragraph_start=True))
                chars += len(row)
                number = 0
                continue
            text = " ".join(row.text.split())
            if not text or _link_only(row, text):
                continue
            style = (row.style.name if row.style is not None else "") or ""
            if style.casefold() in TITLE_STYLES:
                title = title or text
                continue
            heading = HEADING_STYLE.match(style)
            if NUMBER_STYLE.match(style):
                number += 1
                text = f"{number}. {text}"
            else:
                number = 0
                if BULLET_STYLE.match(style):
                    text = f"• {text}"
            level = int(heading.group(1)) if heading else None
            lines.append(Line(text, None, bold=bool(heading), paragraph_start=True, level=level))
            chars += len(text)
        limits.check_chars(path, chars)
        limits.check_time(path, deadline, f"paragraph {len(lines)}")
    return lines, title


def _check_package(path: Path, limits: IngestLimits) -> None:
    """Refuse files that are not ZIP packages (old .doc, encrypted Office files) and zip bombs: a package whose
    parts declare more than the limit, or a part that unpacks to more than it declares."""
    with path.open("rb") as handle:
        ole = handle.read(len(OLE_MAGIC)) == OLE_MAGIC
    try:
        with zipfile.ZipFile(path) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(
            path,
            "not a readable Word document (.docx); old .doc and password-protected files are not supported",
            Refusal.WRONG_FORMAT if ole or not zipfile.is_zipfile(path) else Refusal.DAMAGED,
        ) from exc
    unpacked = sum(info.file_size for info in parts)
    if unpacked > limits.max_unpacked_bytes:
        raise IngestError(
            path,
            f"the Word document unpacks to {unpacked:,} bytes; the limit is {limits.max_unpacked_bytes:,} bytes",
            Refusal.UNPACKS_TOO_LARGE,
        )
    with path.open("rb") as handle:
        for info in parts:
            _check_part(handle, info, path)


LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # a ZIP local file header; its last two fields: name and extra lengths
INFLATE_STEP = 1 << 20  # bytes unpacked at a time while checking a part


def _check_part(handle: BinaryIO, info: zipfile.ZipInfo, path: Path) -> None:
    """Refuse a part whose data unpacks to more (or less) than its declared size, unpacking it INFLATE_STEP bytes
    at a time. zipfile stops returning data at the declared size, but it inflates a part's whole stream in one
    call first: a part declaring 1 kB can hold gigabytes, and reading it would hold them all in memory."""
    if info.flag_bits & 0x1:
        raise IngestError(path, "the Word document is password-protected; send it unprotected", Refusal.ENCRYPTED)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise IngestError(path, f"part {info.filename} uses a compression Word does not write", Refusal.DAMAGED)
    handle.seek(info.header_offset)
    header = handle.read(LOCAL_HEADER.size)
    if len(header) < LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise IngestError(path, f"part {info.filename} is damaged (no local header)", Refusal.DAMAGED)
    *_, name_length, extra_length = LOCAL_HEADER.unpack(header)
    handle.seek(name_length + extra_length, io.SEEK_CUR)
    left = info.compress_size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if info.compress_type == zipfile.ZIP_DEFLATED else None
    pending, unpacked = b"", 0
    while True:
        if not pending:
            pending = handle.read(min(INFLATE_STEP, left))
            left -= len(pending)
            if not pending:
                break
        if inflater is None:
            data, pending = pending, b""
        else:
            data = inflater.decompress(pending, INFLATE_STEP)
            pending = inflater.unconsumed_tail
        unpacked += len(data)
        if unpacked > info.file_size:
            raise IngestError(
                path,
                f"part {info.filename} unpacks to more than the {info.file_size:,} bytes it declares (a zip bomb)",
                Refusal.UNPACKS_TOO_LARGE,
            )
        if inflater is not None and inflater.eof:
            break
    if unpacked != info.file_size or (inflater is not None and not inflater.eof):
        raise IngestError(path, f"part {info.filename} is damaged (shorter than it declares)", Refusal.DAMAGED)


def _table_rows(table: Table) -> list[str]:
    """One line per row, its cells joined by " | " (merged cells, which repeat, counted once)."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _link_only(paragraph: Paragraph, text: str) -> bool:
    """Whether the paragraph's text is all hyperlinks."""
    links = " ".join(" ".join(link.text.split()) for link in paragraph.hyperlinks)
    return bool(links) and links == text


# --- writing ----------------------------------------------------------------------------------------

INDENT = Cm(0.9)  # an indented paragraph's left indent
# characters XML 1.0 cannot hold (python-docx refuses them): C0 controls other than tab/newline/return, U+FFFE/FFFF
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
WHITESPACE = re.compile(r"\s+")
CORE_PROPERTY_MAX_CHARS = 255  # python-docx's limit on a core property such as the title


def flat(text: str) -> str:
    """`text` on one line, runs of white space as one space, without characters a Word document cannot hold."""
    return NOT_XML.sub("", WHITESPACE.sub(" ", text))


def clean(text: str) -> str:
    """`flat(text)` without surrounding spaces."""
    return flat(text).strip()


@dataclass(frozen=True)
class Run:
    """Text within a paragraph, optionally bold or italic."""

    text: str
    bold: bool = False
    italic: bool = False


Cell = str | list[str]  # a table cell: its text, or its paragraphs


class WordWriter:
    """A new Word document written top to bottom: headings, paragraphs of runs and tables. Headings and the title
    are `clean`ed, every run `flat`tened, so no text can break the document."""

    def __init__(
        self,
        title: str,
        author: str,
        created: datetime,
        language: str | None = None,
        last_modified_by: str | None = None,
    ) -> None:
        """`created` is also the last-modified time; `language` (a tag such as "sv-SE") marks all the text for
        Word's spelling and hyphenation."""
        self._document = docx.Document()
        if language:
            _set_language(self._document, language)
        properties = self._document.core_properties
        properties.title = clean(title)[:CORE_PROPERTY_MAX_CHARS]
        properties.author = author
        if language:
            properties.language = language
        properties.created = properties.modified = created
        if last_modified_by is not None:
            properties.last_modified_by = last_modified_by

    def heading(self, text: str, level: int) -> None:
        """A heading (level 0 is the document's title)."""
        _add_runs(self._document.add_heading(level=level), [clean(text)])

    def paragraph(self, *runs: Run | str, bullet: bool = False, indented: bool = False) -> None:
        """A paragraph of `runs` (a str is a plain run), as a bullet-list item or indented if asked."""
        paragraph = self._document.add_paragraph(style="List Bullet" if bullet else None)
        if indented:
            paragraph.paragraph_format.left_indent = INDENT
        _add_runs(paragraph, runs)

    def labelled(self, label: str, text: str, indented: bool = False) -> None:
        """A "Label: text" paragraph with the label in bold."""
        self.paragraph(Run(f"{label}: ", bold=True), text, indented=indented)

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
        """A grid table under a bold header row that repeats on every page (and screen readers read as headers)."""
        table = self._document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            _add_runs(cell.paragraphs[0], [Run(text, bold=True)])
        _repeat_header_row(table)
        for row in rows:
            for cell, content in zip(table.add_row().cells, row, strict=True):
                paragraphs = [content] if isinstance(content, str) else content
                _add_runs(cell.paragraphs[0], paragraphs[:1])
                for text in paragraphs[1:]:
                    _add_runs(cell.add_paragraph(), [text])

    def to_bytes(self) -> bytes:
        """The document as the bytes of a .docx file."""
        buffer = io.BytesIO()
        self._document.save(buffer)
        return buffer.getvalue()

    def save(self, path: Path) -> None:
        """Write the document to a .docx file."""
        self._document.save(str(path))


def _add_runs(paragraph: Paragraph, runs: Iterable[Run | str]) -> None:
    """Append `runs` to a paragraph; every text reaches the document through here."""
    for run in runs:
        run = Run(run) if isinstance(run, str) else run
        added = paragraph.add_run(flat(run.text))
        if run.bold:
            added.bold = True
        if run.italic:
            added.italic = True


def _set_language(document: Document, tag: str) -> None:
    """Mark the whole document's text as `tag` (for Word's spelling and hyphenation)."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        document.styles.element.insert(0, defaults)
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    properties = run_defaults.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run_defaults.append(properties)
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    language.set(qn("w:val"), tag)


def _repeat_header_row(table: Table) -> None:
    """Mark the table's first row as its header (repeated on every page, read as headers by screen readers)."""
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
