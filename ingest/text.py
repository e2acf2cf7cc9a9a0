"""Read plain-text and Markdown files into lines (form feeds mark pages when present)."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.errors import IngestError
from ingest.models import Line

MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")


def read_text(path: Path) -> str:
    """Decode a text file (UTF-8, UTF-16 with BOM, or Latin-1 as a last resort)."""
    data = path.read_bytes()
    if not data.strip():
        raise IngestError(path, "the file is empty")
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(path, "binary data, not a text file")
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
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
            heading = bool(MARKDOWN_HEADING.match(stripped))
            stripped = MARKDOWN_HEADING.sub("", stripped)
            starts = gap or heading or part[:1].isspace()  # an indented first line starts a paragraph
            lines.append(Line(stripped, page if has_pages else None, None, heading, starts))
            gap = heading
    return lines
