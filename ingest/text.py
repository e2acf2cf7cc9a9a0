"""Read plain-text and Markdown files into lines (form feeds mark pages when present)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ingest.errors import IngestError, Refusal
from ingest.limits import IngestLimits
from ingest.models import Extracted, Line

MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")


def read_text_document(path: Path, limits: IngestLimits, deadline: float) -> Extracted:
    """The plain-text and Markdown formats' reader: decoded lines (Markdown # headings marked, form feeds as
    pages), no title of its own (the first line serves)."""
    text = read_text(path, limits)
    lines = text_lines(text)
    limits.check_time(path, deadline, "the end")
    return Extracted(lines, None, max((line.page or 0 for line in lines), default=0) or None)


def read_text(path: Path, limits: IngestLimits) -> str:
    """Decode a text file (UTF-8, UTF-16 with BOM, else Windows-1252 or Latin-1); refuse binary data and text
    over the character limit."""
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(path, "the file is empty", Refusal.EMPTY)
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(
            path, "binary data (NUL bytes), not a text file; UTF-16 text needs a byte-order mark", Refusal.NOT_TEXT
        )
    text = _decode(data)
    limits.check_chars(path, len(text))
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    if controls > max(2, len(text) // 100):
        raise IngestError(path, f"binary data ({controls} control characters), not a text file", Refusal.NOT_TEXT)
    if not text.replace("\ufeff", "").strip():
        raise IngestError(path, "the file is empty", Refusal.EMPTY)
    return text


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few stray bytes keeps its valid characters; legacy 8-bit text has no valid UTF-8 sequences
    lenient = data.decode("utf-8-sig", errors="replace")
    replaced = lenient.count("\ufffd")
    if sum(1 for c in lenient if ord(c) > 0x7F and c != "\ufffd") >= replaced:
        return lenient
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def text_lines(text: str) -> list[Line]:
    """Split text into lines; a blank line or an indented line starts a paragraph, a form feed a page.

    A trailing block of tab-indented lines (a list of headings some exports append) is dropped.
    """
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while raw_lines and (not raw_lines[-1].strip() or raw_lines[-1].startswith("\t")):
        raw_lines.pop()
    has_pages = "\f" in text
    page = 1
    lines: list[Line] = []
    gap = True
    for raw in raw_lines:
        for part_index, part in enumerate(raw.split("\f")):
            if part_index:
                page += 1
                gap = True
            stripped = " ".join(part.split())
            if not stripped:
                gap = True
                continue
            marker = MARKDOWN_HEADING.match(stripped)
            heading = bool(marker)
            level = marker.group(0).count("#") if marker else None
            stripped = MARKDOWN_HEADING.sub("", stripped)
            starts = gap or heading or part[:1].isspace()  # an indented first line starts a paragraph
            lines.append(Line(stripped, page if has_pages else None, None, heading, starts, level))
            gap = heading
    return lines
