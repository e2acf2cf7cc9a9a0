"""Grounded, cited answers without an LLM (/v1/ask), and the "not covered" abstention rule.

An answer is composed only of text quoted from the strategy:
- "which sub-priority …" questions (and descriptions/topic phrases that are not questions): the best
  sub-priority (sections ranked by service.answering.ranking.aggregate_sections) with its id and title, and the
  identified need that matches best, quoted as numbered in the document;
- other questions: the sentence(s) of the top passages closest to the question in embedding space
  (lexical overlap fails for English questions over Swedish text), using the index's sentence vectors.
When the library holds other documents besides the strategy (plans, programmes …), a question that asks for a
(sub-)priority — or a description, which is matched to sub-priorities — is answered from the strategy and the
other documents' best passages for it are listed as `related` (`SearchIndex.answer_scope`).
The question is read, searched and decided once, in one trip down: `SearchIndex.answer_pool` reads it
(index/analysis.py) and ranks its passages; decision.py decides how sure the answer is — a confident answer; a
low-confidence answer that says so; or "not covered" (only the closest passages are listed) when the strategy
confidently does not hold it — and this module composes the answer from the analysis, the passages and the state.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.analysis import QuestionAnalysis
from index.hits import AnswerPool, Hit, SentenceScore
from ingest.models import Item
from ingest.vocabulary import is_subpriority, item_start
from service.answering.decision import Confidence, decide
from service.answering.ranking import SectionScore, rank_subpriorities
from service.answering.searching import require_filters
from service.answering.sections import item_quote, stored_items, subpriority_ref
from service.errors import require_k, require_text
from service.models import AskResponse, Citation, ItemQuote, SubpriorityRef
from service.settings import Settings
from service.state import Corpus
from service.texts import format_pages, t

FACT_CHUNKS = 3  # candidate sentences come from this many top passages
MAX_FACT_SENTENCES = 2
SENTENCE_MARGIN = 0.02  # a second sentence is quoted when it scores within this of the best
ASK_POOL = 50  # passages ranked for an answer: the confidence reads the query's score distribution over them
RELATED_PASSAGES = 3  # passages of other documents listed beside an answer from the strategy
CLOSEST_SUBPRIORITIES = 3  # sub-priorities a low-confidence answer lists


def answers_with_subpriority(analysis: QuestionAnalysis, hits: Sequence[Hit]) -> bool:
    """Whether the answer names a sub-priority: for "which sub-priority …" questions, and for descriptions and topic
    phrases that are not questions when a sub-priority was retrieved; other questions get the sentences that answer
    them."""
    if analysis.asks_section:
        return True
    return analysis.asks_for_subpriority and any(is_subpriority(h.chunk.section_id) for h in hits)


def closest_subpriorities(corpus: Corpus, hits: Sequence[Hit]) -> list[SubpriorityRef]:
    """The CLOSEST_SUBPRIORITIES best distinct sub-priorities among ranked passages (a low-confidence answer lists
    them for the reader to choose from)."""
    ranked = rank_subpriorities(hits)[:CLOSEST_SUBPRIORITIES]
    return [subpriority_ref(corpus, section.doc_id, section.section_id) for section in ranked]


def hit_citation(hit: Hit) -> Citation:
    return Citation.of(hit.chunk, hit.highlights, hit.score)


def best_need(hits: Sequence[Hit], items: list[Item]) -> tuple[ItemQuote, Hit] | None:
    """The identified need of the chosen sub-priority that matches the question best: the need chunk of that
    section with the highest dense score among the ranked passages (none when no need chunk was retrieved)."""
    by_chunk = {chunk_id: item for item in items for chunk_id in item.chunk_ids}
    candidates = [h for h in hits if h.chunk.chunk_id in by_chunk and h.dense_score is not None]
    if not candidates:
        return None
    hit = max(candidates, key=lambda h: h.dense_score)
    quote = item_quote(by_chunk[hit.chunk.chunk_id])
    return quote.model_copy(update={"score": round(float(hit.dense_score), 6), "chunk_id": hit.chunk.chunk_id}), hit


def _subpriority_answer(
    corpus: Corpus, question: str, hits: Sequence[Hit], section: SectionScore, language: str
) -> AskResponse:
    """The sub-priority with its best-matching need among the answer's passages (none when no need is among them)."""
    ref = subpriority_ref(corpus, section.doc_id, section.section_id)
    need = best_need(hits, stored_items(corpus, section.doc_id, section.section_id, "need"))
    citations = []
    lines = [f"{ref.title} ({format_pages(ref.page_start, ref.page_end, language)})"]
    if need is not None:
        quote, hit = need
        item_span = (item_start(hit.chunk.text), len(hit.chunk.text.rstrip()))  # after a lead-in such as "… behov:"
        citations.append(Citation.of(hit.chunk, [item_span], hit.dense_score))
        where = format_pages(quote.page_start, quote.page_end, language)
        lines.append(f"{t('matching_need', language)} – {quote.item} ({where}): “{quote.text}”")
    best_hit = section.hits[0]
    if best_hit.chunk.chunk_id not in {c.chunk_id for c in citations}:
        citations.append(hit_citation(best_hit))
    needs = [need[0]] if need else []
    return _answer(question, language, "subpriority", lines, citations, subpriority=ref, needs=needs)


def _fact_sentences(hits: Sequence[Hit]) -> list[tuple[Hit, SentenceScore]]:
    """The best sentence of the top passages, and the runner-up when it scores within SENTENCE_MARGIN
    (measured on the gold fact questions: two sentences hold the evidence far more often than one)."""
    ranked = sorted(
        ((hit, sentence) for hit in hits[:FACT_CHUNKS] for sentence in hit.sentences), key=lambda pair: -pair[1].score
    )
    chosen: list[tuple[Hit, SentenceScore]] = []
    seen: set[str] = set()
    for hit, sentence in ranked:
        key = " ".join(hit.chunk.text[sentence.start : sentence.end].split()).casefold()
        if key in seen:
            continue
        if chosen and (len(chosen) == MAX_FACT_SENTENCES or sentence.score < chosen[0][1].score - SENTENCE_MARGIN):
            break
        seen.add(key)
        chosen.append((hit, sentence))
    return chosen


def _fact_answer(question: str, hits: Sequence[Hit], language: str) -> AskResponse:
    chosen = _fact_sentences(hits)
    if not chosen:
        return _not_covered(question, hits, language)
    citations: list[Citation] = []
    for chunk_id in dict.fromkeys(hit.chunk.chunk_id for hit, _ in chosen):  # best sentence's passage first
        mine = [(hit, sentence) for hit, sentence in chosen if hit.chunk.chunk_id == chunk_id]
        spans = [(sentence.start, sentence.end) for _, sentence in mine]
        citations.append(Citation.of(mine[0][0].chunk, spans, max(sentence.score for _, sentence in mine)))
    lines = []
    for cite in citations:
        quoted = " … ".join(span.text for span in cite.spans)
        lines.append(f"“{quoted}” ({cite.section_id}, {format_pages(cite.page_start, cite.page_end, language)})")
    return _answer(question, language, "fact", lines, citations)


def _answer(
    question: str, language: str, answer_type: str, lines: list[str], citations: list[Citation], **fields: object
) -> AskResponse:
    """An answer composed of quoted lines with their citations."""
    return AskResponse(
        question=question, language=language, answer_type=answer_type, covered=True, answer="\n".join(lines),
        citations=citations, **fields,
    )


def _not_covered(question: str, hits: Sequence[Hit], language: str) -> AskResponse:
    return AskResponse(
        question=question,
        language=language,
        answer_type="not_covered",
        covered=False,
        answer=t("not_covered_answer", language),
        related=[hit_citation(h) for h in hits[:3]],
    )


def ask(
    corpus: Corpus,
    question: str,
    k: int | None = None,
    lang: str | None = None,
    *,
    settings: Settings,
    doc: str | None = None,
    kind: str | None = None,
) -> AskResponse:
    """Answer a question from the strategy's own text (or the documents `doc`/`kind` select), with citations,
    or say it is not covered."""
    question = require_text(question, "question", settings.max_query_chars)
    k = require_k(k if k is not None else settings.ask_k, settings.max_k)
    filters = require_filters(corpus.index, doc=doc, kind=kind)
    chosen = filters if filters.doc or filters.kind else None
    pool = corpus.index.answer_pool(question, max(k, ASK_POOL), lang, chosen, related=k)
    return compose(corpus, pool, decide(pool.analysis, pool.hits), k)


def compose(corpus: Corpus, pool: AnswerPool, confidence: Confidence, k: int) -> AskResponse:
    """The answer to a question from its pool of passages and its answer state: the sub-priority or the sentences
    that answer it, or "not covered"; a low-confidence answer says so and lists the closest sub-priorities."""
    analysis, hits = pool.analysis, pool.hits[:k]
    question, language = analysis.text, analysis.language
    if confidence.state == "not_covered":
        response = _not_covered(question, hits, language)
    elif answers_with_subpriority(analysis, hits) and (ranked := rank_subpriorities(hits)):
        response = _subpriority_answer(corpus, question, hits, ranked[0], language)
    else:
        response = _fact_answer(question, hits, language)
    if confidence.state == "low_confidence" and response.covered:
        response.answer = f"{t('low_confidence_answer', language)}\n{response.answer}"
        response.closest = closest_subpriorities(corpus, pool.hits)
    response.state = confidence.state if response.covered else "not_covered"
    response.confidence = round(confidence.score, 3)
    response.top_score = round(confidence.signals.top, 6)
    if response.covered and pool.related:
        response.related = [hit_citation(h) for h in pool.related[:RELATED_PASSAGES]]
    return response
