"""The alignment report as a Word document (.docx) for the officer's case file: what it says, in what order.

Written through `ingest.word.WordWriter` from the same `AlignResponse` as the Markdown report
(`matching.alignment_markdown`), with labels in the application's language: the application's name and the date, the
note that the report is input to the officer's assessment, the main sub-priority and the other ones checked with
their page references, each addressed need and challenge with the strategy's text and the application's supporting
sentences, the possible links, and the inriktningar with the application's statements. No raw scores: confidence is
said in words.
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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ingest.word import Cell, Run, WordWriter, clean
from service.answering import matching
from service.answering.claims import confidence_label
from service.errors import require_text
from service.limits import Budget
from service.models import AlignResponse, InriktningCheck, ItemLink, SubpriorityAlignment
from service.settings import Settings
from service.state import Corpus
from service.texts import format_pages, t

LANGUAGE_TAGS = {"sv": "sv-SE", "en": "en-GB"}  # the document's proofing language
NAME_MAX_CHARS = 200  # the longest application name accepted (POST /v1/align/docx's `name`)
TITLE_LINE_MAX_CHARS = 100  # a first line this short, without a full stop, is taken as the application's name
OPENING_CHARS = 60  # an unnamed application is named by its opening words, about this long


@dataclass
class WordReport:
    """A finished Word report: its bytes and the file name to offer it under."""

    content: bytes
    filename: str
    language: str


def report_filename(language: str, suffix: str = ".docx") -> str:
    """The download's file name in the report's language ("avstamning-rus.docx", "rus-alignment-report.md")."""
    return ("avstamning-rus" if language == "sv" else "rus-alignment-report") + suffix


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
    corpus: Corpus, text: str, k: int | None, name: str | None, settings: Settings, budget: Budget | None = None
) -> WordReport:
    """POST /v1/align/docx: the alignment report of `text` (as /v1/align checks it) as a Word document dated today;
    with a `budget` the check stops with OverTimeBudget (503) once it has run out, as /v1/align's does."""
    name = require_name(name)
    report = matching.align(corpus, text, k, settings, budget)
    content = alignment_docx(report, application_name(text, name, report.language), date.today())
    return WordReport(content, report_filename(report.language), report.language)


# --- the document ---------------------------------------------------------------------------------


def alignment_docx(report: AlignResponse, name: str, on: date) -> bytes:
    """The whole alignment report as the bytes of a .docx file, labelled in the application's language."""
    lang = report.language
    document = WordWriter(
        f"{t('report_title', lang)} – {name}",
        author="RUS Search",
        created=datetime(on.year, on.month, on.day),
        language=LANGUAGE_TAGS.get(lang, LANGUAGE_TAGS["sv"]),
        last_modified_by="RUS Search",
    )
    document.heading(t("report_title", lang), 0)
    document.labelled(t("report_application", lang), name)
    document.labelled(t("report_date", lang), on.isoformat())
    document.paragraph(Run(t("report_input", lang), bold=True))
    document.paragraph(Run(t("report_note", lang), italic=True))

    if report.subpriorities:
        main, *others = report.subpriorities
        document.heading(t("report_main", lang), 1)
        _subpriority(document, main, lang)
        if others:
            document.heading(t("report_others", lang), 1)
            for alignment in others:
                _subpriority(document, alignment, lang)
    document.heading(t("report_directions", lang), 1)
    _inriktningar(document, report.inriktningar, lang)
    return document.to_bytes()


def _subpriority(document: WordWriter, alignment: SubpriorityAlignment, lang: str) -> None:
    """A checked sub-priority: its title, priority and pages, then its needs and its challenges."""
    ref = alignment.subpriority
    document.heading(ref.title, 2)
    where = [ref.priority_title or "", format_pages(ref.page_start, ref.page_end, lang)]
    document.paragraph(" · ".join(part for part in where if part))
    for key, links in (("needs", alignment.needs), ("challenges", alignment.challenges)):
        _items(document, t(f"report_{key}", lang), links, lang)


def _items(document: WordWriter, heading: str, links: Sequence[ItemLink], lang: str) -> None:
    """One kind of item (needs or challenges): the addressed ones in full, the possible ones with their sentence,
    and the rest by label."""
    addressed = [link for link in links if link.status == "addressed"]
    possible = [link for link in links if link.status == "possible"]
    count = t("addressed_count", lang, a=len(addressed), n=len(links))
    document.heading(f"{heading} – {count}", 3)
    for link in addressed:
        pages = format_pages(link.page_start, link.page_end, lang)
        document.paragraph(Run(link.item, bold=True), f" ({pages})" if pages else "", bullet=True)
        sureness = confidence_label(link.confidence or 0.0, lang)
        document.labelled(t("report_judgement", lang), f"{link.judgement} ({sureness})", indented=True)
        document.labelled(t("report_strategy_text", lang), _quoted(link.text), indented=True)
        for sentence in link.sentences:
            document.labelled(t("report_support", lang), _quoted(sentence.text), indented=True)
    if possible:
        document.paragraph(Run(f"{t('report_possible', lang)}:", bold=True))
        for link in possible:
            quote = f": {_quoted(link.sentences[0].text)}" if link.sentences else ""
            document.paragraph(Run(link.item, bold=True), f"{quote} – {link.judgement}", bullet=True)
    rest = ", ".join(link.item for link in links if link.status == "not_addressed") or t("report_nothing", lang)
    document.labelled(t("report_not_addressed", lang), rest)


def _inriktningar(document: WordWriter, checks: Sequence[InriktningCheck], lang: str) -> None:
    """A table: each inriktning, its judgement, the application's statements and the strategy's own pages."""
    headers = ("report_direction", "report_judgement", "report_where", "report_in_strategy")
    rows: list[list[Cell]] = []
    for check in checks:
        quotes = [_quoted(sentence.text) for sentence in check.sentences] or [t("report_none", lang)]
        source = check.source
        pages = format_pages(source.page_start, source.page_end, lang) if source else ""
        rows.append([check.name, check.judgement, quotes, pages or t("report_none", lang)])
    document.table([t(key, lang) for key in headers], rows)


def _quoted(text: str) -> str:
    """`text` cleaned, in quotation marks."""
    return f"“{clean(text)}”"
