"""Project descriptions → sub-priorities (/v1/match) and the officer's alignment check (/v1/align).

A description is embedded whole and sentence by sentence (as queries, English ones with the search's Swedish
glossary terms). A sub-priority's score mixes the whole text's best chunk similarity in that sub-priority with
the mean of its three best sentences' (MATCH_RULE, measured with
`python -m eval.calibrate --match` on the applicant items: all variants place the gold sub-priority first
for single descriptions; for several projects in one text the mix finds 84% of them in the top 3 against 61%
for the whole text alone), plus half the same rule over the sub-priority's everyday phrasings
(index/phrasings.py), which more often tells the sub-priority an application is mainly about from others it
touches. Needs and challenges are linked to the application's own sentences by the rule in
service/answering/claims.py (addressed / possible / not addressed, with a calibrated confidence); the three
inriktningar are judged from the application's explicit statements about them, or from its sentences closest to
statements of each inriktning in other words (service/answering/inriktningar.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from index.hits import Filters
from index.language import detect_language
from index.phrasings import phrasing_rows
from index.sentences import embeddable_sentences
from ingest.models import Item
from ingest.vocabulary import INRIKTNINGAR, is_subpriority
from service.answering.answers import ASK_POOL
from service.answering.claims import Rivals, confidence_label, item_support, judge_link
from service.answering.decision import Confidence, decide
from service.answering.inriktningar import closest_paraphrase, judge_inriktning, statement_texts, statements
from service.answering.searching import require_filters
from service.answering.sections import item_quote, stored_items, subpriority_ref
from service.errors import InvalidInput, require_k, require_text
from service.limits import Budget
from service.models import (
    AlignResponse,
    ApplicationSentence,
    Citation,
    InriktningCheck,
    ItemLink,
    ItemQuote,
    LinkStatus,
    MatchResponse,
    SubpriorityAlignment,
    SubpriorityMatch,
    SubpriorityRef,
)
from service.settings import Settings
from service.state import Corpus
from service.texts import format_pages, t

MAX_SENTENCES = 60  # application sentences embedded (about 5,000 characters)
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
    lexical: np.ndarray | None = None  # (chunks × sentences): each sentence's BM25 share per chunk
    phrased: np.ndarray | None = None  # (phrasings × [whole text, sentences…]): similarity to every everyday phrasing
    rivals: dict[tuple[str, str], Rivals] = field(default_factory=dict)  # per (document, item kind): link_rivals

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
        app.baseline = corpus.index.dense.typical_similarity(app.sentences, BASELINE_TOP)
    return app.baseline


def _subpriority_positions(corpus: Corpus) -> dict[tuple[str, str], list[int]]:
    """The chunk positions of each (document, sub-priority); read through `corpus.derived`."""
    positions: dict[tuple[str, str], list[int]] = {}
    for position, chunk in enumerate(corpus.chunks):
        if is_subpriority(chunk.section_id):
            positions.setdefault((chunk.doc_id, chunk.section_id), []).append(position)
    return positions


@dataclass(frozen=True)
class MatchRule:
    """How a (chunks × [whole text, sentence 1, …]) similarity block becomes one score: the whole text's best chunk
    weighted `whole_weight`, mixed with the mean of the best `top_sentences` sentences' best chunks (so one sentence
    cannot carry a match alone, and text beyond the embedder's window still counts)."""

    whole_weight: float
    top_sentences: int

    def score(self, matrix: np.ndarray) -> float:
        whole = float(matrix[:, 0].max())
        if matrix.shape[1] < 2:
            return whole
        per_sentence = np.sort(matrix[:, 1:].max(axis=0))[::-1]
        return self.whole_weight * whole + (1 - self.whole_weight) * float(per_sentence[: self.top_sentences].mean())


MATCH_RULE = MatchRule(whole_weight=0.5, top_sentences=3)


def similarity_blocks(corpus: Corpus, vectors: np.ndarray, groups: list[list[int]]) -> list[np.ndarray]:
    """Per group of chunk positions: its (chunks × vectors) block of dense scores, all scored in one call."""
    matrix = corpus.index.dense.similarity(vectors, [p for group in groups for p in group])
    blocks, offset = [], 0
    for group in groups:
        blocks.append(matrix[offset : offset + len(group)])
        offset += len(group)
    return blocks


# A sub-priority's score for an application adds PHRASING_MATCH_WEIGHT × the same rule over its passages' everyday
# phrasings (index/phrasings.py), embedded as questions. Chosen on the tune halves of eval/align_multi and
# eval/align_gold (0.25 / 0.5 / 1): sub-priority@1 0.70 → 0.85 and 0.857 → 1.000 at 0.5 (docs/retrieval.md).
PHRASING_MATCH_WEIGHT = 0.5


def _subpriority_phrasings(corpus: Corpus) -> list[np.ndarray]:
    """Per (document, sub-priority), in `_subpriority_positions` order: the rows of its passages' phrasings in the
    build's phrasing table (empty without any); read through `corpus.derived`."""
    table = corpus.index.stored.phrasings
    groups = corpus.derived(_subpriority_positions).values()
    if table is None:
        return [np.zeros(0, dtype=np.int64) for _ in groups]
    return [phrasing_rows(table, positions) for positions in groups]


def phrasing_similarity(corpus: Corpus, app: Application) -> np.ndarray | None:
    """(phrasings × [whole text, sentences…]): the application against every everyday phrasing of the build (None
    without phrasings); computed once per application."""
    table = corpus.index.stored.phrasings
    if table is None:
        return None
    if app.phrased is None:
        app.phrased = table.vectors @ app.vectors.T
    return app.phrased


def score_subpriorities(
    corpus: Corpus, app: Application, rule: MatchRule = MATCH_RULE
) -> list[tuple[tuple[str, str], float]]:
    """Every sub-priority with its score for the application, best first: the rule over its passages, plus
    PHRASING_MATCH_WEIGHT × the rule over their phrasings (a sub-priority without phrasings gets none)."""
    groups = corpus.derived(_subpriority_positions)
    blocks = similarity_blocks(corpus, app.vectors, list(groups.values()))
    scores = [rule.score(block) for block in blocks]
    similarity = phrasing_similarity(corpus, app)
    if similarity is not None:
        for i, rows in enumerate(corpus.derived(_subpriority_phrasings)):
            if len(rows):
                scores[i] += PHRASING_MATCH_WEIGHT * rule.score(similarity[rows])
    ranked = list(zip(groups, scores, strict=True))
    ranked.sort(key=lambda s: -s[1])
    return ranked


def item_similarities(corpus: Corpus, vectors: np.ndarray, items: list[Item]) -> list[np.ndarray]:
    """Per item: the (its chunks × vectors) block of dense scores (empty when none of its chunks is indexed)."""
    return similarity_blocks(corpus, vectors, [corpus.index.positions_of(item.chunk_ids) for item in items])


def item_phrasings(corpus: Corpus, app: Application, items: list[Item]) -> tuple[np.ndarray, np.ndarray] | None:
    """Per item, the application's similarity to the item's closest everyday phrasing: the whole text's (items,)
    and each sentence's (items × sentences); None unless every item has phrasings (the strategy's needs and
    challenges do; a related plan's do not)."""
    similarity = phrasing_similarity(corpus, app)
    if similarity is None:
        return None
    table = corpus.index.stored.phrasings
    best = []
    for item in items:
        rows = phrasing_rows(table, corpus.index.positions_of(item.chunk_ids))
        if not len(rows):
            return None
        best.append(similarity[rows].max(axis=0))
    block = np.array(best)
    return block[:, 0], block[:, 1:]


def _document_items(corpus: Corpus) -> dict[tuple[str, str], list[Item]]:
    """Per (document, kind "need"/"challenge"): every numbered item of its sub-priorities; read through
    `corpus.derived`."""
    items: dict[tuple[str, str], list[Item]] = {}
    for doc_id, section_id in corpus.derived(_subpriority_positions):
        for kind in ("need", "challenge"):
            items.setdefault((doc_id, kind), []).extend(stored_items(corpus, doc_id, section_id, kind))
    return items


def link_rivals(corpus: Corpus, app: Application, doc_id: str, kind: str) -> Rivals:
    """The application against every need (or challenge) of the document's sub-priorities: what a claim's gap is
    taken against (claims.py), so that a sentence supports an item only when no item anywhere in the document,
    in another sub-priority either, fits it as well. Computed once per application and kind."""
    key = (doc_id, kind)
    if key not in app.rivals:
        items = [item for item in corpus.derived(_document_items).get(key, []) if item.chunk_ids]
        blocks = item_similarities(corpus, app.vectors, items)
        dense = np.array([block.max(axis=0) for block in blocks if len(block)])
        phrased = item_phrasings(corpus, app, items) if len(dense) == len(items) else None
        app.rivals[key] = Rivals(
            dense=dense, phrased=None if phrased is None else np.hstack([phrased[0][:, None], phrased[1]])
        )
    return app.rivals[key]


def rank_needs(
    corpus: Corpus, app: Application, doc_id: str, section_id: str, limit: int = NEEDS_PER_MATCH,
    rule: MatchRule = MATCH_RULE,
) -> list[ItemQuote]:
    """A sub-priority's identified needs ranked for the application with the same rule as sub-priorities."""
    needs = stored_items(corpus, doc_id, section_id, "need")
    ranked = [
        item_quote(need).model_copy(update={"score": round(rule.score(block), 6)})
        for need, block in zip(needs, item_similarities(corpus, app.vectors, needs), strict=True)
        if len(block)
    ]
    ranked.sort(key=lambda q: -(q.score or 0.0))
    return ranked[:limit]


def _passages(corpus: Corpus, app: Application, doc_id: str, section_id: str) -> list[Citation]:
    positions = corpus.derived(_subpriority_positions)[(doc_id, section_id)]
    vectors = app.vectors
    scores = corpus.index.dense.similarity(vectors, positions).max(axis=1)
    best = [positions[i] for i in np.argsort(-scores)[:PASSAGES_PER_MATCH]]
    cites = []
    for position in best:
        sentences = corpus.index.dense.sentence_scores(vectors, position)
        spans = [(sentences[0].start, sentences[0].end)] if sentences else []
        cites.append(Citation.of(corpus.chunks[position], spans, float(scores[positions.index(position)])))
    return cites


def best_subpriorities(
    corpus: Corpus,
    app: Application,
    k: int,
    budget: Budget | None = None,
    doc: str | None = None,
    kind: str | None = None,
) -> Iterator[tuple[str, str, SubpriorityRef, float]]:
    """The k best sub-priorities (of document `doc` / documents of kind `kind` when given), best first, as
    (doc_id, section_id, reference, score rounded as reported); a `budget` is checked before each one is yielded,
    so the work the caller does per sub-priority stops once it has run out."""
    documents = corpus.index.documents
    scores = [
        (key, score)
        for key, score in score_subpriorities(corpus, app)
        if (doc is None or key[0] == doc) and (kind is None or documents.get(key[0], {}).get("kind") == kind)
    ]
    for (doc_id, section_id), score in scores[:k]:
        if budget is not None:
            budget.check()
        yield doc_id, section_id, subpriority_ref(corpus, doc_id, section_id), round(score, 6)


def match(
    corpus: Corpus,
    text: str,
    k: int | None,
    settings: Settings,
    doc: str | None = None,
    kind: str | None = None,
    budget: Budget | None = None,
) -> MatchResponse:
    """The sub-priorities a project description fits best, with their best-matching needs and passages
    (only the strategy has sub-priorities; `doc`/`kind` choose among several strategies). With a `budget` the
    work stops with OverTimeBudget (503) once it has run out."""
    app = read_application(corpus, text, settings.max_text_chars)
    k = require_k(k if k is not None else settings.match_k, 10)
    filters = require_subpriority_filters(corpus, doc, kind)
    if budget is not None:
        budget.check()
    matches = [
        SubpriorityMatch(
            subpriority=ref,
            score=score,
            needs=rank_needs(corpus, app, doc_id, section_id),
            passages=_passages(corpus, app, doc_id, section_id),
        )
        for doc_id, section_id, ref, score in best_subpriorities(corpus, app, k, budget, filters.doc, filters.kind)
    ]
    covered = description_confidence(corpus, text, app.language, filters)
    return MatchResponse(
        language=app.language, n_sentences=len(app.spans), matches=matches, state=covered.state,
        confidence=round(covered.score, 3),
    )


def require_subpriority_filters(corpus: Corpus, doc: str | None, kind: str | None) -> Filters:
    """The `doc`/`kind` filters of a match (require_filters), and a 422 naming the field when the documents they
    choose have no sub-priorities (a plan): there would be nothing to rank."""
    filters = require_filters(corpus.index, doc=doc, kind=kind)
    documents = corpus.index.documents
    if (filters.doc or filters.kind) and not any(
        (filters.doc is None or doc_id == filters.doc)
        and (filters.kind is None or documents.get(doc_id, {}).get("kind") == filters.kind)
        for doc_id, _ in corpus.derived(_subpriority_positions)
    ):
        field, chosen = ("doc", f"document {filters.doc!r}") if filters.doc else ("kind", f"kind {filters.kind!r}")
        raise InvalidInput(f"the {chosen} has no sub-priorities to match: choose a strategy", field)
    return filters


def description_confidence(corpus: Corpus, text: str, language: str, filters: Filters) -> Confidence:
    """How sure it is that the strategy covers a description: /v1/ask's answer-state model over its search pool,
    the description read once."""
    analysis = corpus.index.read(text, language)
    pool = corpus.index.search(analysis, k=ASK_POOL, retriever="hybrid", filters=filters)
    return decide(analysis, pool)


# --- /v1/align ----------------------------------------------------------------------------------


def sentence_lexical(corpus: Corpus, app: Application) -> np.ndarray:
    """(chunks × sentences): each application sentence's BM25 share for every chunk (LexicalEvidence.share)."""
    if app.lexical is None:
        texts = [app.text[s:e] for s, e in app.spans]
        app.lexical = corpus.index.evidence.share(texts, np.arange(len(corpus.chunks)), app.language)
    return app.lexical


def link_status(confidence: float, supported: bool, settings: Settings, best_match: bool = True) -> LinkStatus:
    """"addressed" only with a supporting sentence at the calibrated confidence, and in a sub-priority that is not
    the best-matching at align_confidence_addressed_elsewhere too (never, when that is None); "possible" above the
    lower one."""
    threshold = settings.align_confidence_addressed
    if not best_match:
        elsewhere = settings.align_confidence_addressed_elsewhere
        threshold = np.inf if elsewhere is None else max(threshold, elsewhere)
    if supported and confidence >= threshold:
        return "addressed"
    return "possible" if confidence >= settings.align_confidence_possible else "not_addressed"


def link_items(
    corpus: Corpus, app: Application, doc_id: str, section_id: str, kind: str, settings: Settings,
    best_match: bool = True,
) -> list[ItemLink]:
    """Each numbered need/challenge of a sub-priority with its state, confidence, judgement and the application
    sentences that support it (claims.py): a claim is shown with up to SUPPORTING_SENTENCES sentences, a
    possible link with its closest sentence, an item not addressed with none. `best_match` is false for the
    sub-priorities checked after the best-matching one: there a sentence's gap is taken against every item of the
    document (link_rivals), not only the sub-priority's, and claims need align_confidence_addressed_elsewhere."""
    items = stored_items(corpus, doc_id, section_id, kind)
    blocks = item_similarities(corpus, app.vectors, items)
    pairs = [(item, block) for item, block in zip(items, blocks, strict=True) if len(block)]
    if not pairs:
        return []
    lexical = sentence_lexical(corpus, app)
    supports = item_support(
        whole=np.array([block[:, 0].max() for _, block in pairs]),
        sentences=np.array([block[:, 1:].max(axis=0) for _, block in pairs]),
        baseline=sentence_baseline(corpus, app),
        lexical=np.array([lexical[corpus.index.positions_of(item.chunk_ids)].max(axis=0) for item, _ in pairs]),
        phrased=item_phrasings(corpus, app, [item for item, _ in pairs]),
        rivals=None if best_match else link_rivals(corpus, app, doc_id, kind),
    )
    links = []
    for (item, _), support in zip(pairs, supports, strict=True):
        status = link_status(support.confidence, support.supported, settings, best_match)
        # a claim in the best-matching sub-priority, possible here: its judgement says why
        held_back = status == "possible" and link_status(support.confidence, support.supported, settings) == "addressed"
        shown = {"addressed": SUPPORTING_SENTENCES, "possible": 1}.get(status, 0)
        links.append(
            ItemLink(
                **item_quote(item).model_dump(exclude={"score"}),
                score=round(support.confidence, 6),
                addressed=status == "addressed",
                status=status,
                confidence=round(support.confidence, 3),
                judgement=judge_link(status, support.confidence, app.language, held_back),
                sentences=[app.sentence(i, score) for i, score in support.sentences[:shown]],
            )
        )
    return links


def inriktning_sources(corpus: Corpus) -> dict[str, Citation | None]:
    """The strategy's own section on each inriktning (its first chunk), cited beside the judgement; read through
    `corpus.derived`."""
    sources: dict[str, Citation | None] = dict.fromkeys(INRIKTNINGAR)
    for chunk in corpus.chunks:
        own = next((n for n in INRIKTNINGAR if chunk.section_id.casefold() == n.casefold()), None)
        if own and sources[own] is None:
            sources[own] = Citation.of(chunk, [])
    return sources


def inriktning_statements(corpus: Corpus) -> dict[str, dict[str, tuple[np.ndarray, list[str]]]]:
    """Each inriktning's statements in other words per language, with their vectors (embedded as search embeds a
    query, as the application's sentences are); read through `corpus.derived`."""
    return {
        name: {lang: (corpus.index.query_vectors(texts, lang), texts) for lang, texts in statement_texts(name).items()}
        for name in INRIKTNINGAR
    }


def check_inriktningar(corpus: Corpus, app: Application) -> list[InriktningCheck]:
    """Each inriktning judged from the application's explicit statements about it, or failing those from its
    sentence closest to one of the inriktning's statements in other words (inriktningar.py)."""
    found = statements([app.text[s:e] for s, e in app.spans])
    sources = corpus.derived(inriktning_sources)
    said_otherwise = corpus.derived(inriktning_statements)
    checks = []
    for name in INRIKTNINGAR:
        said = found[name][:SUPPORTING_SENTENCES]
        terms = list(dict.fromkeys(term for statement in said for term in statement.terms))
        sentences = [app.sentence(statement.sentence, 1.0) for statement in said]
        paraphrase, sureness, confidence = None, "", 1.0 if said else 0.0
        by_language = said_otherwise[name]
        if not said and by_language:
            vectors, texts = by_language.get(app.language) or next(iter(by_language.values()))
            paraphrase = closest_paraphrase(app.sentences, vectors, texts)
        if paraphrase is not None:
            confidence = paraphrase.confidence
            sureness = confidence_label(confidence, app.language)
            if paraphrase.shown:
                sentences = [app.sentence(paraphrase.sentence, confidence)]
        checks.append(
            InriktningCheck(
                name=name,
                addressed=bool(sentences),
                score=float(len(found[name])),
                confidence=round(confidence, 6),
                sentences=sentences,
                terms=terms,
                judgement=judge_inriktning(terms, app.language, paraphrase, sureness),
                source=sources[name],
            )
        )
    return checks


def align(
    corpus: Corpus, text: str, k: int | None, settings: Settings, budget: Budget | None = None
) -> AlignResponse:
    """For the best-matching sub-priorities: which needs and challenges the text addresses (with its own
    supporting sentences), whether it addresses each inriktning, and the whole report as Markdown. With a
    `budget` the work stops with OverTimeBudget (503) once it has run out."""
    app = read_application(corpus, text, settings.max_text_chars)
    k = require_k(k if k is not None else settings.match_k, 10)
    alignments = [
        SubpriorityAlignment(
            subpriority=ref,
            score=score,
            needs=link_items(corpus, app, doc_id, section_id, "need", settings, rank == 0),
            challenges=link_items(corpus, app, doc_id, section_id, "challenge", settings, rank == 0),
        )
        for rank, (doc_id, section_id, ref, score) in enumerate(best_subpriorities(corpus, app, k, budget))
    ]
    if budget is not None:
        budget.check()
    checks = check_inriktningar(corpus, app)
    report = AlignResponse(
        language=app.language, n_sentences=len(app.spans), subpriorities=alignments, inriktningar=checks, markdown=""
    )
    report.markdown = alignment_markdown(report)
    return report


# --- Markdown export ------------------------------------------------------------------------------

def _md_quote(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def alignment_markdown(report: AlignResponse) -> str:
    """The whole alignment report as Markdown for an assessment memo (labels in the application's language):
    every claim with its supporting sentence and one plain sentence on how it was judged, no raw scores."""
    lang = report.language

    def label(key: str) -> str:
        return t(f"report_{key}", lang)

    lines = [f"# {label('title')}", "", f"*{label('note')}*", "", f"## {label('matched')}", ""]
    for rank, alignment in enumerate(report.subpriorities, start=1):
        ref = alignment.subpriority
        lines += [f"### {rank}. {ref.title}", "", format_pages(ref.page_start, ref.page_end, lang), ""]
        for key, links in (("needs", alignment.needs), ("challenges", alignment.challenges)):
            addressed = [link for link in links if link.status == "addressed"]
            possible = [link for link in links if link.status == "possible"]
            lines += [f"**{label(key)}** — {label('addressed').lower()}: {len(addressed)}/{len(links)}", ""]
            for link in addressed:
                pages = format_pages(link.page_start, link.page_end, lang)
                lines.append(f"- **{link.item}** ({pages}): “{_md_quote(link.text)}”")
                sureness = confidence_label(link.confidence or 0.0, lang)
                lines.append(f"  - {label('judgement')}: {link.judgement} ({sureness})")
                for sentence in link.sentences:
                    lines.append(f"  - {label('support')}: “{_md_quote(sentence.text)}”")
            if possible:
                lines.append(f"- {label('possible')}:")
                for link in possible:
                    quote = f" “{_md_quote(link.sentences[0].text)}”" if link.sentences else ""
                    lines.append(f"  - **{link.item}**:{quote} — {link.judgement}")
            rest = ", ".join(link.item for link in links if link.status == "not_addressed") or label("nothing")
            lines += [f"- {label('not_addressed')}: {rest}", ""]
    lines += [
        f"## {label('directions')}",
        "",
        f"| {label('direction')} | {label('judgement')} | {label('where')} |",
        "|---|---|---|",
    ]
    for check in report.inriktningar:
        where = " / ".join(f"“{_md_quote(s.text)}”" for s in check.sentences) or label("none")
        lines.append(f"| {check.name} | {_md_quote(check.judgement)} | {where} |")
    lines.append("")
    return "\n".join(lines)
