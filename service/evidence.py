"""Sentence-level evidence: split text into sentences, and score strategy sentences and chunks against vectors.

Strategy sentences use the index's stored sentence vectors when the build has them; otherwise the few
candidate sentences are embedded at request time (cached per sentence text by the service embedder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ingest.models import Chunk
from service.state import Corpus

try:  # the index's own sentence splitter, so spans line up with its stored sentence vectors
    from index.sentences import sentence_spans as _index_sentence_spans
except ImportError:  # pragma: no cover - older index package
    _index_sentence_spans = None

try:  # the text the index's search embeds for a query (frame stripped, English glossary terms added)
    from index.search import prepare_query as _prepare_query
except ImportError:  # pragma: no cover - older index package
    _prepare_query = None


def dense_text(query: str, language: str | None = None) -> str:
    """The query as the index's dense search embeds it, so its vector comes from the embedder's cache."""
    if _prepare_query is not None:
        return _prepare_query(query, language).dense_text
    return query.strip()


_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•●\"'(])|\s+(?=[•●]\s)|\n+")
MIN_SENTENCE_CHARS = 20
MAX_EMBEDDED_CANDIDATES = 12  # request-time embedding cap when the index has no sentence vectors
ITEM_START = re.compile(r"(?m)^(?:\d{1,2}\.\s|Utmaning \d+\s*:)")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences and list items in `text`."""
    if _index_sentence_spans is not None:
        return list(_index_sentence_spans(text))
    spans, start = [], 0
    for match in [*_BREAK.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        if piece.strip():
            left = start + len(piece) - len(piece.lstrip())
            spans.append((left, left + len(piece.strip())))
        start = match.end() if match else len(text)
    return spans


def meaningful_spans(text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e in sentence_spans(text) if e - s >= MIN_SENTENCE_CHARS]


@dataclass
class ScoredSentence:
    chunk_position: int
    start: int
    end: int
    score: float

    def text(self, corpus: Corpus) -> str:
        return corpus.chunks[self.chunk_position].text[self.start : self.end]


def query_vector(corpus: Corpus, query: str, language: str | None = None) -> np.ndarray:
    """The query's vector as search embeds it, from the embedder's cache."""
    return corpus.embedder.embed_queries([dense_text(query, language)])[0]


def chunk_sentences(corpus: Corpus, position: int) -> tuple[list[tuple[int, int]], np.ndarray | None]:
    """A chunk's sentence spans and their stored vectors (None when the index has no sentence vectors)."""
    rows = corpus.sentence_rows.get(position)
    stored = getattr(corpus.index.stored, "sentence_vectors", None)
    if rows and stored is not None:
        spans = corpus.index.stored.sentence_spans[rows]
        return [(int(s), int(e)) for _, s, e in spans], stored[rows]
    return meaningful_spans(corpus.chunks[position].text), None


def rank_sentences(corpus: Corpus, vectors: np.ndarray, positions: list[int]) -> list[ScoredSentence]:
    """Sentences of the given chunks ranked by their best similarity to any of `vectors` (rows, unit length)."""
    vectors = np.atleast_2d(vectors)
    scored: list[ScoredSentence] = []
    pending: list[tuple[int, int, int]] = []
    for position in positions:
        spans, stored = chunk_sentences(corpus, position)
        if stored is not None:
            sims = (stored @ vectors.T).max(axis=1)
            scored.extend(ScoredSentence(position, s, e, float(v)) for (s, e), v in zip(spans, sims, strict=True))
        else:
            pending.extend((position, s, e) for s, e in spans)
    if pending:
        pending = pending[:MAX_EMBEDDED_CANDIDATES]
        texts = [corpus.chunks[p].text[s:e] for p, s, e in pending]
        sims = (corpus.embedder.embed_passages(texts) @ vectors.T).max(axis=1)
        scored.extend(ScoredSentence(p, s, e, float(v)) for (p, s, e), v in zip(pending, sims, strict=True))
    scored.sort(key=lambda x: -x.score)
    return scored


def similarity_matrix(corpus: Corpus, vectors: np.ndarray, positions: list[int]) -> np.ndarray:
    """(n_positions, n_vectors) similarities of chunks to unit vectors.

    Mixes each chunk's own vector with its best sentence the way the index's dense search does when the
    build has sentence vectors, so scores here are comparable with search scores.
    """
    vectors = np.atleast_2d(vectors).astype(np.float32)
    if not positions:
        return np.zeros((0, len(vectors)), dtype=np.float32)
    chunk_sim = corpus.index.stored.vectors[positions] @ vectors.T
    weight = _sentence_weight()
    stored = getattr(corpus.index.stored, "sentence_vectors", None)
    if stored is None or weight == 0:
        return chunk_sim
    rows = [corpus.sentence_rows.get(p, []) for p in positions]
    flat = [r for group in rows for r in group]
    if not flat:
        return chunk_sim
    sentence_sim = stored[flat] @ vectors.T
    mixed = chunk_sim.copy()
    offset = 0
    for i, group in enumerate(rows):
        if group:
            best = sentence_sim[offset : offset + len(group)].max(axis=0)
            mixed[i] = (1 - weight) * chunk_sim[i] + weight * best
            offset += len(group)
    return mixed


def chunk_similarity(corpus: Corpus, vectors: np.ndarray, positions: list[int]) -> np.ndarray:
    """For each chunk position: the best similarity of any row of `vectors` to the chunk."""
    matrix = similarity_matrix(corpus, vectors, positions)
    return matrix.max(axis=1) if matrix.size else np.zeros(len(positions), dtype=np.float32)


def _sentence_weight() -> float:
    try:
        from index.search import SENTENCE_WEIGHT
    except ImportError:  # pragma: no cover
        return 0.0
    return float(SENTENCE_WEIGHT)


def item_span(chunk: Chunk) -> tuple[int, int]:
    """Offsets of a numbered need/challenge inside its chunk (skipping a lead-in like "Identifierade behov …:")."""
    text = chunk.text
    match = ITEM_START.search(text) if chunk.item else None
    start = match.start() if match else 0
    end = len(text.rstrip())
    return start, end


def item_number(item: str | None) -> int | None:
    match = re.search(r"(\d+)$", item or "")
    return int(match.group(1)) if match else None
