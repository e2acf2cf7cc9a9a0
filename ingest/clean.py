"""Remove extraction artifacts from lines and join wrapped lines into clean paragraphs."""

from __future__ import annotations

import re
from collections import Counter

from ingest.headings import body_size
from ingest.models import Line, Paragraph
from ingest.vocabulary import LIST_ITEM_START

PAGE_NUMBER = re.compile(r"^(sida|page|s\.)?\s*\d{1,4}(\s*(av|of|/)\s*\d{1,4})?$", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^<[^>]*>$")
CAPTION = re.compile(r"^(foto|photo|bild|illustration)\s*:", re.IGNORECASE)
LINK_ONLY = re.compile(  # a URL, an e-mail address or a Markdown link and nothing else: a reference, not content
    r"^(?:(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+|\[[^\]]*\]\([^)]*\)|<https?://[^>]+>)[.,;]?$",
    re.IGNORECASE,
)
HAS_WORD = re.compile(r"[^\W\d_]{2,}")
SENTENCE_END = re.compile(r"[.!?:;]$")
KEEP_HYPHEN_BEFORE = {"och", "eller", "samt", "respektive", "som", "till", "men", "utan", "and", "or"}
FOOTNOTE = re.compile(r"^(\d{1,2})\s+[A-ZÅÄÖ]")  # "6 Se även delprioritering 6.2" (a list item has "6. ")
MAX_FIRST_FOOTNOTE = 3  # the count may start at 1–3 (a first footnote can be unrecognisable, e.g. a bare URL)
MAX_FOOTNOTE_GAP = 2  # … and skip one number (the strategy's footnote 7 is not in its text layer)
MAX_CAPTION_TAIL = 90
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be a running header/footer


def running_lines(lines: list[Line], n_pages: int) -> set[str]:
    """Texts that repeat at the top or bottom of most pages: running headers and footers.

    Only the first and last EDGE_LINES lines of each page are candidates, so a heading that merely
    recurs on many pages of a short document (e.g. "Identifierade behov") is not mistaken for one.
    """
    if n_pages < 3:
        return set()
    by_page: dict[int | None, list[str]] = {}
    for line in lines:
        by_page.setdefault(line.page, []).append(line.text)
    pages_with: Counter[str] = Counter()
    for texts in by_page.values():
        for text in set(texts[:EDGE_LINES] + texts[-EDGE_LINES:]):
            pages_with[text] += 1
    return {text for text, count in pages_with.items() if count >= max(3, n_pages * 0.5) and len(text) < 120}


def drop_artifacts(lines: list[Line], n_pages: int) -> list[Line]:
    """Drop running headers/footers, page numbers, link-only lines, photo captions, placeholders and figure debris."""
    repeated = running_lines(lines, n_pages)
    kept: list[Line] = []
    skip_caption_tail = False
    for index, line in enumerate(lines):
        text = line.text.strip()
        if skip_caption_tail:
            skip_caption_tail = False
            following = lines[index + 1] if index + 1 < len(lines) else None
            ends_block = following is None or following.paragraph_start or following.page != line.page
            if len(text) <= MAX_CAPTION_TAIL and ends_block and not line.paragraph_start:
                continue
        if CAPTION.match(text):
            skip_caption_tail = True
            continue
        if text in repeated or PAGE_NUMBER.match(text) or PLACEHOLDER.match(text) or is_link_only(text):
            continue
        if not HAS_WORD.search(text) and not _continues_with_number(line, text):
            continue
        kept.append(line)
    return kept


def drop_footnotes(lines: list[Line]) -> list[Line]:
    """Drop a PDF's numbered footnotes: a plain line at a paragraph start (or after a full sentence), no larger than
    the body text, that opens with the next number of the document's running footnote count ("2 Länk till …", then
    "3 …", … "11 …"), with the lines that continue it on its page. Left in, they cut the text they interrupt
    ("Utmaning 4: Inte tillräckligt många digitala tjänster och" | "6 Se även delprioritering 6.2" | "lösningar är
    …") and become passages of their own."""
    if not any(line.size for line in lines):
        return lines
    body = body_size(lines)
    dropped: set[int] = set()
    last: int | None = None
    for index, line in enumerate(lines):
        match = FOOTNOTE.match(line.text.strip())
        if index in dropped or not match or line.bold or round(line.size or body, 1) > body:
            continue
        after_sentence = index > 0 and SENTENCE_END.search(lines[index - 1].text.rstrip())
        number = int(match.group(1))
        expected = number <= MAX_FIRST_FOOTNOTE if last is None else last < number <= last + MAX_FOOTNOTE_GAP
        if not (line.paragraph_start or after_sentence) or not expected:
            continue
        last = number
        dropped.add(index)
        following = index + 1
        while following < len(lines) and not lines[following].paragraph_start and lines[following].page == line.page:
            dropped.add(following)
            following += 1
    return [line for index, line in enumerate(lines) if index not in dropped]


def is_link_only(text: str) -> bool:
    """A line that is nothing but a URL, an e-mail address or a Markdown link."""
    return bool(LINK_ONLY.match(text.strip()))


def _continues_with_number(line: Line, text: str) -> bool:
    """A figure such as "134 249." wrapped onto its own line is paragraph text, not debris."""
    return not line.paragraph_start and any(ch.isdigit() for ch in text)


def join_wrapped(texts: list[str]) -> str:
    """Join hard-wrapped lines into one string, undoing line-end hyphenation but keeping real compounds.

    "utveck-" + "lingen" -> "utvecklingen"; "klimat-" + "och" -> "klimat- och"; "EU-" + "medel" -> "EU-medel".
    """
    out = ""
    for raw in texts:
        text = " ".join(raw.replace("\u00ad", "").split())
        if not text:
            continue
        if not out:
            out = text
            continue
        if re.search(r"[^\W\d_]-$|\d-$", out) or out.endswith("\u2010"):
            out = out[:-1]
            first_word = text.split(" ", 1)[0].lower()
            stem = re.search(r"(\w+)$", out)
            stem_text = stem.group(1) if stem else ""
            if first_word in KEEP_HYPHEN_BEFORE:
                out += "- " + text
            elif stem_text.isupper() or stem_text.isdigit() or text[0].isupper() or text[0].isdigit():
                out += "-" + text
            else:
                out += text
        else:
            out += " " + text
    return out


def paragraphs_from_lines(lines: list[Line]) -> list[Paragraph]:
    """Group lines into paragraphs using layout gaps, list markers and page breaks."""
    groups: list[list[Line]] = []
    for line in lines:
        if not groups or _starts_paragraph(groups[-1][-1], line):
            groups.append([line])
        else:
            groups[-1].append(line)
    paragraphs = []
    for group in groups:
        text = join_wrapped([line.text for line in group])
        if text:
            paragraphs.append(Paragraph(text, group[0].page, group[-1].page))
    return paragraphs


def _starts_paragraph(previous: Line, line: Line) -> bool:
    text = line.text.lstrip()
    if LIST_ITEM_START.match(text):
        return True
    if line.page != previous.page:
        last_word = previous.text.rstrip().rsplit(" ", 1)[-1]
        open_ended = not SENTENCE_END.search(last_word) and (text[:1].islower() or last_word.islower())
        return not open_ended
    continues = text[:1].islower() and not SENTENCE_END.search(previous.text.rstrip())
    return line.paragraph_start and not continues
