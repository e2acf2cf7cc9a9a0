"""The alignment report as a Word document (.docx) for the officer's case file; the only place that writes .docx.

Built with python-docx from the same `AlignResponse` as the Markdown report (`matching.alignment_markdown`), with
labels in the application's language: the application's name and the date, the note that the report is input to
the officer's assessment, the main sub-priority and the other ones checked with their page references, each
addressed need and challenge with the strategy's text and the application's supporting sentences, the possible
links, and the inriktningar with the application's statements. No raw scores: confidence is said in words.
Served by POST /v1/align/docx, the UI's alignment download and `rus align FILE --out report.docx`.

Cost: 0.145 s and 38 kB for a three-sub-priority report, against 0.067 s for the alignment itself (best of 5 × 10
loops on 2 shared cores under load ~6), measured with
    python -m timeit -n 10 -r 5 -s "from datetime import date; from service.state import Corpus; \
      from service.settings import Settings; from service.answering.matching import align; \
      from service.answering.word_report import alignment_docx; \
      r = align(Corpus.open('data/index'), 'Vi vill förnya byanätet och bygga ut fiber till fäbodar och \
      turistanläggningar som saknar uppkoppling.', None, Settings())" "alignment_docx(r, 'x', date.today())"
(and "align(c, t, None, s)" for the alignment); python-docx's per-paragraph work is most of it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import docx
from docx.document import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph

from service.answering import matching
from service.answering.claims import confidence_label
from service.errors import require_text
from service.models import AlignResponse, InriktningCheck, ItemLink, SubpriorityAlignment
from service.settings import Settings
from service.state import Corpus
from service.texts import format_pages, t

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}  # the document's proofing language
NAME_MAX_CHARS = 200  # the longest application name accepted (POST /v1/align/docx's `name`)
TITLE_LINE_MAX_CHARS = 100  # a first line this short, without a full stop, is taken as the application's name
OPENING_CHARS = 60  # an unnamed application is named by its opening words, about this long
INDENT = Cm(0.9)
# characters XML 1.0 cannot hold (python-docx refuses them): C0 controls other than tab/newline/return, U+FFFE/FFFF
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
WHITESPACE = re.compile(r"\s+")
CORE_PROPERTY_MAX_CHARS = 255  # python-docx's limit on a core property such as the title


@dataclass
class WordReport:
    """A finished Word report: its bytes and the file name to offer it under."""

    content: bytes
    filename: str
    language: str


def report_filename(language: str, suffix: str = ".docx") -> str:
    """The download's file name in the report's language ("avstamning-rus.docx", "rus-alignment-report.md")."""
    return ("avstamning-rus" if language == "sv" else "rus-alignment-report") + suffix


def flat(text: str) -> str:
    """`text` on one line, runs of white space as one space, without characters a Word document cannot hold."""
    return NOT_XML.sub("", WHITESPACE.sub(" ", text))


def clean(text: str) -> str:
    """`flat(text)` without surrounding spaces."""
    return flat(text).strip()


def require_name(name: str | None) -> str | None:
    """The application's name as given in a request (None when blank), or a 4xx naming the field."""
    if name is None or not name.strip():
        return None
    return require_text(name, "name", NAME_MAX_CHARS)


def application_name(text: str, given: str | None, lang: str) -> str:
    """The application's name for the report: the name given (a request's `name`, an uploaded file's name), else
    the text's first line when it reads as a title (short, no closing full stop), else its opening words."""
    if given and clean(given):
        return clean(given)[:NAME_MAX_CHARS]
    first = clean(next((line for line in text.splitlines() if line.strip()), ""))
    if first and len(first) <= TITLE_LINE_MAX_CHARS and not first.endswith((".", "!", "?", "…")):
        return first
    opening = clean(text)
    if len(opening) > OPENING_CHARS:
        opening = opening[:OPENING_CHARS].rsplit(" ", 1)[0] + "…"
    return t("report_unnamed", lang, start=opening)


def word_report(
    corpus: Corpus, text: str, k: int | None, name: str | None, settings: Settings
) -> WordReport:
    """POST /v1/align/docx: the alignment report of `text` (as /v1/align checks it) as a Word document dated today."""
    name = require_name(name)
    report = matching.align(corpus, text, k, settings)
    content = alignment_docx(report, application_name(text, name, report.language), date.today())
    return WordReport(content, report_filename(report.language), report.language)


# --- the document ---------------------------------------------------------------------------------


def alignment_docx(report: AlignResponse, name: str, on: date) -> bytes:
    """The whole alignment report as the bytes of a .docx file, labelled in the application's language."""
    lang = report.language
    tag = LANGUAGE_TAGS.get(lang, LANGUAGE_TAGS["sv"])
    document = docx.Document()
    _set_language(document, tag)
    properties = document.core_properties
    properties.title = clean(f"{t('report_title', lang)} – {name}")[:CORE_PROPERTY_MAX_CHARS]
    properties.author = "RUS Search"
    properties.language = tag
    properties.created = properties.modified = datetime(on.year, on.month, on.day)
    properties.last_modified_by = "RUS Search"

    _heading(document, t("report_title", lang), 0)
    for label, value in ((t("report_application", lang), name), (t("report_date", lang), on.isoformat())):
        paragraph = document.add_paragraph()
        _run(paragraph, f"{label}: ", bold=True)
        _run(paragraph, value)
    _run(document.add_paragraph(), t("report_input", lang), bold=True)
    _run(document.add_paragraph(), t("report_note", lang), italic=True)

    if report.subpriorities:
        main, *others = report.subpriorities
        _heading(document, t("report_main", lang), 1)
        _subpriority(document, main, lang)
        if others:
            _heading(document, t("report_others", lang), 1)
            for alignment in others:
                _subpriority(document, alignment, lang)
    _heading(document, t("report_directions", lang), 1)
    _inriktningar(document, report.inriktningar, lang)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _subpriority(document: Document, alignment: SubpriorityAlignment, lang: str) -> None:
    """A checked sub-priority: its title, priority and pages, then its needs and its challenges."""
    ref = alignment.subpriority
    _heading(document, ref.title, 2)
    where = [ref.priority_title or "", format_pages(ref.page_start, ref.page_end, lang)]
    _run(document.add_paragraph(), " · ".join(part for part in where if part))
    for key, links in (("needs", alignment.needs), ("challenges", alignment.challenges)):
        _items(document, t(f"report_{key}", lang), links, lang)


def _items(document: Document, heading: str, links: Sequence[ItemLink], lang: str) -> None:
    """One kind of item (needs or challenges): the addressed ones in full, the possible ones with their sentence,
    and the rest by label."""
    addressed = [link for link in links if link.status == "addressed"]
    possible = [link for link in links if link.status == "possible"]
    count = t("addressed_count", lang, a=len(addressed), n=len(links))
    _heading(document, f"{heading} – {count}", 3)
    for link in addressed:
        paragraph = document.add_paragraph(style="List Bullet")
        _run(paragraph, link.item, bold=True)
        pages = format_pages(link.page_start, link.page_end, lang)
        _run(paragraph, f" ({pages})" if pages else "")
        sureness = confidence_label(link.confidence or 0.0, lang)
        _labelled(document, t("report_judgement", lang), f"{link.judgement} ({sureness})")
        _labelled(document, t("report_strategy_text", lang), _quoted(link.text))
        for sentence in link.sentences:
            _labelled(document, t("report_support", lang), _quoted(sentence.text))
    if possible:
        _run(document.add_paragraph(), f"{t('report_possible', lang)}:", bold=True)
        for link in possible:
            paragraph = document.add_paragraph(style="List Bullet")
            _run(paragraph, link.item, bold=True)
            quote = f": {_quoted(link.sentences[0].text)}" if link.sentences else ""
            _run(paragraph, f"{quote} – {link.judgement}")
    rest = ", ".join(link.item for link in links if link.status == "not_addressed") or t("report_nothing", lang)
    paragraph = document.add_paragraph()
    _run(paragraph, f"{t('report_not_addressed', lang)}: ", bold=True)
    _run(paragraph, rest)


def _inriktningar(document: Document, checks: Sequence[InriktningCheck], lang: str) -> None:
    """A table: each inriktning, its judgement, the application's statements and the strategy's own pages."""
    headers = ("report_direction", "report_judgement", "report_where", "report_in_strategy")
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, key in zip(table.rows[0].cells, headers, strict=True):
        _run(cell.paragraphs[0], t(key, lang), bold=True)
    _repeat_header_row(table)
    for check in checks:
        cells = table.add_row().cells
        _run(cells[0].paragraphs[0], check.name)
        _run(cells[1].paragraphs[0], check.judgement)
        quotes = [_quoted(sentence.text) for sentence in check.sentences] or [t("report_none", lang)]
        _run(cells[2].paragraphs[0], quotes[0])
        for quote in quotes[1:]:
            _run(cells[2].add_paragraph(), quote)
        source = check.source
        pages = format_pages(source.page_start, source.page_end, lang) if source else ""
        _run(cells[3].paragraphs[0], pages or t("report_none", lang))


# --- python-docx details --------------------------------------------------------------------------


def _quoted(text: str) -> str:
    return f"“{clean(text)}”"


def _run(paragraph: Paragraph, text: str, bold: bool = False, italic: bool = False) -> None:
    """Append `text` (cleaned) to a paragraph; every string reaches the document through here or a heading."""
    run = paragraph.add_run(flat(text))
    if bold:
        run.bold = True
    if italic:
        run.italic = True


def _heading(document: Document, text: str, level: int) -> None:
    """A heading (level 0 is the document's title)."""
    _run(document.add_heading(level=level), clean(text))


def _labelled(document: Document, label: str, text: str) -> None:
    """An indented "Label: text" paragraph under a list item."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.left_indent = INDENT
    _run(paragraph, f"{label}: ", bold=True)
    _run(paragraph, text)


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
