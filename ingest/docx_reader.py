"""Read a Word document (.docx) into lines: heading styles give heading levels, tables become rows."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from ingest.errors import IngestError, Refusal
from ingest.limits import IngestLimits
from ingest.models import Extracted, Line

HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*(\d)$", re.IGNORECASE)
TITLE_STYLES = {"title", "rubrik"}
BULLET_STYLE = re.compile(r"^list bullet|^punktlista", re.IGNORECASE)
NUMBER_STYLE = re.compile(r"^list number|^numrerad lista", re.IGNORECASE)
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .doc files and password-protected Office files


def read_docx(path: Path, limits: IngestLimits, deadline: float) -> Extracted:
    """The DOCX format's reader: the document's lines in reading order, and its title (core properties, else a
    Title-styled paragraph). The package's declared unpacked size is checked before any part is read (zipfile
    holds every part to its declared size), text and time while reading.

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


def _document_lines(document, path: Path, limits: IngestLimits, deadline: float) -> tuple[list[Line], str | None]:
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
    """Refuse files that are not ZIP packages (old .doc, encrypted Office files) and zip bombs."""
    with path.open("rb") as handle:
        ole = handle.read(len(OLE_MAGIC)) == OLE_MAGIC
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(
            path,
            "not a readable Word document (.docx); old .doc and password-protected files are not supported",
            Refusal.WRONG_FORMAT if ole or not zipfile.is_zipfile(path) else Refusal.DAMAGED,
        ) from exc
    if unpacked > limits.max_unpacked_bytes:
        raise IngestError(
            path,
            f"the Word document unpacks to {unpacked:,} bytes; the limit is {limits.max_unpacked_bytes:,} bytes",
            Refusal.UNPACKS_TOO_LARGE,
        )


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
    links = " ".join(" ".join(link.text.split()) for link in paragraph.hyperlinks)
    return bool(links) and links == text
