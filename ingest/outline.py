"""Locate PDF bookmarks in the extracted line stream, so each section starts at its heading's line."""

from __future__ import annotations

import re

from ingest.headings import MAX_WRAP_LINES
from ingest.models import Heading, Line, OutlineEntry


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def locate_outline(lines: list[Line], outline: list[OutlineEntry]) -> list[Heading]:
    """Map each outline entry to the lines holding its title on (or just after) its target page.

    An entry whose title cannot be found starts at the first line of its page.
    """
    headings: list[Heading] = []
    cursor = 0
    for entry in outline:
        found = _find(lines, entry, cursor)
        if found is None:
            start = next((i for i in range(cursor, len(lines)) if (lines[i].page or 0) >= entry.page), len(lines))
            headings.append(Heading(entry.title, start, start, level=entry.level, page=entry.page))
            cursor = start
            continue
        start, end = found
        headings.append(Heading(entry.title, start, end, level=entry.level, page=lines[start].page))
        cursor = end
    return headings


def _find(lines: list[Line], entry: OutlineEntry, cursor: int) -> tuple[int, int] | None:
    target = _key(entry.title)
    for start in range(cursor, len(lines)):
        page = lines[start].page or 0
        if page < entry.page:
            continue
        if page > entry.page + 1:
            return None
        joined = ""
        for end in range(start, min(start + MAX_WRAP_LINES, len(lines))):
            joined += _key(lines[end].text)
            if joined == target:
                return start, end + 1
            if not target.startswith(joined):
                break
    return None
