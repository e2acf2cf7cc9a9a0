"""Search a loaded index: dense (chunk + sentence vectors), lexical (BM25) or a language-aware fusion.

Measured on the dev set (docs/retrieval.md): scoring a chunk by a mix of its own similarity and its best
sentence's similarity beats either alone; English queries gain from Swedish glossary terms (index/translate.py);
and the lexical side may only nudge the dense ranking, in proportion to how completely a chunk covers the
query's concepts — plain fusion with BM25 loses to dense alone here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from index.embedders import Embedder, embedder_id, get_embedder
from index.language import detect_language
from index.lexical import tokenize
from index.query import retrieval_text
from index.sentences import sentence_spans
from index.store import EmbedderMismatch, StoredIndex, load_build, read_manifest
from index.translate import swedish_concepts
from ingest.models import Chunk

Retriever = Literal["hybrid", "dense", "bm25"]
RETRIEVERS: tuple[str, ...] = ("hybrid", "dense", "bm25")
SENTENCE_WEIGHT = 0.6  # dense score = 0.4 · chunk similarity + 0.6 · best sentence similarity
# hybrid = dense + weight[language] · (max-normalised BM25 × concept coverage²). Dense similarities of
# candidate chunks lie within ~0.02 of each other, so these small weights already decide close calls.
LEXICAL_WEIGHT = {"sv": 0.02, "en": 0.02}
LEXICAL_CANDIDATES = 100  # coverage is computed for the top BM25 chunks only


@dataclass(frozen=True)
class Filters:
    """Restrict results to a document, a priority (1–6) and/or a section id."""

    doc: str | None = None
    priority: int | None = None
    section: str | None = None

    def allows(self, chunk: Chunk) -> bool:
        return (
            (self.doc is None or chunk.doc_id == self.doc)
            and (self.priority is None or chunk.priority == self.priority)
            and (self.section is None or chunk.section_id == self.section)
        )


@dataclass
class Hit:
    """One ranked chunk with its scores and the sentence(s) that best match the query."""

    rank: int
    score: float
    chunk: Chunk
    dense_score: float | None = None
    bm25_score: float | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)  # character offsets into chunk.text


@dataclass
class _Scores:
    dense: np.ndarray | None
    lexical: np.ndarray | None
    best_sentence: np.ndarray | None  # per chunk: row in the sentence table of its best sentence, or -1
    evidence: np.ndarray | None = None  # BM25 × concept coverage², for the fusion


@dataclass(frozen=True)
class PreparedQuery:
    """A query as each side of the retriever sees it."""

    language: str
    dense_text: str  # frame-stripped; English queries carry their Swedish glossary terms
    lexical_text: str  # Swedish words for BM25 (glossary terms for English queries)
    concepts: tuple[frozenset[frozenset[str]], ...]  # each concept: alternative stem sets


def prepare_query(query: str, language: str | None = None) -> PreparedQuery:
    """Strip the question frame, detect the language and translate English domain words to Swedish."""
    language = language or detect_language(query)
    text = retrieval_text(query)
    if language == "en":
        concepts = swedish_concepts(text)
        terms = list(dict.fromkeys(term for concept in concepts for term in concept))
        dense_text = f"{text} ({', '.join(terms)})" if terms else text
        lexical_text = " ".join(terms)
        stems = tuple(frozenset(frozenset(tokenize([t])[0]) for t in concept) for concept in concepts)
    else:
        dense_text = lexical_text = text
        stems = tuple(frozenset([frozenset([stem])]) for stem in dict.fromkeys(tokenize([text])[0]))
    return PreparedQuery(language, dense_text, lexical_text, tuple(c for c in stems if any(c)))


class SearchIndex:
    """An index loaded for searching, with its embedder."""

    def __init__(self, stored: StoredIndex, embedder: Embedder) -> None:
        self.stored = stored
        self.embedder = embedder
        self.chunks = stored.chunks
        self.manifest = stored.manifest
        self._stems: dict[int, frozenset[str]] = {}

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder | str | None = None) -> SearchIndex:
        """Load the index in `index_dir`; the embedder must be the one it was built with."""
        manifest = read_manifest(index_dir)
        built_with = manifest["embedder"]["id"]
        if isinstance(embedder, str) and embedder_id(embedder) != built_with:
            raise EmbedderMismatch(Path(index_dir), built_with, embedder_id(embedder))
        if embedder is None or isinstance(embedder, str):
            embedder = get_embedder(built_with if built_with.startswith("st:") else "e5")
        if embedder.id != built_with:
            raise EmbedderMismatch(Path(index_dir), built_with, embedder.id)
        return cls(load_build(index_dir), embedder)

    def search(
        self,
        query: str,
        k: int = 10,
        retriever: Retriever = "hybrid",
        filters: Filters | None = None,
        language: str | None = None,
    ) -> list[Hit]:
        """Rank chunks for a query; `language` ('sv'/'en') overrides detection for the fusion weights."""
        if retriever not in RETRIEVERS:
            raise ValueError(f"unknown retriever {retriever!r}; use one of {', '.join(RETRIEVERS)}")
        allowed = self._allowed(filters)
        if k <= 0 or not len(allowed):
            return []
        prepared = prepare_query(query, language)
        scores = self._scores(prepared, retriever, allowed)
        if retriever == "dense":
            final = scores.dense
        elif retriever == "bm25":
            final = scores.lexical
        else:
            final = scores.dense + LEXICAL_WEIGHT[prepared.language] * scores.evidence
        if retriever == "bm25":
            allowed = allowed[final[allowed] > 0]  # a chunk sharing no term with the query is no match
        subset = final[allowed]
        order = allowed[np.argsort(-subset, kind="stable")[:k]]
        return [
            self._hit(rank, int(position), float(final[position]), scores, query)
            for rank, position in enumerate(order, start=1)
        ]

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def _scores(self, query: PreparedQuery, retriever: str, allowed: np.ndarray) -> _Scores:
        dense = best = lexical = evidence = None
        if retriever != "bm25":
            dense, best = self.dense_scores(self.query_vector(query.dense_text), allowed)
        if retriever != "dense":
            lexical = self.stored.lexical.scores(query.lexical_text)
        if retriever == "hybrid":
            evidence = self._lexical_evidence(lexical, query.concepts)
        return _Scores(dense, lexical, best, evidence)

    def _lexical_evidence(self, lexical: np.ndarray, concepts: tuple[frozenset[frozenset[str]], ...]) -> np.ndarray:
        """Max-normalised BM25 × (share of the query's concepts the chunk contains)², for top BM25 chunks."""
        evidence = np.zeros(len(self.chunks), dtype=np.float32)
        if not concepts or not len(lexical) or lexical.max() <= 0:
            return evidence
        normalised = lexical / lexical.max()
        candidates = np.argsort(-lexical)[:LEXICAL_CANDIDATES]
        for position in candidates[lexical[candidates] > 0]:
            stems = self._chunk_stems(int(position))
            covered = sum(any(alternative <= stems for alternative in concept) for concept in concepts)
            evidence[position] = normalised[position] * (covered / len(concepts)) ** 2
        return evidence

    def _chunk_stems(self, position: int) -> frozenset[str]:
        cached = self._stems.get(position)
        if cached is None:
            chunk = self.chunks[position]
            cached = self._stems[position] = frozenset(tokenize([" ".join(chunk.heading_path) + " " + chunk.text])[0])
        return cached

    def dense_scores(
        self, query_vector: np.ndarray, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per chunk: the mixed chunk/sentence similarity (others -inf) and the row of its best sentence."""
        n = len(self.chunks)
        allowed = np.arange(n) if allowed is None else allowed
        chunk_sim = _search_all(self.stored.faiss_index, query_vector, allowed if len(allowed) < n else None)
        spans = self.stored.sentence_spans
        sentence_rows = np.arange(len(spans))
        if len(allowed) < n:
            sentence_rows = sentence_rows[np.isin(spans[:, 0], allowed)]
        sentence_sim = _search_all(
            self.stored.sentence_faiss, query_vector, sentence_rows if len(sentence_rows) < len(spans) else None
        )
        best_value = np.full(n, -np.inf, dtype=np.float32)
        np.maximum.at(best_value, spans[:, 0], sentence_sim)
        best_row = np.full(n, -1, dtype=np.int64)
        is_best = sentence_sim >= best_value[spans[:, 0]]
        best_row[spans[is_best, 0]] = np.nonzero(is_best)[0]
        has_sentence = np.isfinite(best_value)
        mixed = np.where(has_sentence, (1 - SENTENCE_WEIGHT) * chunk_sim + SENTENCE_WEIGHT * best_value, chunk_sim)
        mask = np.full(n, -np.inf, dtype=np.float32)
        mask[allowed] = 0.0
        return (mixed + mask).astype(np.float32), best_row

    def _allowed(self, filters: Filters | None) -> np.ndarray:
        if filters is None or filters == Filters():
            return np.arange(len(self.chunks))
        return np.array([i for i, c in enumerate(self.chunks) if filters.allows(c)], dtype=np.int64)

    def _hit(self, rank: int, position: int, score: float, scores: _Scores, query: str) -> Hit:
        chunk = self.chunks[position]
        best = int(scores.best_sentence[position]) if scores.best_sentence is not None else -1
        if best >= 0:
            _, start, end = self.stored.sentence_spans[best]
            highlights = [(int(start), int(end))]
        else:
            highlights = lexical_best_sentence(chunk.text, query)
        return Hit(
            rank=rank,
            score=score,
            chunk=chunk,
            dense_score=float(scores.dense[position]) if scores.dense is not None else None,
            bm25_score=float(scores.lexical[position]) if scores.lexical is not None else None,
            highlights=highlights,
        )


def _search_all(index: faiss.Index, vector: np.ndarray, subset: np.ndarray | None) -> np.ndarray:
    """Similarity of the query to every vector in `index` (-inf outside `subset`)."""
    total = index.ntotal
    scores = np.full(total, -np.inf, dtype=np.float32)
    if total == 0:
        return scores
    params = None
    limit = total
    if subset is not None:
        if not len(subset):
            return scores
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(subset.astype(np.int64)))
        limit = len(subset)
    found, ids = index.search(np.ascontiguousarray(vector[None, :], dtype=np.float32), limit, params=params)
    valid = ids[0] >= 0
    scores[ids[0][valid]] = found[0][valid]
    return scores


def _max_normalised(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if len(scores) else 0.0
    return scores / top if top > 0 else np.zeros_like(scores)


def lexical_best_sentence(text: str, query: str) -> list[tuple[int, int]]:
    """The span of the sentence sharing the most stemmed query terms (the first sentence if none do)."""
    spans = sentence_spans(text)
    if not spans:
        return []
    terms = set(tokenize([query])[0])
    overlaps = [len(terms & set(tokenize([text[s:e]])[0])) for s, e in spans]
    best = max(range(len(spans)), key=lambda i: (overlaps[i], -i))
    return [spans[best]]
