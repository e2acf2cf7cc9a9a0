"""Read an HTML page into lines with the stdlib parser: h1–h3 are headings, lists and table rows are lines.

Page furniture (script, style, nav, header, footer, aside, form) is skipped, and a block that is nothing
but a link (a "Läs mer" or a menu entry) is left out: it is navigation, not content.
"""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from ingest.limits import IngestLimits
from ingest.models import Extracted, Line
from ingest.text import read_text

SKIPPED = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3}
BLOCKS = {
    "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "main", "blockquote",
    "pre", "dt", "dd", "caption", "figcaption", "table", "ul", "ol", "dl", "br", "hr", "body",
}  # fmt: skip
VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
FEED_CHARS = 1 << 20  # the markup is parsed in pieces this long, the time limit checked between them


class _PageParser(HTMLParser):
    """Collects blocks of text; each block remembers how much of its text sat inside links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[Line] = []
        self.title_parts: list[str] = []
        self._skip_tag = ""
        self._skip_depth = 0  # > 0 while inside a skipped element (nested ones of the same tag counted)
        self._in_title = False
        self._link_depth = 0
        self._text: list[str] = []
        self._link_chars = 0
        self._heading: int | None = None
        self._lists: list[list[int | None]] = []  # per open list: [counter or None for bullets]
        self._cells: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            self._skip_depth += tag == self._skip_tag
            return
        if tag in SKIPPED:
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag == "title":
            self._in_title = True
            return
        if tag == "a":
            self._link_depth += 1
            return
        if tag in ("td", "th"):
            self._flush_cell()
            return
        if tag in BLOCKS:
            self._flush()
        if tag == "tr":
            self._cells = []
        elif tag in ("ul", "ol"):
            self._lists.append([0 if tag == "ol" else None])
        elif tag == "li" and self._lists:
            counter = self._lists[-1]
            if counter[0] is None:
                self._text.append("• ")
            else:
                counter[0] += 1
                self._text.append(f"{counter[0]}. ")
        elif tag in HEADINGS:
            self._heading = HEADINGS[tag]

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            self._skip_depth -= tag == self._skip_tag
            return
        if tag == "title":
            self._in_title = False
        elif tag == "a":
            self._link_depth = max(0, self._link_depth - 1)
        elif tag in ("td", "th"):
            self._flush_cell()
        elif tag == "tr":
            self._flush_row()
        elif tag in BLOCKS:
            self._flush()
            if tag in ("ul", "ol") and self._lists:
                self._lists.pop()
            if tag in HEADINGS:
                self._heading = None

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title_parts.append(data)
            return
        self._text.append(data)
        if self._link_depth:
            self._link_chars += len("".join(data.split()))

    def close(self) -> None:
        super().close()
        self._flush_row()
        self._flush()

    def _take(self) -> tuple[str, bool]:
        """The pending text and whether all of it (ignoring list markers) was link text."""
        text = " ".join("".join(self._text).split())
        content = text.lstrip("•0123456789. ")
        link_only = bool(content) and self._link_chars >= len("".join(content.split()))
        self._text, self._link_chars = [], 0
        return text, link_only

    def _flush(self) -> None:
        if self._cells is not None:
            self._flush_cell()
            return
        text, link_only = self._take()
        if not text or (link_only and self._heading is None):
            return
        heading = self._heading
        self.lines.append(Line(text, None, bold=heading is not None, paragraph_start=True, level=heading))

    def _flush_cell(self) -> None:
        text, link_only = self._take()
        if text and not link_only and self._cells is not None:
            self._cells.append(text)

    def _flush_row(self) -> None:
        if self._cells is None:
            return
        self._flush_cell()
        if self._cells:
            self.lines.append(Line(" | ".join(self._cells), None, paragraph_start=True))
        self._cells = None


def read_html(path: Path, limits: IngestLimits, deadline: float) -> Extracted:
    """The HTML format's reader: the page's content lines and its <title>, text and time limited."""
    markup = read_text(path, limits)
    lines, title = html_lines(markup, lambda done: limits.check_time(path, deadline, f"character {done:,}"))
    return Extracted(lines, title)


def html_lines(markup: str, between: Callable[[int], None] | None = None) -> tuple[list[Line], str | None]:
    """The page's content lines in reading order, and its <title> (None when it has none); `between(done)` is
    called after each piece of markup is parsed (the time limit)."""
    parser = _PageParser()
    for start in range(0, len(markup), FEED_CHARS):
        parser.feed(markup[start : start + FEED_CHARS])
        if between is not None:
            between(start + FEED_CHARS)
    parser.close()
    title = " ".join("".join(parser.title_parts).split()) or None
    return parser.lines, title
