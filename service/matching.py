"""Project descriptions → sub-priorities (/v1/match) and the officer's alignment check (/v1/align).

A description is embedded whole and sentence by sentence (as queries, English ones with the search's Swedish
glossary terms). A sub-priority's score mixes the whole text's best chunk similarity in that sub-priority with
the mean of its three best sentences' (MATCH_WHOLE_WEIGHT / MATCH_TOP_SENTENCES, measured with
`python -m service.calibrate --match` on the applicant items: all variants place the gold sub-priority first
for single descriptions; for several projects in one text the mix finds 84% of them in the top 3 against 61%
for the whole text alone). Needs and challenges are linked to the application's own sentences by the margin
of sentence × item similarity over the sentence's typical similarity to the strategy; the three inriktningar
are checked the same way against the strategy's own descriptions of them, fetched from the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.language import detect_language
from service.answers import citation
from service.errors import require_k, require_text
from service.evidence import dense_text, meaningful_spans, rank_sentences, similarity_matrix
from service.models import (
    AlignResponse,
    ApplicationSentence,
    Citation,
    InriktningCheck,
    ItemLink,
    ItemQuote,
    MatchResponse,
    SubpriorityAlignment,
    SubpriorityMatch,
)
from service.sections import is_subpriority, section_items, subpriority_ref
from service.settings import Settings, get_settings
from service.state import Corpus

MAX_SENTENCES = 60  # application sentences embedded (about 5,000 characters)
MATCH_WHOLE_WEIGHT = 0.5
MATCH_TOP_SENTENCES = 3
NEEDS_PER_MATCH = 3
PASSAGES_PER_MATCH = 2
SUPPORTING_SENTENCES = 3
INRIKTNINGAR = ("Sammanhållen utveckling", "Jämlik och jämställd inkludering", "Föregångare i omställning")


@dataclass
class Application:
    """A submitted text, its sentences (offsets into the text as submitted) and their vectors."""

    text: str
    language: str
    spans: list[tuple[int, int]]
    whole: np.ndarray  # (dim,)
    sentences: np.ndarray  # (n_sentences, dim)

    baseline: np.ndarray | None = None  # per sentence: its typical (top-20 mean) similarity to strategy sentences

    @property
    def vectors(self) -> np.ndarray:
        """The whole text's vector followed by the sentences' vectors."""
        return np.vstack([self.whole[None, :], self.sentences])

    def sentence(self, i: int, score: float) -> ApplicationSentence:
        start, end = self.spans[i]
        return ApplicationSentence(start=start, end=end, text=self.text[start:end], score=round(float(score), 6))


TRANSLATE_APPLICATIONS = True  # embed English applications with the search's Swedish glossary terms (measured: helps)


def read_application(corpus: Corpus, text: str, limit: int) -> Application:
    stripped = require_text(text, "text", limit)
    spans = [(s, e) for s, e in meaningful_spans(text)][:MAX_SENTENCES] or [
        (text.index(stripped), text.index(stripped) + len(stripped))
    ]
    language = detect_language(stripped)
    pieces = [stripped] + [text[s:e] for s, e in spans]
    if TRANSLATE_APPLICATIONS:
        pieces = [dense_text(piece, language) for piece in pieces]
    vectors = corpus.embedder.embed_queries(pieces)
    return Application(text, language, spans, vectors[0], vectors[1:])


BASELINE_TOP = 20


def sentence_baseline(corpus: Corpus, app: Application) -> np.ndarray:
    """How similar each application sentence is to the strategy in general: the mean of its BASELINE_TOP best
    similarities to strategy sentences (chunks when the index has no sentence vectors). Links are judged by the
    margin over this, which removes most of the language and topic bias of raw similarities."""
    if app.baseline is None:
        reference = getattr(corpus.index.stored, "sentence_vectors", None)
        if reference is None or not len(reference):
            reference = corpus.index.stored.vectors
        sims = app.sentences @ reference.T
        top = min(BASELINE_TOP, sims.shape[1])
        app.baseline = np.sort(sims, axis=1)[:, -top:].mean(axis=1)
    return app.baseline


def _subpriority_positions(corpus: Corpus) -> dict[tuple[str, str], list[int]]:
    memo = corpus.memo.get("subpriority_positions")
    if memo is None:
        memo = {}
        for position, chunk in enumerate(corpus.chunks):
            if is_subpriority(chunk.section_id):
                memo.setdefault((chunk.doc_id, chunk.section_id), []).append(position)
        corpus.memo["subpriority_positions"] = memo
    return memo


def combine(
    matrix: np.ndarray, whole_weight: float = MATCH_WHOLE_WEIGHT, top_sentences: int = MATCH_TOP_SENTENCES
) -> float:
    """One score from a (chunks × [whole text, sentence 1, …]) similarity block: the whole text's best chunk
    mixed with the mean of the best few sentences' best chunks (so one sentence cannot carry a match alone,
    and text beyond the embedder's window still counts)."""
    whole = float(matrix[:, 0].max())
    if matrix.shape[1] < 2:
        return whole
    per_sentence = np.sort(matrix[:, 1:].max(axis=0))[::-1]
    return whole_weight * whole + (1 - whole_weight) * float(per_sentence[:top_sentences].mean())


def score_subpriorities(
    corpus: Corpus, app: Application, whole_weight: float = MATCH_WHOLE_WEIGHT, top_sentences: int = MATCH_TOP_SENTENCES
) -> list[tuple[tuple[str, str], float]]:
    """Every sub-priority with its score for the application, best first."""
    groups = _subpriority_positions(corpus)
    positions = [p for group in groups.values() for p in group]
    matrix = similarity_matrix(corpus, app.vectors, positions)
    scores = []
    offset = 0
    for key, group in groups.items():
        scores.append((key, combine(matrix[offset : offset + len(group)], whole_weight, top_sentences)))
        offset += len(group)
    scores.sort(key=lambda s: -s[1])
    return scores


def rank_needs(
    corpus: Corpus,
    app: Application,
    doc_id: str,
    section_id: str,
    limit: int = NEEDS_PER_MATCH,
    whole_weight: float = MATCH_WHOLE_WEIGHT,
    top_sentences: int = MATCH_TOP_SENTENCES,
) -> list[ItemQuote]:
    """A sub-priority's identified needs ranked for the application with the same rule as sub-priorities."""
    positions = [
        p
        for p in _subpriority_positions(corpus)[(doc_id, section_id)]
        if corpus.chunks[p].kind == "needs" and corpus.chunks[p].item
    ]
    if not positions:
        return []
    matrix = similarity_matrix(corpus, app.vectors, positions)
    ranked = []
    for quote in section_items(corpus, doc_id, section_id, "needs"):
        rows = [i for i, p in enumerate(positions) if corpus.chunks[p].chunk_id == quote.chunk_id] or [
            i for i, p in enumerate(positions) if corpus.chunks[p].item == quote.item
        ]
        if rows:
            ranked.append(
                quote.model_copy(update={"score": round(combine(matrix[rows], whole_weight, top_sentences), 6)})
            )
    ranked.sort(key=lambda q: -(q.score or 0.0))
    return ranked[:limit]


def _passages(corpus: Corpus, app: Application, doc_id: str, section_id: str) -> list[Citation]:
    positions = _subpriority_positions(corpus)[(doc_id, section_id)]
    vectors = app.vectors
    scores = similarity_matrix(corpus, vectors, positions).max(axis=1)
    best = [positions[i] for i in np.argsort(-scores)[:PASSAGES_PER_MATCH]]
    cites = []
    for position in best:
        sentences = rank_sentences(corpus, vectors, [position])
        spans = [(sentences[0].start, sentences[0].end)] if sentences else []
        cites.append(citation(corpus.chunks[position], spans, float(scores[positions.index(position)])))
    return cites


def match_application(corpus: Corpus, app: Application, k: int) -> list[SubpriorityMatch]:
    matches = []
    for (doc_id, section_id), score in score_subpriorities(corpus, app)[:k]:
        matches.append(
            SubpriorityMatch(
                subpriority=subpriority_ref(corpus, doc_id, section_id),
                score=round(score, 6),
                needs=rank_needs(corpus, app, doc_id, section_id),
                passages=_passages(corpus, app, doc_id, section_id),
            )
        )
    return matches


def match(corpus: Corpus, text: str, k: int | None = None, settings: Settings | None = None) -> MatchResponse:
    """The sub-priorities a project description fits best, with their best-matching needs and passages."""
    settings = settings or get_settings()
    app = read_application(corpus, text, settings.max_text_chars)
    k = require_k(k if k is not None else settings.match_k, 10)
    return MatchResponse(language=app.language, n_sentences=len(app.spans), matches=match_application(corpus, app, k))


# --- /v1/align ----------------------------------------------------------------------------------


def _links(
    corpus: Corpus, app: Application, doc_id: str, section_id: str, kind: str, threshold: float
) -> list[ItemLink]:
    """Each numbered need/challenge of a sub-priority with the application sentences whose similarity to it
    exceeds their baseline by at least `threshold` (the link's score is the best such margin)."""
    items = section_items(corpus, doc_id, section_id, kind)
    positions = [
        p
        for p in _subpriority_positions(corpus)[(doc_id, section_id)]
        if corpus.chunks[p].kind == kind and corpus.chunks[p].item
    ]
    if not items or not positions:
        return []
    margins = similarity_matrix(corpus, app.sentences, positions) - sentence_baseline(corpus, app)[None, :]
    links = []
    for quote in items:
        rows = [i for i, p in enumerate(positions) if corpus.chunks[p].chunk_id == quote.chunk_id] or [
            i for i, p in enumerate(positions) if corpus.chunks[p].item == quote.item
        ]
        if not rows:
            continue
        per_sentence = margins[rows].max(axis=0)
        order = [int(i) for i in np.argsort(-per_sentence)]
        supporting = [
            app.sentence(i, per_sentence[i]) for i in order[:SUPPORTING_SENTENCES] if per_sentence[i] >= threshold
        ]
        links.append(
            ItemLink(
                **quote.model_dump(exclude={"score"}),
                score=round(float(per_sentence[order[0]]), 6),
                addressed=bool(supporting),
                sentences=supporting,
            )
        )
    return links


FOOTNOTE = re.compile(r"(?m)^\d+\s+\S")  # "5 Universell utformning": a footnote ends a section's own prose
MIN_DESCRIPTION_CHARS = 40


def inriktning_descriptions(corpus: Corpus) -> dict[str, tuple[list[int], list[tuple[int, int, int]]]]:
    """For each inriktning: the chunk positions of its own section and the (position, start, end) of the
    strategy sentences that describe it — its section's own prose (up to a footnote) plus sentences
    elsewhere that name it and no other inriktning."""
    memo = corpus.memo.get("inriktningar")
    if memo is not None:
        return memo
    names = {name: name.casefold() for name in INRIKTNINGAR}
    result: dict[str, tuple[list[int], list[tuple[int, int, int]]]] = {n: ([], []) for n in INRIKTNINGAR}
    seen: dict[str, set[str]] = {n: set() for n in INRIKTNINGAR}
    for position, chunk in enumerate(corpus.chunks):
        own = next((n for n, folded in names.items() if chunk.section_id.casefold() == folded), None)
        if own:
            result[own][0].append(position)
        footnote = FOOTNOTE.search(chunk.text)
        own_end = footnote.start() if footnote else len(chunk.text)
        for start, end in meaningful_spans(chunk.text):
            sentence = chunk.text[start:end]
            folded = sentence.casefold()
            named = [n for n, f in names.items() if f in folded]
            if len(named) == 1:
                target = named[0]
            elif own and not named and end <= own_end:
                target = own
            else:
                continue
            key = " ".join(folded.split())
            if len(key) >= MIN_DESCRIPTION_CHARS and key not in seen[target]:
                seen[target].add(key)
                result[target][1].append((position, start, end))
    corpus.memo["inriktningar"] = result
    return result


def _description_vectors(corpus: Corpus, sentences: list[tuple[int, int, int]]) -> np.ndarray:
    texts = [corpus.chunks[p].text[s:e] for p, s, e in sentences]
    return corpus.embedder.embed_passages(texts)


def check_inriktningar(corpus: Corpus, app: Application, threshold: float) -> list[InriktningCheck]:
    checks = []
    for name, (own, sentences) in inriktning_descriptions(corpus).items():
        if not sentences:
            checks.append(InriktningCheck(name=name, addressed=False, score=0.0, sentences=[], source=None))
            continue
        vectors = _description_vectors(corpus, sentences)
        per_sentence = (app.sentences @ vectors.T).max(axis=1) - sentence_baseline(corpus, app)
        order = [int(i) for i in np.argsort(-per_sentence)]
        supporting = [
            app.sentence(i, per_sentence[i]) for i in order[:SUPPORTING_SENTENCES] if per_sentence[i] >= threshold
        ]
        source = None
        if own:
            spans = [(s, e) for p, s, e in sentences if p == own[0]]
            source = citation(corpus.chunks[own[0]], spans)
        checks.append(
            InriktningCheck(
                name=name,
                addressed=bool(supporting),
                score=round(float(per_sentence.max()), 6),
                sentences=supporting,
                source=source,
            )
        )
    return checks


def align(corpus: Corpus, text: str, k: int | None = None, settings: Settings | None = None) -> AlignResponse:
    """For the best-matching sub-priorities: which needs and challenges the text addresses (with its own
    supporting sentences), whether it addresses each inriktning, and the whole report as Markdown."""
    settings = settings or get_settings()
    app = read_application(corpus, text, settings.max_text_chars)
    k = require_k(k if k is not None else settings.match_k, 10)
    english = app.language == "en"
    item_threshold = settings.align_threshold_en if english else settings.align_threshold_sv
    direction_threshold = settings.inriktning_threshold_en if english else settings.inriktning_threshold_sv
    alignments = []
    for (doc_id, section_id), score in score_subpriorities(corpus, app)[:k]:
        alignments.append(
            SubpriorityAlignment(
                subpriority=subpriority_ref(corpus, doc_id, section_id),
                score=round(score, 6),
                needs=_links(corpus, app, doc_id, section_id, "needs", item_threshold),
                challenges=_links(corpus, app, doc_id, section_id, "challenges", item_threshold),
            )
        )
    checks = check_inriktningar(corpus, app, direction_threshold)
    report = AlignResponse(
        language=app.language, n_sentences=len(app.spans), subpriorities=alignments, inriktningar=checks, markdown=""
    )
    report.markdown = alignment_markdown(report)
    return report


# --- Markdown export ------------------------------------------------------------------------------

LABELS = {
    "sv": {
        "title": "Avstämning mot den regionala utvecklingsstrategin",
        "note": "Underlag framtaget med RUS Search. Citat ur strategin återges ordagrant; kopplingarna bygger på "
        "textlikhet (marginal = hur mycket närmare en mening ligger behovet än strategin i allmänhet) och "
        "ska bedömas av handläggaren.",
        "matched": "Matchade delprioriteringar",
        "score": "likhet",
        "margin": "marginal",
        "needs": "Identifierade behov",
        "challenges": "Utmaningar",
        "addressed": "Adresseras",
        "not_addressed": "Adresseras inte",
        "support": "Stöd i ansökan",
        "directions": "Inriktningar",
        "direction": "Inriktning",
        "yes": "Ja",
        "no": "Nej",
        "where": "Var i ansökan",
        "none": "–",
        "pages": "s.",
        "nothing": "inga",
    },
    "en": {
        "title": "Alignment with the regional development strategy",
        "note": "Prepared with RUS Search. Quotations from the strategy are verbatim; the links are based on text "
        "similarity (margin = how much closer a sentence is to the item than to the strategy in general) "
        "and are for the officer to judge.",
        "matched": "Matched sub-priorities",
        "score": "similarity",
        "margin": "margin",
        "needs": "Identified needs",
        "challenges": "Challenges",
        "addressed": "Addressed",
        "not_addressed": "Not addressed",
        "support": "Support in the application",
        "directions": "Inriktningar (cross-cutting directions)",
        "direction": "Inriktning",
        "yes": "Yes",
        "no": "No",
        "where": "Where in the application",
        "none": "–",
        "pages": "p.",
        "nothing": "none",
    },
}


def _md_pages(start: int | None, end: int | None, word: str) -> str:
    if start is None:
        return ""
    return f"{word} {start}" if end in (None, start) else f"{word} {start}–{end}"


def _md_quote(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def alignment_markdown(report: AlignResponse) -> str:
    """The whole alignment report as Markdown for an assessment memo (labels in the application's language)."""
    t = LABELS[report.language]
    lines = [f"# {t['title']}", "", f"*{t['note']}*", "", f"## {t['matched']}", ""]
    for rank, alignment in enumerate(report.subpriorities, start=1):
        ref = alignment.subpriority
        lines += [
            f"### {rank}. {ref.title}",
            "",
            f"{_md_pages(ref.page_start, ref.page_end, t['pages'])} · {t['score']} {alignment.score:.3f}",
            "",
        ]
        for key, links in (("needs", alignment.needs), ("challenges", alignment.challenges)):
            addressed = [link for link in links if link.addressed]
            lines += [f"**{t[key]}** — {t['addressed'].lower()}: {len(addressed)}/{len(links)}", ""]
            for link in addressed:
                pages = _md_pages(link.page_start, link.page_end, t["pages"])
                lines.append(f"- **{link.item}** ({pages}): “{_md_quote(link.text)}”")
                for sentence in link.sentences:
                    lines.append(
                        f"  - {t['support']}: “{_md_quote(sentence.text)}” ({t['margin']} {sentence.score:+.3f})"
                    )
            rest = ", ".join(link.item for link in links if not link.addressed) or t["nothing"]
            lines += [f"- {t['not_addressed']}: {rest}", ""]
    lines += [f"## {t['directions']}", "", f"| {t['direction']} | {t['addressed']} | {t['where']} |", "|---|---|---|"]
    for check in report.inriktningar:
        where = " / ".join(f"“{_md_quote(s.text)}”" for s in check.sentences) or t["none"]
        lines.append(f"| {check.name} | {t['yes'] if check.addressed else t['no']} | {where} |")
    lines.append("")
    return "\n".join(lines)
