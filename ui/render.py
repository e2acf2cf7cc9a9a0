"""HTML for the UI's results, from the service's response models (every text is escaped here).

Nothing here decides anything: the answers, matches, alignments and sections come from the service
functions; this module only lays them out (numbered citations, highlighted sentences, expandable sections).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Iterable, Sequence

from service.answering import sections
from service.answering.claims import confidence_label
from service.answering.decision import confidence_level
from service.errors import NotFound
from service.library.documents import file_url
from service.models import (
    AlignResponse,
    AskResponse,
    Citation,
    DocumentsResponse,
    ItemLink,
    ItemQuote,
    MatchResponse,
    PriorityNode,
    SectionDetail,
    SectionRef,
    SectionTreeResponse,
    Span,
    SubpriorityMatch,
    SubpriorityNode,
    SubpriorityRef,
)
from service.state import Corpus
from service.texts import format_pages
from ui.texts import t

LANGUAGE_NAMES = {"sv": {"sv": "svenska", "en": "engelska"}, "en": {"sv": "Swedish", "en": "English"}}
PART_TITLES = {
    "subpriority": "goal",
    "challenges": "challenges",
    "actors": "actors",
    "needs": "needs",
}


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def count(n: int, key: str, lang: str) -> str:
    """ "1 mening" / "3 meningar" (texts `key` and `key + "s"`)."""
    return t(key if n == 1 else key + "s", lang, n=n)


def language_name(code: str, lang: str) -> str:
    """The name of language `code` in the interface language `lang` ("en" in Swedish: "engelska")."""
    return LANGUAGE_NAMES.get(lang, {}).get(code, code)


def examples_html(title: str, examples: Sequence[str]) -> str:
    """Example inputs as buttons (the UI fills the box with one and runs it when clicked)."""
    buttons = "".join(
        f'<button type="button" class="rus-example" data-example="{esc(text)}" title="{esc(text)}">{esc(text)}</button>'
        for text in examples
    )
    return f'<div class="rus-examples"><div class="rus-examples-title">{esc(title)}</div>{buttons}</div>'


# --- messages -------------------------------------------------------------------------------------


def notice(message_html: str, kind: str = "info") -> str:
    """A boxed message; kind is info, empty, warning or error. `message_html` must already be escaped."""
    icon = {"info": "i", "empty": "…", "warning": "!", "error": "!"}.get(kind, "i")
    role = ' role="alert"' if kind == "error" else ""
    return (
        f'<div class="rus-notice rus-notice-{kind}"{role}><span class="rus-notice-icon" aria-hidden="true">'
        f"{icon}</span><div>{message_html}</div></div>"
    )


def placeholder(message: str) -> str:
    return f'<div class="rus-placeholder">{esc(message)}</div>'


# --- highlighting ----------------------------------------------------------------------------------


def highlighted(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` escaped, with the [start, end) spans wrapped in <mark>."""
    out: list[str] = []
    cursor = 0
    for start, end in sorted({(max(0, s), min(len(text), e)) for s, e in spans if e > s}):
        if start < cursor:
            start = cursor
        if start >= end:
            continue
        out.append(esc(text[cursor:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def paragraphs(text: str, needles: Sequence[str] = ()) -> str:
    """Paragraphs (split on blank lines) as <p>, with any of `needles` found in them marked."""
    needles = [n.strip() for n in needles if n and len(n.strip()) >= 12]
    out = []
    for paragraph in text.split("\n\n"):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        spans = []
        for needle in needles:
            at = paragraph.find(needle)
            if at >= 0:
                spans.append((at, at + len(needle)))
        out.append(f"<p>{highlighted(paragraph, spans)}</p>")
    return "".join(out)


# --- the English rendering -----------------------------------------------------------------------


def bilingual(
    swedish: str,
    english: str | None,
    lang: str,
    tag: str = "div",
    cls: str = "",
    swedish_spans: Iterable[tuple[int, int]] = (),
    english_spans: Iterable[tuple[int, int]] = (),
    after: str = "",
) -> str:
    """A passage as the reader should see it: in the Swedish interface (or without an English rendering) the
    Swedish text; in the English one the team's English rendering first, labelled an unofficial translation,
    with the Swedish original behind a <details>. Each text is escaped with its own spans marked; `after` (HTML,
    e.g. a [n] reference) ends the first text shown."""
    attr = f' class="{cls}"' if cls else ""
    if lang != "en" or not english:
        return f"<{tag}{attr}>{highlighted(swedish, swedish_spans)}{after}</{tag}>"
    return (
        f'<div class="rus-bilingual"><span class="rus-unofficial">{esc(t("unofficial_translation", lang))}</span>'
        f"<{tag}{attr}>{highlighted(english, english_spans)}{after}</{tag}>"
        f'<details class="rus-original"><summary>{esc(t("swedish_original", lang))}</summary>'
        f'<{tag}{attr} lang="sv">{highlighted(swedish, swedish_spans)}</{tag}></details></div>'
    )


# --- sections -------------------------------------------------------------------------------------


def section_detail(corpus: Corpus, section_id: str, doc_id: str | None) -> SectionDetail | None:
    try:
        return sections.section_detail(corpus, section_id, doc_id)
    except NotFound:
        return None


def section_label(corpus: Corpus, citation: Citation) -> str:
    """ "3.1 Samverkanskraft …" for a sub-priority, the priority heading for "P 3", else the heading text."""
    detail = section_detail(corpus, citation.section_id, citation.doc_id)
    return detail.title if detail else citation.section_id


def section_body(detail: SectionDetail, lang: str, needles: Sequence[str] = ()) -> str:
    """All parts of a section, each under its own heading, with `needles` marked."""
    out = []
    for part in detail.parts:
        heading = part.heading_path[-1] if part.heading_path else detail.title
        where = format_pages(part.page_start, part.page_end, lang)
        out.append(
            f'<div class="rus-part"><div class="rus-part-head">{esc(heading)}'
            f"{f' <span class=rus-pages>{esc(where)}</span>' if where else ''}</div>"
            f"{paragraphs(part.text, needles)}</div>"
        )
    return "".join(out)


def section_expander(
    corpus: Corpus, section_id: str, doc_id: str | None, lang: str, needles=(), label=None, cls: str = ""
) -> str:
    detail = section_detail(corpus, section_id, doc_id)
    if detail is None:
        return ""
    where = format_pages(detail.page_start, detail.page_end, lang)
    summary = f"{label or t('show_section', lang)}: {detail.title}" + (f" ({where})" if where else "")
    return (
        f'<details class="rus-section {cls}"><summary>{esc(summary)}</summary>'
        f'<div class="rus-section-body">{section_body(detail, lang, needles)}</div></details>'
    )


# --- citations ------------------------------------------------------------------------------------


def breadcrumb(path: Sequence[str]) -> str:
    return ' <span class="rus-sep" aria-hidden="true">›</span> '.join(esc(p) for p in path)


def source_href(corpus: Corpus, doc_id: str, page: int | None) -> str | None:
    """Where the UI opens a document's original file (at `page` for a PDF), or None when the index keeps none."""
    entry = corpus.index.documents.get(doc_id) or {}
    if not entry.get("file"):
        return None
    anchor = f"#page={page}" if page is not None and str(entry["file"]).lower().endswith(".pdf") else ""
    return f"{file_url(doc_id)}{anchor}"


def source_link(corpus: Corpus, doc_id: str, page: int | None, lang: str, label: str | None = None) -> str:
    """A link that opens the original file in a new tab (empty when the index keeps no file)."""
    href = source_href(corpus, doc_id, page)
    if href is None:
        return ""
    text = label or t("open_source", lang) + (f", {format_pages(page, None, lang)}" if page is not None else "")
    return f'<a class="rus-source" href="{esc(href)}" target="_blank" rel="noopener">{esc(text)}</a>'


def document_meta(citation: Citation) -> str:
    """ "Länstransportplan … · plan · 2022": the document's title, kind and year."""
    return " · ".join(str(x) for x in (citation.doc_title, citation.doc_kind, citation.doc_year) if x)


def citation_card(corpus: Corpus, citation: Citation, number: int, prefix: str, lang: str, expand: bool = True) -> str:
    where = format_pages(citation.page_start, citation.page_end, lang)
    label = section_label(corpus, citation)
    item = f" · {esc(citation.item)}" if citation.item else ""
    needles = [s.text for s in citation.spans]
    return (
        f'<li class="rus-citation" id="{prefix}-{number}">'
        f'<div class="rus-cite-head"><span class="rus-num">{number}</span>'
        f'<span class="rus-cite-section">{esc(label)}{item}</span>'
        f'<span class="rus-pages">{esc(where)}</span></div>'
        f'<div class="rus-cite-meta"><span class="rus-doc" title="{esc(t("document", lang))}">'
        f"{esc(document_meta(citation))}</span>{source_link(corpus, citation.doc_id, citation.page_start, lang)}</div>"
        f'<div class="rus-path" title="{esc(t("heading_path", lang))}">{breadcrumb(citation.heading_path)}</div>'
        f"{bilingual(citation.passage, citation.text_en, lang, 'blockquote', 'rus-passage', _offsets(citation.spans), _offsets(citation.spans_en))}"  # noqa: E501
        f"{section_expander(corpus, citation.section_id, citation.doc_id, lang, needles) if expand else ''}"
        f"</li>"
    )


def _offsets(spans: Sequence[Span]) -> list[tuple[int, int]]:
    return [(span.start, span.end) for span in spans]


def citation_list(
    corpus: Corpus, citations: Sequence[Citation], prefix: str, lang: str, title: str, expand: bool = True
) -> str:
    if not citations:
        return ""
    cards = "".join(citation_card(corpus, c, i, prefix, lang, expand) for i, c in enumerate(citations, start=1))
    return f'<h3 class="rus-h">{esc(title)}</h3><ol class="rus-citations">{cards}</ol>'


def ref(number: int, prefix: str) -> str:
    return f'<a class="rus-ref" href="#{prefix}-{number}">[{number}]</a>'


# --- ask ------------------------------------------------------------------------------------------


def _subpriority_heading(sub: SubpriorityRef, lang: str) -> str:
    where = format_pages(sub.page_start, sub.page_end, lang)
    meta = " · ".join(esc(x) for x in (sub.priority_title, where) if x)
    return f'<h2 class="rus-answer-title">{esc(sub.title)}</h2><div class="rus-meta">{meta}</div>'


def confidence_word(response: AskResponse | MatchResponse, lang: str) -> str:
    """ "Säkerhet: hög" / "Confidence: medium": the answer state's word (service.answering.decision.confidence_level),
    never a probability or a cosine; empty when no state was decided."""
    if response.confidence is None:
        return ""
    level = t(f"level_{confidence_level(response.state)}", lang)
    return f'<span class="rus-confidence">{esc(t("confidence", lang, level=level))}</span>'


def _quote(swedish: str, english: str | None, lang: str, after: str = "") -> str:
    """A quoted need or sentence (in English first in the English interface, when there is a rendering)."""
    return bilingual(f"“{swedish}”", f"“{english}”" if english else None, lang, "blockquote", "rus-quote", after=after)


def _cited_sentences(cite: Citation, number: int, prefix: str, lang: str) -> str:
    """The supporting sentences of a citation, quoted, with its [n] reference."""
    english = " … ".join(s.text for s in cite.spans_en) if cite.text_en and cite.spans_en else None
    return _quote(" … ".join(s.text for s in cite.spans), english, lang, ref(number, prefix))


def _closest_html(closest: Sequence[SubpriorityRef], lang: str) -> str:
    """The sub-priorities closest to a low-confidence question, for the reader to choose from."""
    if not closest:
        return ""
    items = "".join(
        f"<li><b>{esc(sub.title)}</b>"
        f'<span class="rus-meta"> {" · ".join(esc(x) for x in (sub.priority_title, format_pages(sub.page_start, sub.page_end, lang)) if x)}</span></li>'  # noqa: E501
        for sub in closest
    )
    return f'<h3 class="rus-h">{esc(t("closest_subpriorities", lang))}</h3><ul class="rus-closest">{items}</ul>'


def ask_html(corpus: Corpus, response: AskResponse, lang: str, actions: str = "") -> str:
    """The answer (quoted, with [n] references) and `actions` (feedback, copy link) above its numbered sources."""
    prefix = "ask-cite"
    confidence = confidence_word(response, lang)
    if not response.covered:
        body = notice(esc(response.answer), "warning")
        return (
            f'<div class="rus-answer rus-answer-none"><div class="rus-kicker">{esc(t("not_covered_title", lang))}'
            f"{confidence}</div>{body}</div>{actions}"
            f"{citation_list(corpus, response.related, prefix, lang, t('closest', lang))}"
        )
    lines = []
    by_chunk = {c.chunk_id: i for i, c in enumerate(response.citations, start=1)}
    if response.answer_type == "subpriority" and response.subpriority is not None:
        kicker = t("answer_subpriority", lang)
        lines.append(_subpriority_heading(response.subpriority, lang))
        for need in response.needs:
            number = by_chunk.get(need.chunk_id or "")
            where = format_pages(need.page_start, need.page_end, lang)
            lines.append(
                f'<div class="rus-lead">{esc(t("matching_need", lang))} – {esc(need.item)}'
                f"{f' <span class=rus-pages>{esc(where)}</span>' if where else ''}</div>"
                f"{_quote(need.text, need.text_en, lang, ref(number, prefix) if number else '')}"
            )
        shown = {n.chunk_id for n in response.needs}
        extra = [i for i, c in enumerate(response.citations, start=1) if c.chunk_id not in shown]
        if extra and response.needs:
            refs = " ".join(ref(i, prefix) for i in extra)
            lines.append(f'<div class="rus-also">{esc(t("see_also", lang))} {refs}</div>')
        elif extra:  # no need matched: quote the sub-priority's best passage instead of pointing at it
            lines.append(_cited_sentences(response.citations[extra[0] - 1], extra[0], prefix, lang))
    else:
        kicker = t("answer_fact", lang)
        for number, cite in enumerate(response.citations, start=1):
            lines.append(_cited_sentences(cite, number, prefix, lang))
    if response.state == "low_confidence":
        kicker = t("low_confidence_title", lang)
        lines.insert(0, notice(esc(t("low_confidence_answer", lang)), "warning"))
        lines.append(_closest_html(response.closest, lang))
    return (
        f'<div class="rus-answer"><div class="rus-kicker">{esc(kicker)}{confidence}</div>{"".join(lines)}</div>'
        f"{actions}{citation_list(corpus, response.citations, prefix, lang, t('sources', lang))}"
        f"{citation_list(corpus, response.related, 'ask-related', lang, t('related_documents', lang), False)}"
    )


# --- match ----------------------------------------------------------------------------------------


def _need_item(need: ItemQuote, lang: str) -> str:
    where = format_pages(need.page_start, need.page_end, lang)
    return (
        f'<li class="rus-item"><div class="rus-item-head"><b>{esc(need.item)}</b>'
        f'<span class="rus-pages">{esc(where)}</span></div>'
        f"{bilingual(need.text, need.text_en, lang, cls='rus-item-text')}</li>"
    )


def match_html(
    corpus: Corpus,
    response: MatchResponse,
    lang: str,
    head: str = "",
    card_actions: Callable[[int, SubpriorityMatch], str] | None = None,
) -> str:
    """Ranked sub-priority cards; `head` (e.g. a copy-link button) above them, `card_actions` ending each card."""
    summary = t(
        "match_summary",
        lang,
        n=len(response.matches),
        sentences=count(response.n_sentences, "sentence", lang),
        language=language_name(response.language, lang),
    )
    cards = []
    for rank, match in enumerate(response.matches, start=1):
        sub = match.subpriority
        where = format_pages(sub.page_start, sub.page_end, lang)
        needs = "".join(_need_item(n, lang) for n in match.needs)
        prefix = f"match-{rank}-cite"
        evidence = citation_list(corpus, match.passages, prefix, lang, t("evidence", lang), expand=False)
        doc_id = match.passages[0].doc_id if match.passages else None
        needles = [span.text for c in match.passages for span in c.spans] + [n.text for n in match.needs]
        expander = section_expander(
            corpus, sub.section_id, doc_id, lang, needles, t("show_subpriority", lang), "rus-flush"
        )
        cards.append(
            f'<section class="rus-card rus-match">'
            f'<div class="rus-card-head"><span class="rus-rank">{rank}</span>'
            f'<div class="rus-card-title"><h2>{esc(sub.title)}</h2>'
            f'<div class="rus-meta">{esc(sub.priority_title or "")}{" · " if sub.priority_title else ""}'
            f"{esc(where)}</div></div></div>"
            f'<h3 class="rus-h">{esc(t("matching_needs", lang))}</h3><ul class="rus-items">{needs}</ul>'
            f"{evidence}{expander}{card_actions(rank, match) if card_actions else ''}</section>"
        )
    return f'<p class="rus-summary">{esc(summary)} {confidence_word(response, lang)}</p>{head}{"".join(cards)}'


# --- align ----------------------------------------------------------------------------------------


def _links(links: Sequence[ItemLink], key: str, lang: str) -> str:
    """One kind of items (needs or challenges): the claims with their judgement and supporting sentences, the
    possible links (marked as not support), then the rest folded away."""
    addressed = [link for link in links if link.status == "addressed"]
    possible = [link for link in links if link.status == "possible"]
    rest = [link for link in links if link.status == "not_addressed"]
    share = len(addressed) / len(links) if links else 0.0
    head = (
        f'<div class="rus-links-head"><h4>{esc(t(key, lang))}</h4>'
        f'<span class="rus-count">{esc(t("addressed_count", lang, a=len(addressed), n=len(links)))}</span>'
        f'<span class="rus-bar" aria-hidden="true"><span style="width:{share * 100:.0f}%"></span></span></div>'
    )
    items = []
    for link in addressed:
        where = format_pages(link.page_start, link.page_end, lang)
        support = "".join(f"<li>“{esc(s.text)}”</li>" for s in link.sentences)
        items.append(
            f'<li class="rus-item rus-yes"><div class="rus-item-head"><span class="rus-badge rus-badge-yes">✓</span>'
            f'<b>{esc(link.item)}</b><span class="rus-pages">{esc(where)}</span>'
            f'<span class="rus-score">{esc(confidence_label(link.confidence or 0.0, lang))}</span></div>'
            f"{bilingual(link.text, link.text_en, lang, cls='rus-item-text')}"
            f'<div class="rus-judgement">{esc(link.judgement)}</div>'
            f'<div class="rus-support-head">{esc(t("support", lang))}</div><ul class="rus-support">{support}</ul></li>'
        )
    for link in possible:
        quote = "".join(f"<li>“{esc(s.text)}”</li>" for s in link.sentences)
        items.append(
            f'<li class="rus-item rus-maybe"><details><summary><span class="rus-badge rus-badge-maybe">?</span>'
            f'<b>{esc(link.item)}</b> {esc(t("possible", lang))}</summary>'
            f"{bilingual(link.text, link.text_en, lang, cls='rus-item-text')}"
            f'<div class="rus-judgement">{esc(link.judgement)}</div><ul class="rus-support">{quote}</ul>'
            f"</details></li>"
        )
    if rest:
        names = ", ".join(esc(link.item) for link in rest)
        details = "".join(_need_item(link, lang) for link in rest)
        items.append(
            f'<li class="rus-item rus-no"><details><summary><span class="rus-badge rus-badge-no">–</span>'
            f'{esc(t("not_addressed", lang))}: {names}</summary><ul class="rus-items">{details}</ul></details></li>'
        )
    return f'<div class="rus-links">{head}<ul class="rus-items">{"".join(items)}</ul></div>'


def align_html(response: AlignResponse, lang: str, notes: Sequence[str] = ()) -> str:
    """The alignment report: per matched sub-priority its needs and challenges, then the inriktningar, each
    judgement said in one plain sentence (no raw scores)."""
    out = [notice(note, "info") for note in notes]
    out.append(
        f'<p class="rus-summary">'
        f"{esc(t('align_summary', lang, sentences=count(response.n_sentences, 'sentence', lang), language=language_name(response.language, lang), n=len(response.subpriorities)))}"  # noqa: E501
        f"</p>"
    )
    for rank, alignment in enumerate(response.subpriorities, start=1):
        sub = alignment.subpriority
        where = format_pages(sub.page_start, sub.page_end, lang)
        out.append(
            f'<section class="rus-card rus-alignment">'
            f'<div class="rus-card-head"><span class="rus-rank">{rank}</span>'
            f'<div class="rus-card-title"><h2>{esc(sub.title)}</h2>'
            f'<div class="rus-meta">{esc(sub.priority_title or "")}{" · " if sub.priority_title else ""}'
            f"{esc(where)}</div></div>"
            f"</div>{_links(alignment.needs, 'needs', lang)}{_links(alignment.challenges, 'challenges', lang)}"
            f"</section>"
        )
    rows = []
    for check in response.inriktningar:
        badge = (
            f'<span class="rus-badge rus-badge-yes">✓ {esc(t("status_shown", lang))}</span>'
            if check.addressed
            else f'<span class="rus-badge rus-badge-no">– {esc(t("status_not_shown", lang))}</span>'
        )
        where = "<br>".join(f"“{esc(s.text)}”" for s in check.sentences) or "–"
        rows.append(
            f"<tr><th scope='row'>{esc(check.name)}</th><td>{badge}"
            f'<div class="rus-judgement">{esc(check.judgement)}</div></td><td>{where}</td></tr>'
        )
    out.append(
        f'<section class="rus-card"><h2 class="rus-card-plain">{esc(t("inriktningar", lang))}</h2>'
        f'<table class="rus-table"><thead><tr><th>{esc(t("inriktning", lang))}</th>'
        f"<th>{esc(t('judgement', lang))}</th><th>{esc(t('where', lang))}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )
    return "".join(out)


# --- browse ---------------------------------------------------------------------------------------

SEP = "|"


def section_key(doc_id: str, section_id: str) -> str:
    return f"{doc_id}{SEP}{section_id}"


def split_key(key: str) -> tuple[str | None, str]:
    doc_id, sep, section_id = key.partition(SEP)
    return (doc_id, section_id) if sep else (None, key)


def section_choices(tree: SectionTreeResponse) -> list[tuple[str, str]]:
    """(label, key) for every priority and sub-priority, then the other sections, in document order."""
    many = len(tree.documents) > 1
    choices = []
    for document in tree.documents:
        prefix = f"{document.title}: " if many else ""
        for priority in document.priorities:
            choices.append((f"{prefix}{priority.title}", section_key(document.doc_id, priority.section_id)))
            for sub in priority.subpriorities:
                choices.append((f"{prefix}   {sub.title}", section_key(document.doc_id, sub.section_id)))
        for other in document.other_sections:
            choices.append((f"{prefix}{other.title}", section_key(document.doc_id, other.section_id)))
    return choices


def tree_html(tree: SectionTreeResponse, lang: str, selected: str | None = None) -> str:
    """The strategy tree; every entry is a button carrying its section key (the UI listens for clicks)."""
    out = []
    for document in tree.documents:
        out.append(f'<div class="rus-tree-doc">{esc(document.title)}</div>')
        for priority in document.priorities:
            key = section_key(document.doc_id, priority.section_id)
            subs = _tree_buttons(document.doc_id, priority.subpriorities, lang, selected, "rus-tree-sub")
            out.append(
                f'<details class="rus-tree-priority" open><summary>{esc(priority.title)}</summary>'
                f'<ul class="rus-tree-list">'
                f"{_tree_button(key, t('priority_overview', lang), priority.page_start, priority.page_end, lang, selected, 'rus-tree-overview')}"  # noqa: E501
                f"{subs}</ul></details>"
            )
        if document.other_sections:
            keys = {section_key(document.doc_id, o.section_id) for o in document.other_sections}
            is_open = " open" if selected in keys else ""
            others = _tree_buttons(document.doc_id, document.other_sections, lang, selected, "rus-tree-other")
            out.append(
                f'<details class="rus-tree-priority"{is_open}><summary>{esc(t("other_sections", lang))}</summary>'
                f'<ul class="rus-tree-list">{others}</ul></details>'
            )
    return f'<nav class="rus-tree" aria-label="{esc(t("tree", lang))}">{"".join(out)}</nav>'


def _tree_buttons(
    doc_id: str, entries: Iterable[SubpriorityNode | SectionRef], lang: str, selected: str | None, cls: str
) -> str:
    """One tree button an entry (a sub-priority or another section of the document `doc_id`), titled as itself."""
    return "".join(
        _tree_button(section_key(doc_id, e.section_id), e.title, e.page_start, e.page_end, lang, selected, cls)
        for e in entries
    )


def _tree_button(key: str, title: str, start, end, lang: str, selected: str | None, cls: str) -> str:
    current = ' aria-current="true"' if key == selected else ""
    where = format_pages(start, end, lang)
    return (
        f'<li><button type="button" class="rus-tree-item {cls}" data-section="{esc(key)}"{current}>'
        f'<span>{esc(title)}</span><span class="rus-pages">{esc(where)}</span></button></li>'
    )


def _find(tree: SectionTreeResponse, doc_id: str | None, section_id: str):
    for document in tree.documents:
        if doc_id and document.doc_id != doc_id:
            continue
        for priority in document.priorities:
            if priority.section_id == section_id:
                return document, priority, None
            for sub in priority.subpriorities:
                if sub.section_id == section_id:
                    return document, priority, sub
    return None, None, None


def _plans(corpus: Corpus, priority: PriorityNode, lang: str) -> str:
    """The "Vägen framåt" lists; a plan that is in the library links to its document."""
    blocks = []
    for plan_list in priority.related_plans:
        where = format_pages(plan_list.page_start, plan_list.page_end, lang)
        linked = {link.plan: link for link in plan_list.in_library}
        plans = "".join(
            f"<li>{esc(p)}"
            + (
                f' <span class="rus-in-library">({esc(t("in_library", lang))}: '
                f"{source_link(corpus, linked[p].doc_id, 1, lang, linked[p].title) or esc(linked[p].title)})</span>"
                if p in linked
                else ""
            )
            + "</li>"
            for p in plan_list.plans
        )
        blocks.append(
            f'<div class="rus-plans"><div class="rus-part-head">{esc(plan_list.title)} '
            f'<span class="rus-pages">{esc(where)}</span></div><ul>{plans}</ul></div>'
        )
    return "".join(blocks)


def _items(items: Sequence[ItemQuote], lang: str) -> str:
    return f'<ul class="rus-items">{"".join(_need_item(i, lang) for i in items)}</ul>'


def browse_html(corpus: Corpus, tree: SectionTreeResponse, key: str, lang: str) -> str:
    """A sub-priority's goal, challenges, actors, needs, related plans and pages; a priority's overview;
    or any other section's text."""
    doc_id, section_id = split_key(key)
    _document, priority, sub = _find(tree, doc_id, section_id)
    detail = section_detail(corpus, section_id, doc_id)
    if detail is None:
        return notice(esc(t("error_not_found", lang)), "error")
    where = format_pages(detail.page_start, detail.page_end, lang)
    head = (
        f'<div class="rus-browse-head"><h2>{esc(detail.title)}</h2><div class="rus-meta">'
        f"{esc(detail.doc_title)}{' · ' + esc(priority.title) if sub and priority else ''}"
        f"{' · ' + esc(t('pages', lang)) + ' ' + esc(where.split(' ', 1)[-1]) if where else ''}</div></div>"
    )
    if sub is not None and priority is not None:
        return head + _subpriority_body(corpus, detail, sub, priority, lang)
    if priority is not None:
        own = [p for p in detail.parts if p.kind in ("priority", "intro", "text")] or detail.parts[:1]
        subs = "".join(
            f"<li><b>{esc(s.title)}</b> "
            f"<span class=rus-pages>{esc(format_pages(s.page_start, s.page_end, lang))}</span></li>"
            for s in priority.subpriorities
        )
        return (
            head
            + "".join(f'<div class="rus-part">{paragraphs(p.text)}</div>' for p in own if p.kind != "plans")
            + f'<h3 class="rus-h">{esc(t("subpriorities", lang))}</h3><ul class="rus-plain">{subs}</ul>'
            + (
                f'<h3 class="rus-h">{esc(t("related_plans", lang))}</h3>{_plans(corpus, priority, lang)}'
                if priority.related_plans
                else ""
            )
        )
    return head + section_body(detail, lang)


def _subpriority_body(
    corpus: Corpus, detail: SectionDetail, sub: SubpriorityNode, priority: PriorityNode, lang: str
) -> str:
    goal = "".join(paragraphs(p.text) for p in detail.parts if p.kind == "subpriority")
    actors = "".join(paragraphs(p.text) for p in detail.parts if p.kind == "actors")
    out = [f'<h3 class="rus-h">{esc(t("goal", lang))}</h3><div class="rus-part">{goal}</div>'] if goal else []
    if sub.challenges:
        out.append(
            f'<h3 class="rus-h">{esc(t("challenges", lang))} ({len(sub.challenges)})</h3>{_items(sub.challenges, lang)}'
        )
    if actors:
        out.append(f'<h3 class="rus-h">{esc(t("actors", lang))}</h3><div class="rus-part">{actors}</div>')
    if sub.needs:
        out.append(f'<h3 class="rus-h">{esc(t("needs", lang))} ({len(sub.needs)})</h3>{_items(sub.needs, lang)}')
    if priority.related_plans:
        out.append(f'<h3 class="rus-h">{esc(t("related_plans", lang))}</h3>{_plans(corpus, priority, lang)}')
    return "".join(out)


# --- library --------------------------------------------------------------------------------------


def library_html(corpus: Corpus, listing: DocumentsResponse, lang: str) -> str:
    """The documents in the index: title, kind, year, pages, passages and a link to the original file."""
    rows = []
    for document in listing.documents:
        link = source_link(corpus, document.doc_id, None, lang, t("library_open", lang))
        rows.append(
            f"<tr><th scope='row'>{esc(document.title)}<div class='rus-meta'>{esc(document.doc_id)}</div></th>"
            f"<td>{esc(document.kind or '–')}</td><td>{esc(document.year or '–')}</td>"
            f"<td>{esc(document.n_pages or '–')}</td><td>{document.n_chunks}</td><td>{link or '–'}</td></tr>"
        )
    head = "".join(
        f"<th scope='col'>{esc(t(key, lang))}</th>"
        for key in ("library_title", "library_kind", "library_year", "library_pages", "library_chunks", "library_file")
    )
    return (
        f'<table class="rus-table rus-library"><caption>{esc(t("library_caption", lang))}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def library_choices(listing: DocumentsResponse) -> list[tuple[str, str]]:
    """(label, doc id) of every document, for the remove choice."""
    return [(f"{d.title} ({d.doc_id})", d.doc_id) for d in listing.documents]


# --- evaluation -----------------------------------------------------------------------------------


def plots_html(plots: Sequence[tuple[str, bytes]]) -> str:
    """PNG plots inline (data: URLs, so nothing is fetched), two per row, each at its own aspect ratio."""
    figures = "".join(
        f'<figure class="rus-plot"><img alt="{esc(name)}" src="data:image/png;base64,{base64.b64encode(data).decode()}"'
        f"><figcaption>{esc(name)}</figcaption></figure>"
        for name, data in plots
    )
    return f'<div class="rus-plots">{figures}</div>' if figures else ""
