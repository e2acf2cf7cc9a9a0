"""Grounded, cited answers without an LLM (/v1/ask), and the "not covered" abstention rule.

An answer is composed only of text quoted from the strategy:
- "which sub-priority …" questions (and descriptions/topic phrases that are not questions): the best
  sub-priority (sections ranked by service.ranking.aggregate_sections) with its id and title, and the
  identified need that matches best, quoted as numbered in the document;
- other questions: the sentence(s) of the top passages closest to the question in embedding space
  (lexical overlap fails for English questions over Swedish text), using the index's sentence vectors.
When `should_abstain` finds the evidence weak (best dense score under a threshold per question type and
language, calibrated by `python -m service.calibrate`) the answer says the strategy does not cover the
question, and only lists the closest passages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.language import detect_language
from index.search import Filters, Hit
from ingest.models import Chunk
from service.errors import require_k, require_text
from service.evidence import ScoredSentence, chunk_similarity, item_number, item_span, query_vector, rank_sentences
from service.models import AskResponse, Citation, ItemQuote, Span
from service.ranking import SectionScore, rank_subpriorities
from service.sections import is_subpriority, section_items, subpriority_ref
from service.settings import Settings, get_settings
from service.state import Corpus

SUBPRIORITY_QUESTION = re.compile(
    r"\b(sub-?\s?priorit\w*|delprioritering\w*|which\s+priorit\w*|vilken\s+prioritering\w*)\b", re.IGNORECASE
)
QUESTION_START = re.compile(
    r"^\s*(what|which|who|whom|whose|when|where|why|how|is|are|does|do|did|can|could|should|will|has|have|"
    r"vad|vilk\w*|vem|vems|när|var|varför|hur|finns|är|kan|ska|har|nämns)\b",
    re.IGNORECASE,
)
QUANTITY_QUESTION = re.compile(
    r"\b(how\s+(many|much|long|large|big|old|high|fast)|hur\s+(många|mycket|lång|långa|stor|stort|stora|gammal|"
    r"hög|högt|höga|snabbt)|(what|which)\s+year|vilket\s+år|what\s+percentage|vad\s+kostar)\b",
    re.IGNORECASE,
)
YEAR_QUESTION = re.compile(r"\b(what\s+year|which\s+year|vilket\s+år|when|när)\b", re.IGNORECASE)
NUMBERING = re.compile(  # list numbers, item labels, section numbers and the strategy's own time span
    r"^\s*\d{1,2}\.\s|\b(?:Utmaning|Behov|[Dd]elprioritering|[Pp]rioritering)\s+\d+(?:\.\d+)?|\bAgenda\s*2030\b|"
    r"\b(?:19|20)\d\d\s*[–-]\s*(?:19|20)?\d\d\b|\bS3\b|(?<=[^\W\d_])\d+\b"
)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
NUMBER = re.compile(
    r"\d|\b(?:två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|trettio|hundra|tusen|miljon\w*|miljard\w*|"
    r"hälften|tredjedel\w*|fjärdedel\w*|dubbelt|procent|two|three|four|five|six|seven|eight|nine|ten|hundred|"
    r"thousand|million|billion|half|third|quarter|percent)\b",
    re.IGNORECASE,
)
QUANTITY_EVIDENCE_HITS = 3
FACT_CHUNKS = 3  # candidate sentences come from this many top passages
MAX_FACT_SENTENCES = 2
NEED_MARGIN = 0.0  # quote only the best need: on the gold questions a runner-up need was never the right one
SENTENCE_MARGIN = 0.02  # a second sentence is quoted when it scores within this of the best
NOT_COVERED = {
    "en": "The strategy does not appear to cover this question. The closest passages are listed for reference.",
    "sv": "Strategin verkar inte ta upp den här frågan. De närmaste avsnitten listas som referens.",
}
_DEFAULTS: Settings | None = None


def _settings(settings: Settings | None) -> Settings:
    global _DEFAULTS
    if settings is not None:
        return settings
    if _DEFAULTS is None:
        _DEFAULTS = get_settings()
    return _DEFAULTS


def abstain_threshold(kind: str, language: str, settings: Settings | None = None) -> float:
    """The calibrated threshold for a question type ("fact"/"subpriority") and language ("en"/"sv")."""
    s = _settings(settings)
    if kind == "subpriority":
        return s.abstain_subpriority_en if language == "en" else s.abstain_subpriority_sv
    return s.abstain_fact_en if language == "en" else s.abstain_fact_sv


def top_dense_score(hits: Sequence[Hit]) -> float | None:
    scores = [h.dense_score for h in hits if h.dense_score is not None]
    return max(scores) if scores else None


def question_type(question: str, hits: Sequence[Hit]) -> str:
    """ "subpriority" for "which sub-priority …" questions and for descriptions/topic phrases that are not
    questions (when a sub-priority was retrieved); "fact" for other questions."""
    if SUBPRIORITY_QUESTION.search(question):
        return "subpriority"
    if QUESTION_START.match(question) or question.rstrip().endswith("?"):
        return "fact"
    return "subpriority" if any(is_subpriority(h.chunk.section_id) for h in hits) else "fact"


def lacks_asked_quantity(question: str, hits: Sequence[Hit]) -> bool:
    """A "how many / how much / which year …" question whose best-matching sentences (the highlights of the
    top passages) contain no number at all cannot be answered from them."""
    if not QUANTITY_QUESTION.search(question):
        return False
    years = bool(YEAR_QUESTION.search(question))
    sentences = [h.chunk.text[s:e] for h in hits[:QUANTITY_EVIDENCE_HITS] for s, e in h.highlights]
    return not any(_has_number(sentence, years) for sentence in sentences)


def _has_number(text: str, years: bool) -> bool:
    text = NUMBERING.sub(" ", text)
    if not years:
        text = YEAR.sub(" ", text)
    return bool(NUMBER.search(text))


def should_abstain(
    query: str, hits: Sequence[Hit], language: str | None = None, settings: Settings | None = None
) -> bool:
    """True when the evidence is too weak to answer.

    The best dense score of the retrieved passages must reach a threshold calibrated per question type and
    language: a fact needs a passage that states it, a "which sub-priority" question only a topical match,
    and Swedish questions score higher against the Swedish text than English ones. A quantity question
    also needs a number in the best-matching sentences. BM25-only hits: abstain only when nothing matches.
    """
    if not hits:
        return True
    top = top_dense_score(hits)
    if top is None:
        return all((h.bm25_score or 0.0) <= 0.0 for h in hits)
    kind = question_type(query, hits)
    if top < abstain_threshold(kind, language or detect_language(query), settings):
        return True
    return kind == "fact" and lacks_asked_quantity(query, hits)


def citation(chunk: Chunk, spans: Sequence[tuple[int, int]], score: float | None = None) -> Citation:
    return Citation(
        doc_id=chunk.doc_id,
        doc_title=chunk.doc_title,
        section_id=chunk.section_id,
        heading_path=list(chunk.heading_path),
        kind=chunk.kind,
        item=chunk.item,
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        chunk_id=chunk.chunk_id,
        passage=chunk.text,
        spans=[Span(start=s, end=e, text=chunk.text[s:e]) for s, e in sorted(set(spans))],
        score=None if score is None else round(float(score), 6),
    )


def hit_citation(hit: Hit) -> Citation:
    return citation(hit.chunk, hit.highlights, hit.score)


def best_items(
    corpus: Corpus, doc_id: str, section_id: str, kind: str, vectors, limit: int, margin: float | None = None
) -> list[tuple[ItemQuote, int, float]]:
    """A sub-priority's numbered needs/challenges ranked by similarity to `vectors`:
    (quote, chunk position, score), best first; `margin` keeps only those close to the best."""
    positions = [
        p
        for p, c in enumerate(corpus.chunks)
        if c.doc_id == doc_id and c.section_id == section_id and c.kind == kind and c.item
    ]
    if not positions:
        return []
    scores = chunk_similarity(corpus, vectors, positions)
    by_chunk = {p: float(s) for p, s in zip(positions, scores, strict=True)}
    quotes = section_items(corpus, doc_id, section_id, kind)
    ranked = []
    for quote in quotes:
        holders = [p for p in positions if corpus.chunks[p].chunk_id == quote.chunk_id] or [
            p for p in positions if item_number(corpus.chunks[p].item) == quote.number
        ]
        if not holders:
            continue
        best = max(holders, key=lambda p: by_chunk[p])
        ranked.append(
            (
                quote.model_copy(update={"score": round(by_chunk[best], 6), "chunk_id": corpus.chunks[best].chunk_id}),
                best,
                by_chunk[best],
            )
        )
    ranked.sort(key=lambda r: -r[2])
    if margin is not None and ranked:
        ranked = [r for r in ranked if r[2] >= ranked[0][2] - margin]
    return ranked[:limit]


def _pages(start: int | None, end: int | None, language: str) -> str:
    if start is None:
        return ""
    if end in (None, start):
        return f"s. {start}" if language == "sv" else f"p. {start}"
    return f"s. {start}–{end}" if language == "sv" else f"pp. {start}–{end}"


def _subpriority_answer(
    corpus: Corpus, question: str, hits: Sequence[Hit], section: SectionScore, language: str
) -> AskResponse:
    ref = subpriority_ref(corpus, section.doc_id, section.section_id)
    vector = query_vector(corpus, question, language)
    needs = best_items(corpus, section.doc_id, section.section_id, "needs", vector, limit=2, margin=NEED_MARGIN)
    citations = []
    lines = [f"{ref.title} ({_pages(ref.page_start, ref.page_end, language)})"]
    label = "Matchande identifierat behov" if language == "sv" else "Matching identified need"
    for quote, position, score in needs:
        chunk = corpus.chunks[position]
        citations.append(citation(chunk, [item_span(chunk)], score))
        lines.append(f"{label} – {quote.item} ({_pages(quote.page_start, quote.page_end, language)}): “{quote.text}”")
    need_chunks = {c.chunk_id for c in citations}
    best_hit = section.hits[0]
    if best_hit.chunk.chunk_id not in need_chunks:
        citations.append(hit_citation(best_hit))
    return AskResponse(
        question=question,
        language=language,
        answer_type="subpriority",
        covered=True,
        answer="\n".join(lines),
        subpriority=ref,
        needs=[q for q, _, _ in needs],
        citations=citations,
    )


def _fact_sentences(corpus: Corpus, question: str, hits: Sequence[Hit], language: str) -> list[ScoredSentence]:
    """The best sentence of the top passages, and the runner-up when it scores within SENTENCE_MARGIN
    (measured on the gold fact questions: two sentences hold the evidence far more often than one)."""
    positions = [corpus.position[h.chunk.chunk_id] for h in hits[:FACT_CHUNKS] if h.chunk.chunk_id in corpus.position]
    ranked = rank_sentences(corpus, query_vector(corpus, question, language), positions)
    chosen: list[ScoredSentence] = []
    seen: set[str] = set()
    for sentence in ranked:
        key = " ".join(sentence.text(corpus).split()).casefold()
        if key in seen:
            continue
        if chosen and (len(chosen) == MAX_FACT_SENTENCES or sentence.score < chosen[0].score - SENTENCE_MARGIN):
            break
        seen.add(key)
        chosen.append(sentence)
    return chosen


def _fact_answer(corpus: Corpus, question: str, hits: Sequence[Hit], language: str) -> AskResponse:
    chosen = _fact_sentences(corpus, question, hits, language)
    if not chosen:
        return _not_covered(question, hits, language)
    citations: list[Citation] = []
    for position in dict.fromkeys(s.chunk_position for s in chosen):  # best sentence's passage first
        mine = [s for s in chosen if s.chunk_position == position]
        citations.append(
            citation(corpus.chunks[position], [(s.start, s.end) for s in mine], max(s.score for s in mine))
        )
    lines = []
    for cite in citations:
        quoted = " … ".join(span.text for span in cite.spans)
        lines.append(f"“{quoted}” ({cite.section_id}, {_pages(cite.page_start, cite.page_end, language)})")
    return AskResponse(
        question=question,
        language=language,
        answer_type="fact",
        covered=True,
        answer="\n".join(lines),
        citations=citations,
    )


def _not_covered(question: str, hits: Sequence[Hit], language: str) -> AskResponse:
    return AskResponse(
        question=question,
        language=language,
        answer_type="not_covered",
        covered=False,
        answer=NOT_COVERED[language],
        related=[hit_citation(h) for h in hits[:3]],
    )


def ask(
    corpus: Corpus,
    question: str,
    k: int | None = None,
    lang: str | None = None,
    settings: Settings | None = None,
    doc: str | None = None,
) -> AskResponse:
    """Answer a question from the strategy's own text, with citations, or say it is not covered."""
    settings = _settings(settings)
    question = require_text(question, "question", settings.max_query_chars)
    k = require_k(k if k is not None else settings.ask_k, settings.max_k)
    language = lang or detect_language(question)
    hits = corpus.index.search(
        question, k=k, retriever="hybrid", filters=Filters(doc=doc) if doc else None, language=language
    )
    threshold = abstain_threshold(question_type(question, hits), language, settings)
    top = top_dense_score(hits)
    if should_abstain(question, hits, language, settings):
        response = _not_covered(question, hits, language)
    elif question_type(question, hits) == "subpriority" and (ranked := rank_subpriorities(hits)):
        response = _subpriority_answer(corpus, question, hits, ranked[0], language)
    else:
        response = _fact_answer(corpus, question, hits, language)
    response.top_score = None if top is None else round(top, 6)
    response.threshold = threshold
    return response
