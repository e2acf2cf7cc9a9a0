"""Find the headings of a document not shaped like the strategy, with their levels.

In order of trust: headings the format marks (Markdown #, DOCX heading styles, HTML h1–h3), then
headings set in a larger or bold font (PDF), then numbered headings ("1. Om planen", "2.1 Barn och unga")
in plain text. A numbered heading's level is its depth (2.1.3 → 3); an unnumbered one in a PDF gets its
level from its font size relative to the numbered ones.
"""

from __future__ import annotations

import re

from ingest.headings import body_size, detect_headings
from ingest.models import Heading, Line

NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.*)$")
MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 14
HEADING_SIZE_RATIO = 1.05  # as in ingest.headings: 5 % above the body size sets a heading apart
MAX_WRAP_LINES = 3


def heading_number(title: str) -> str | None:
    """ "2.1" for "2.1 Barn och unga", "3" for "3. Åtgärder", else None."""
    match = NUMBERED.match(title)
    return match.group(1) if match and _heading_text(match.group(2)) else None


def detect_plan_headings(lines: list[Line]) -> list[Heading]:
    """Headings with levels (1 = top) for a plan, report or programme."""
    if any(line.level for line in lines):
        return [Heading(line.text, i, i + 1, level=line.level, page=line.page) for i, line in enumerate(lines)
                if line.level]
    if any(line.size for line in lines):
        return _font_headings(lines)
    numbered = _numbered_headings(lines)
    if len(numbered) >= 2:
        return numbered
    return [Heading(h.title, h.start, h.end, level=1, page=h.page) for h in detect_headings(lines)]


def _heading_text(text: str) -> bool:
    """Short, capitalised and without the closing punctuation of a sentence or a list item."""
    return (
        len(text) <= MAX_HEADING_CHARS
        and len(text.split()) <= MAX_HEADING_WORDS
        and text[:1].isupper()
        and not re.search(r"[.,;:]$", text)
    )


def _reads_like_heading(text: str) -> bool:
    match = NUMBERED.match(text)
    return _heading_text(match.group(2) if match else text)


def _numbered_headings(lines: list[Line]) -> list[Heading]:
    """Numbered standalone lines whose numbers continue the document's numbering (1, 1.1, 1.2, 2, …).

    A numbered list inside a section restarts at 1 or repeats numbers, so its items fail the sequence
    check; a run of consecutive numbered lines at the same depth is a list, not headings.
    """
    headings: list[Heading] = []
    counters: list[int] = []
    for index, line in enumerate(lines):
        number = heading_number(line.text)
        if number is None or not (index == 0 or line.paragraph_start):
            continue
        parts = [int(p) for p in number.split(".")]
        if _in_list(lines, index, len(parts)) or not _continues(counters, parts):
            continue
        counters = parts
        headings.append(Heading(line.text, index, index + 1, level=len(parts), page=line.page))
    return headings


def _continues(counters: list[int], parts: list[int]) -> bool:
    """Whether `parts` may follow the last heading number `counters` (a next sibling or a first child)."""
    depth = len(parts)
    if depth > len(counters) + 1:
        return False
    previous = counters[depth - 1] if depth <= len(counters) else 0
    return parts[:-1] == counters[: depth - 1] and parts[-1] == previous + 1


def _in_list(lines: list[Line], index: int, depth: int) -> bool:
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < len(lines):
            number = heading_number(lines[neighbour].text) or _list_number(lines[neighbour].text)
            if number is not None and number.count(".") + 1 == depth:
                return True
    return False


def _list_number(text: str) -> str | None:
    match = NUMBERED.match(text)
    return match.group(1) if match else None


def _font_headings(lines: list[Line]) -> list[Heading]:
    """Lines set larger than the body text, or bold standalone lines, that read like headings."""
    body = body_size(lines)
    found: list[tuple[Heading, float]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _styled(lines, index, body) and _reads_like_heading(line.text):
            end = index + 1
            while (
                end < len(lines)
                and end - index < MAX_WRAP_LINES
                and not lines[end].paragraph_start
                and lines[end].page == line.page
                and (lines[end].size, lines[end].bold) == (line.size, line.bold)
                and heading_number(lines[end].text) is None
            ):
                end += 1
            title = " ".join(" ".join(lines[i].text for i in range(index, end)).split())
            found.append((Heading(title, index, end, page=line.page), line.size or body))
            index = end
            continue
        index += 1
    return _levels_by_size(found)


def _styled(lines: list[Line], index: int, body: float) -> bool:
    line = lines[index]
    if not line.size:
        return False
    if line.size >= body * HEADING_SIZE_RATIO:
        return True
    following = lines[index + 1] if index + 1 < len(lines) else None
    standalone = following is None or following.paragraph_start or not following.bold
    return line.bold and line.size >= body / HEADING_SIZE_RATIO and (index == 0 or line.paragraph_start) and standalone


def _levels_by_size(found: list[tuple[Heading, float]]) -> list[Heading]:
    """Numbered headings take their depth as level; an unnumbered one sits below every numbered depth set
    in a larger font (so a small unnumbered heading nests in the numbered section before it). Without
    numbering, the level is the rank of the font size (larger = higher)."""
    depth_sizes: dict[int, list[float]] = {}
    for heading, size in found:
        if number := heading_number(heading.title):
            depth_sizes.setdefault(number.count(".") + 1, []).append(size)
    sizes = sorted({size for _, size in found}, reverse=True)
    for heading, size in found:
        if number := heading_number(heading.title):
            heading.level = number.count(".") + 1
        elif depth_sizes:  # below every numbered depth set larger than it
            heading.level = 1 + sum(min(seen) > size for seen in depth_sizes.values())
        else:
            heading.level = sizes.index(size) + 1
    return [heading for heading, _ in found]
