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
from index.sentences import embeddable_sentences
from ingest.models import Item
from ingest.vocabulary import INRIKTNINGAR, is_subpriority
from service.errors import require_k, require_text
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
from service.searching import require_kind
from service.sections import item_quote, stored_items, subpriority_ref
from service.settings import Settings, get_settings
from service.state import Corpus
from service.texts import format_pages, t

MAX_SENTENCES = 60  # application sentences embedded (about 5,000 characters)
MATCH_WHOLE_WEIGHT = 0.5
MATCH_TOP_SENTENCES = 3
NEEDS_PER_MATCH = 3
PASSAGES_PER_MATCH = 2
SUPPORTING_SENTENCES = 3


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
    spans = embeddable_sentences(text)[:MAX_SENTENCES] or [
        (text.index(stripped), text.index(stripped) + len(stripped))
    ]
    language = detect_language(stripped)
    pieces = [stripped] + [text[s:e] for s, e in spans]
    if TRANSLATE_APPLICATIONS:
        vectors = corpus.index.query_vectors(pieces, language)
    else:
        vectors = corpus.embedder.embed_queries(pieces)
    return Application(text, language, spans, vectors[0], vectors[1:])


BASELINE_TOP = 20


def sentence_baseline(corpus: Corpus, app: Application) -> np.ndarray:
    """How similar each application sentence is to the strategy in general: the mean of its BASELINE_TOP best
    similarities to strategy sentences (chunks when the index has no sentence vectors). Links are judged by the
    margin over this, which removes most of the language and topic bias of raw similarities."""
    if app.baseline is None:
        app.baseline = corpus.index.typical_similarity(app.sentences, BASELINE_TOP)
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
    matrix = corpus.index.similarity(app.vectors, positions)
    scores = []
    offset = 0
    for key, group in groups.items():
        scores.append((key, combine(matrix[offset : offset + len(group)], whole_weight, top_sentences)))
        offset += len(group)
    scores.sort(key=lambda s: -s[1])
    return scores


def item_similarities(corpus: Corpus, vectors: np.ndarray, items: list[Item]) -> list[np.ndarray]:
    """Per item: the (its chunks × vectors) block of dense scores (empty when none of its chunks is indexed)."""
    groups = [corpus.index.positions_of(item.chunk_ids) for item in items]
    matrix = corpus.index.similarity(vectors, [p for group in groups for p in group])
    blocks, offset = [], 0
    for group in groups:
        blocks.append(matrix[offset : offset + len(group)])
        offset += len(group)
    return blocks


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
    needs = stored_items(corpus, doc_id, section_id, "need")
    ranked = [
        item_quote(need).model_copy(update={"score": round(combine(block, whole_weight, top_sentences), 6)})
        for need, block in zip(needs, item_similarities(corpus, app.vectors, needs), strict=True)
        if len(block)
    ]
    ranked.sort(key=lambda q: -(q.score or 0.0))
    return ranked[:limit]


def _passages(corpus: Corpus, app: Application, doc_id: str, section_id: str) -> list[Citation]:
    positions = _subpriority_positions(corpus)[(doc_id, section_id)]
    vectors = app.vectors
    scores = corpus.index.similarity(vectors, positions).max(axis=1)
    best = [positions[i] for i in np.argsort(-scores)[:PASSAGES_PER_MATCH]]
    cites = []
    for position in best:
        sentences = corpus.index.sentence_scores(vectors, position)
        spans = [(sentences[0].start, sentences[0].end)] if sentences else []
        cites.append(Citation.of(corpus.chunks[position], spans, float(scores[positions.index(position)])))
    return cites


def match_application(
    corpus: Corpus, app: Application, k: int, doc: str | None = None, kind: str | None = None
) -> list[SubpriorityMatch]:
    """The k best sub-priorities (of document `doc` / documents of kind `kind` when given)."""
    documents = corpus.index.documents
    scores = [
        (key, score)
        for key, score in score_subpriorities(corpus, app)
        if (doc is None or key[0] == doc) and (kind is None or documents.get(key[0], {}).get("kind") == kind)
    ]
    matches = []
    for (doc_id, section_id), score in scores[:k]:
        matches.append(
            SubpriorityMatch(
                subpriority=subpriority_ref(corpus, doc_id, section_id),
                score=round(score, 6),
                needs=rank_needs(corpus, app, doc_id, section_id),
                passages=_passages(corpus, app, doc_id, section_id),
            )
        )
    return matches


def match(
    corpus: Corpus,
    text: str,
    k: int | None = None,
    settings: Settings | None = None,
    doc: str | None = None,
    kind: str | None = None,
) -> MatchResponse:
    """The sub-priorities a project description fits best, with their best-matching needs and passages
    (only the strategy has sub-priorities; `doc`/`kind` choose among several strategies)."""
    settings = settings or get_settings()
    app = read_application(corpus, text, settings.max_text_chars)
    k = require_k(k if k is not None else settings.match_k, 10)
    matches = match_application(corpus, app, k, doc or None, require_kind(kind))
    return MatchResponse(language=app.language, n_sentences=len(app.spans), matches=matches)


# --- /v1/align ----------------------------------------------------------------------------------


def link_items(
    corpus: Corpus, app: Application, doc_id: str, section_id: str, kind: str, threshold: float
) -> list[ItemLink]:
    """Each numbered need/challenge of a sub-priority with the application sentences whose similarity to it
    exceeds their baseline by at least `threshold` (the link's score is the best such margin)."""
    items = stored_items(corpus, doc_id, section_id, kind)
    baseline = sentence_baseline(corpus, app)[None, :]
    links = []
    for item, block in zip(items, item_similarities(corpus, app.sentences, items), strict=True):
        if not len(block):
            continue
        per_sentence = (block - baseline).max(axis=0)
        order = [int(i) for i in np.argsort(-per_sentence)]
        supporting = [
            app.sentence(i, per_sentence[i]) for i in order[:SUPPORTING_SENTENCES] if per_sentence[i] >= threshold
        ]
        links.append(
            ItemLink(
                **item_quote(item).model_dump(exclude={"score"}),
                score=round(float(per_sentence[order[0]]), 6),
                addressed=bool(supporting),
                sentences=supporting,
            )
        )
    return links


FOOTNOTE = re.compile(r"(?m)^\d+\s+\S")  # "5 Universell utformning": a footnote ends a section's own prose
MIN_DESCRIPTION_CHARS = 40


Description = tuple[list[int], list[tuple[int, int, int]], list[np.ndarray]]


def inriktning_descriptions(corpus: Corpus) -> dict[str, Description]:
    """For each inriktning: the chunk positions of its own section, and the (position, start, end) and stored
    vectors of the strategy sentences that describe it — its section's own prose (up to a footnote) plus
    sentences elsewhere that name it and no other inriktning."""
    memo = corpus.memo.get("inriktningar")
    if memo is not None:
        return memo
    names = {name: name.casefold() for name in INRIKTNINGAR}
    result: dict[str, Description] = {n: ([], [], []) for n in INRIKTNINGAR}
    seen: dict[str, set[str]] = {n: set() for n in INRIKTNINGAR}
    for position, chunk in enumerate(corpus.chunks):
        own = next((n for n, folded in names.items() if chunk.section_id.casefold() == folded), None)
        if own:
            result[own][0].append(position)
        footnote = FOOTNOTE.search(chunk.text)
        own_end = footnote.start() if footnote else len(chunk.text)
        spans, vectors = corpus.index.sentence_vectors(position)
        for (start, end), vector in zip(spans, vectors, strict=True):
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
                result[target][2].append(vector)
    corpus.memo["inriktningar"] = result
    return result


def check_inriktningar(corpus: Corpus, app: Application, threshold: float) -> list[InriktningCheck]:
    checks = []
    for name, (own, sentences, vectors) in inriktning_descriptions(corpus).items():
        if not sentences:
            checks.append(InriktningCheck(name=name, addressed=False, score=0.0, sentences=[], source=None))
            continue
        per_sentence = (app.sentences @ np.array(vectors).T).max(axis=1) - sentence_baseline(corpus, app)
        order = [int(i) for i in np.argsort(-per_sentence)]
        supporting = [
            app.sentence(i, per_sentence[i]) for i in order[:SUPPORTING_SENTENCES] if per_sentence[i] >= threshold
        ]
        source = None
        if own:
            spans = [(s, e) for p, s, e in sentences if p == own[0]]
            source = Citation.of(corpus.chunks[own[0]], spans)
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
                needs=link_items(corpus, app, doc_id, section_id, "need", item_threshold),
                challenges=link_items(corpus, app, doc_id, section_id, "challenge", item_threshold),
            )
        )
    checks = check_inriktningar(corpus, app, direction_threshold)
    report = AlignResponse(
        language=app.language, n_sentences=len(app.spans), subpriorities=alignments, inriktningar=checks, markdown=""
    )
    report.markdown = alignment_markdown(report)
    return report


# --- Markdown export ------------------------------------------------------------------------------

def _md_quote(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def alignment_markdown(report: AlignResponse) -> str:
    """The whole alignment report as Markdown for an assessment memo (labels in the application's language)."""
    lang = report.language

    def label(key: str) -> str:
        return t(f"report_{key}", lang)

    lines = [f"# {label('title')}", "", f"*{label('note')}*", "", f"## {label('matched')}", ""]
    for rank, alignment in enumerate(report.subpriorities, start=1):
        ref = alignment.subpriority
        lines += [
            f"### {rank}. {ref.title}",
            "",
            f"{format_pages(ref.page_start, ref.page_end, lang)} · {label('score')} {alignment.score:.3f}",
            "",
        ]
        for key, links in (("needs", alignment.needs), ("challenges", alignment.challenges)):
            addressed = [link for link in links if link.addressed]
            lines += [f"**{label(key)}** — {label('addressed').lower()}: {len(addressed)}/{len(links)}", ""]
            for link in addressed:
                pages = format_pages(link.page_start, link.page_end, lang)
                lines.append(f"- **{link.item}** ({pages}): “{_md_quote(link.text)}”")
                for sentence in link.sentences:
                    margin = f"{label('margin')} {sentence.score:+.3f}"
                    lines.append(f"  - {label('support')}: “{_md_quote(sentence.text)}” ({margin})")
            rest = ", ".join(link.item for link in links if not link.addressed) or label("nothing")
            lines += [f"- {label('not_addressed')}: {rest}", ""]
    lines += [
        f"## {label('directions')}",
        "",
        f"| {label('direction')} | {label('addressed')} | {label('where')} |",
        "|---|---|---|",
    ]
    for check in report.inriktningar:
        where = " / ".join(f"“{_md_quote(s.text)}”" for s in check.sentences) or label("none")
        lines.append(f"| {check.name} | {label('yes') if check.addressed else label('no')} | {where} |")
    lines.append("")
    return "\n".join(lines)
