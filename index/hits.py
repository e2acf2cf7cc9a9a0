"""What a search is asked and returns: filters, hits with their scored sentences, and a question's answer pool."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.analysis import QuestionAnalysis
from index.sentences import sentence_spans
from index.tokens import tokenize
from ingest.models import Chunk


@dataclass(frozen=True)
class Filters:
    """Restrict results to a document, a document kind ("strategi", "plan", …), a priority (1–6) and/or a
    section id."""

    doc: str | None = None
    priority: int | None = None
    section: str | None = None
    kind: str | None = None

    def allows(self, chunk: Chunk) -> bool:
        return (
            (self.doc is None or chunk.doc_id == self.doc)
            and (self.kind is None or chunk.doc_kind == self.kind)
            and (self.priority is None or chunk.priority == self.priority)
            and (self.section is None or chunk.section_id == self.section)
        )


@dataclass(frozen=True)
class SentenceScore:
    """A sentence of a chunk (character offsets into chunk.text) and its similarity to the query."""

    start: int
    end: int
    score: float


@dataclass
class Hit:
    """One ranked chunk with its scores, its position in the index and its sentences' similarities."""

    rank: int
    score: float
    chunk: Chunk
    position: int  # the chunk's position in SearchIndex.chunks
    dense_score: float | None = None
    bm25_score: float | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)  # the best sentence: offsets into chunk.text
    sentences: list[SentenceScore] = field(default_factory=list)  # every indexed sentence (dense retrievers)
    coverage: float | None = None  # share of the query's concepts the chunk contains (None: the query has none)


@dataclass(frozen=True)
class AnswerPool:
    """A question's passages for an answer: read once, ranked once where it is answered from (`answer_scope`), and,
    when that narrowed it to the strategies, the other documents' best passages beside them."""

    analysis: QuestionAnalysis
    hits: list[Hit]
    related: list[Hit]


def lexical_hit(chunk: Chunk, rank: int, position: int, score: float, terms: frozenset[str]) -> Hit:
    """The hit of a BM25 search: the sentence sharing the most query terms highlighted."""
    return Hit(
        rank=rank,
        score=score,
        chunk=chunk,
        position=position,
        bm25_score=score,
        highlights=lexical_best_sentence(chunk.text, terms),
    )


def lexical_best_sentence(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """The span of the sentence sharing the most query stems `terms` (the first sentence if none do)."""
    spans = sentence_spans(text)
    if not spans:
        return []
    tokens = tokenize([text[s:e] for s, e in spans])
    overlaps = [len(terms & set(sentence)) for sentence in tokens]
    best = max(range(len(spans)), key=lambda i: (overlaps[i], -i))
    return [spans[best]]
