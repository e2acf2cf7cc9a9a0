"""Read a PDF with pypdf: lines with page numbers and font hints, plus the outline (bookmarks)."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PdfReadError

from ingest.errors import IngestError, Refusal
from ingest.limits import IngestLimits, pdf_limits
from ingest.models import Extracted, Line, OutlineEntry

logging.getLogger("pypdf").setLevel(logging.ERROR)

PLACEHOLDER_TITLES = {"", "untitled", "(anonymous)", "anonymous", "title", "document"}  # what tools write by default
PARAGRAPH_GAP = 1.55  # a baseline gap larger than this many font sizes starts a new paragraph


def read_pdf(path: Path, limits: IngestLimits, deadline: float) -> Extracted:
    """The PDF format's reader: every page's lines, its title and outline, under `limits` (every decompressed
    stream capped, pages counted before any text is extracted, text and time checked page by page)."""
    with pdf_limits(limits):
        reader = open_pdf(path)
        n_pages = len(reader.pages)
        limits.check_pages(path, n_pages)
        lines = read_lines(reader, path, deadline, limits.max_document_chars)
        return Extracted(lines, pdf_title(reader), n_pages, read_outline(reader))


def open_pdf(path: Path) -> PdfReader:
    """Open a PDF or raise IngestError saying why it cannot be read."""
    if path.stat().st_size == 0:
        raise IngestError(path, "the file is empty", Refusal.EMPTY)
    with path.open("rb") as handle:
        if b"%PDF" not in handle.read(1024):
            raise IngestError(path, "not a PDF (no %PDF header)", Refusal.WRONG_FORMAT)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(path, "the PDF is encrypted with a password", Refusal.ENCRYPTED)
        _ = len(reader.pages)
    except IngestError:
        raise
    except LimitReachedError as exc:
        raise IngestError(path, f"the PDF exceeds a safety limit ({exc})", Refusal.UNPACKS_TOO_LARGE) from exc
    except RecursionError as exc:
        raise IngestError(path, "the PDF is nested too deeply to read", Refusal.DAMAGED) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise IngestError(path, f"the PDF is damaged or unreadable ({exc})", Refusal.DAMAGED) from exc
    except Exception as exc:  # pypdf raises assorted errors (e.g. for missing crypto backends)
        if reader_is_encrypted(path):
            raise IngestError(path, "the PDF is encrypted with a password", Refusal.ENCRYPTED) from exc
        raise IngestError(path, f"the PDF could not be read ({exc})", Refusal.DAMAGED) from exc
    return reader


def reader_is_encrypted(path: Path) -> bool:
    """Best-effort check for an /Encrypt dictionary, used when pypdf itself fails."""
    with path.open("rb") as handle:
        return b"/Encrypt" in handle.read()


def read_lines(
    reader: PdfReader, path: Path, deadline: float | None = None, max_chars: int | None = None
) -> list[Line]:
    """Extract every page's lines in reading order, with font size, boldness and paragraph gaps.

    Stops with IngestError when the monotonic `deadline` passes or the text exceeds `max_chars`.
    """
    lines: list[Line] = []
    chars = 0
    failures: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        if deadline is not None and time.monotonic() > deadline:
            raise IngestError(path, f"reading the text took too long (stopped at page {number})", Refusal.TOO_SLOW)
        try:
            page_lines = _page_lines(page, number)
        except LimitReachedError as exc:  # a decompression or nesting bomb: refuse the document
            raise IngestError(
                path, f"page {number} exceeds a safety limit ({exc})", Refusal.UNPACKS_TOO_LARGE
            ) from exc
        except Exception as exc:  # a single broken page should not lose the document
            logging.getLogger(__name__).warning("%s: page %d unreadable (%s)", path.name, number, exc)
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
            failures.append(f"page {number}: {reason}")
            continue
        lines.extend(page_lines)
        chars += sum(len(line.text) for line in page_lines)
        if max_chars is not None and chars > max_chars:
            raise IngestError(
                path, f"the PDF holds more than {max_chars:,} characters of text (the limit)", Refusal.TOO_MUCH_TEXT
            )
    if not any(line.text.strip() for line in lines):
        if failures:
            raise IngestError(
                path, f"no page could be read ({len(failures)} failed; {failures[0]})", Refusal.DAMAGED
            )
        raise IngestError(path, "no text layer (image-only or scanned PDF); run OCR first", Refusal.NO_TEXT_LAYER)
    return lines


def _page_lines(page, number: int) -> list[Line]:
    runs: list[tuple[float, float, bool, str]] = []  # (y, size, bold, text)

    def visit(text: str, cm, tm, font_dict, font_size: float) -> None:
        if not text:
            return
        scale = math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1]) or 1.0
        y = tm[5] * cm[3] + cm[5]
        font = (font_dict or {}).get("/BaseFont", "") if hasattr(font_dict, "get") else ""
        runs.append((y, round(font_size * scale, 1), "Bold" in str(font), text))

    page.extract_text(visitor_text=visit)
    lines: list[Line] = []
    current: list[str] = []
    current_y: float | None = None
    current_size = 0.0
    current_bold = True
    previous_y: float | None = None
    previous_size = 10.0

    def flush() -> None:
        nonlocal current, previous_y, previous_size
        text = " ".join("".join(current).split())
        if text:
            gap = (
                previous_y is not None
                and current_y is not None
                and (abs(previous_y - current_y) > PARAGRAPH_GAP * max(previous_size, current_size))
            )
            lines.append(Line(text, number, current_size or None, current_bold, gap or previous_y is None))
            previous_y, previous_size = current_y, current_size
        current = []

    for y, size, bold, text in runs:
        pieces = text.split("\n")
        for index, piece in enumerate(pieces):
            if current and current_y is not None and abs(y - current_y) > 2 and "".join(current).strip():
                flush()
            if piece.strip():
                if not "".join(current).strip():
                    current_y, current_size, current_bold = y, size, bold
                else:
                    current_size = max(current_size, size)
                    current_bold = current_bold and bold
                current.append(piece)
            elif piece:
                current.append(piece)
            if index < len(pieces) - 1:
                flush()
    flush()
    return lines


def read_outline(reader: PdfReader) -> list[OutlineEntry]:
    """Flatten the bookmark tree into (title, level, page) in document order."""
    entries: list[OutlineEntry] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item) + 1
            except Exception:
                continue
            title = " ".join(str(item.title).split())
            if title and page > 0:
                entries.append(OutlineEntry(title, level, page))

    try:
        walk(reader.outline, 0)
    except Exception:
        return []
    return entries


def pdf_title(reader: PdfReader) -> str | None:
    """The document title from the PDF's metadata; None when it has none (or a tool's placeholder)."""
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:
        title = None
    title = " ".join(str(title).split()) if title else ""
    return title if title.casefold() not in PLACEHOLDER_TITLES else None
