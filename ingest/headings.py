"""Recognise the strategy's headings: classify a title, and find headings in text that has no outline."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.models import Heading, Line
from ingest.vocabulary import NEEDS_HEADING, PLANS_HEADING, PRIORITY_HEADING, SUBPRIORITY_HEADING

STRUCTURAL = (PRIORITY_HEADING, SUBPRIORITY_HEADING, NEEDS_HEADING, PLANS_HEADING)
MAX_WRAP_LINES = 3
HEADING_SIZE_RATIO = 1.05
MAX_PLAIN_HEADING_CHARS = 80
MAX_PLAIN_HEADING_WORDS = 10


@dataclass(frozen=True)
class HeadingKind:
    """What a heading is: kind, the priority it belongs to and the canonical section id it opens."""

    kind: str  # priority | subpriority | needs | plans | other
    priority: int | None = None
    section_id: str | None = None


def classify(title: str) -> HeadingKind:
    """Classify a heading title by the strategy's conventions."""
    if match := PRIORITY_HEADING.match(title):
        number = int(match.group(1))
        return HeadingKind("priority", number, f"P {number}")
    if match := SUBPRIORITY_HEADING.match(title):
        return HeadingKind("subpriority", int(match.group(1)), f"{match.group(1)}.{match.group(2)}")
    if NEEDS_HEADING.match(title):
        return HeadingKind("needs")
    if PLANS_HEADING.match(title):
        return HeadingKind("plans")
    return HeadingKind("other")


def detect_headings(lines: list[Line]) -> list[Heading]:
    """Find headings in a line stream: by font (bold or larger than body text) when the PDF gives it,
    else by the strategy's heading patterns and the shape of a standalone title line."""
    has_fonts = any(line.size for line in lines)
    body = body_size(lines) if has_fonts else None
    headings: list[Heading] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        # without font sizes, a bold line is a Markdown "#" heading (see ingest.text)
        styled = _is_styled(line, body) if body is not None else line.bold
        structural = any(pattern.match(line.text) for pattern in STRUCTURAL)
        if styled or (structural and _is_own_line(lines, index)):
            end = _wrap_end(lines, index, body)
            title = " ".join(" ".join(lines[i].text for i in range(index, end)).split())
            headings.append(Heading(title, index, end, page=line.page))
            index = end
            continue
        if body is None and _looks_like_plain_heading(lines, index):
            headings.append(Heading(line.text.strip(), index, index + 1, page=line.page))
        index += 1
    return headings


def body_size(lines: list[Line]) -> float:
    """The font size of the body text: the most common size of plain (not bold) lines, 10 when none has one."""
    sizes = Counter(round(line.size or 0, 1) for line in lines if line.size and not line.bold)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _is_styled(line: Line, body: float) -> bool:
    return bool(line.bold and line.size and line.size >= body * HEADING_SIZE_RATIO)


def _is_own_line(lines: list[Line], index: int) -> bool:
    """A structural pattern only counts where it starts a paragraph (not mid-sentence)."""
    return index == 0 or lines[index].paragraph_start or lines[index].page != lines[index - 1].page


def _wrap_end(lines: list[Line], start: int, body: float | None) -> int:
    """Index after the last line of a heading that may wrap over several lines."""
    first = lines[start]
    end = start + 1
    while end < len(lines) and end - start < MAX_WRAP_LINES:
        nxt = lines[end]
        if nxt.page != first.page or nxt.paragraph_start:
            break
        if body is not None:
            if not (_is_styled(nxt, body) and nxt.size == first.size) or classify(nxt.text).kind != "other":
                break
        elif not nxt.text[:1].islower():
            break
        end += 1
    return end


def _looks_like_plain_heading(lines: list[Line], index: int) -> bool:
    """A short standalone capitalised line without closing punctuation, followed by body text."""
    line = lines[index]
    text = line.text.strip()
    following = lines[index + 1] if index + 1 < len(lines) else None
    return (
        _is_own_line(lines, index)
        and following is not None
        and following.paragraph_start
        and len(text) <= MAX_PLAIN_HEADING_CHARS
        and len(text.split()) <= MAX_PLAIN_HEADING_WORDS
        and text[:1].isupper()
        and not re.search(r"[.,:;!]$|^\d|^[•●▪]", text)
        and len(following.text) > len(text)
    )
