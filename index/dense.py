"""The dense side of search: candidate chunks and their exact scores from the stored chunk and sentence vectors, the
hits built from them, and the same scoring for callers that hold vectors of their own (match, align, evidence).

One search path: the dense side scores candidate chunks exactly from the stored vectors. Below CANDIDATES_FROM
chunks (and for filters leaving at most EXACT_SUBSET) every allowed chunk is a candidate. From CANDIDATES_FROM on
(docs/benchmarks.md) the candidates are the top CHUNK_CANDIDATES chunks and the chunks of the top
SENTENCE_CANDIDATES sentences (plus the top BM25 chunks for hybrid), and the search widens until no other chunk could
reach the top k. The sentence table is ordered at load and read-only afterwards, so concurrent searches share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

from index import vectors as vector_search
from index.hits import Hit, SentenceScore, lexical_best_sentence
from index.scores import best_per_owner, mix_scores, top
from index.sentences import rows_in_ranges
from index.store import StoredIndex
from index.translated import EnglishSide, fuse_english

CANDIDATES_FROM = 5_000
CHUNK_CANDIDATES = 200
SENTENCE_CANDIDATES = 500
EXACT_SUBSET = 2_000  # a filter leaving at most this many chunks is scored exactly over that subset


@dataclass
class DenseScores:
    """Exact dense scores of candidate chunks: the mixed score, and every sentence's similarity with its owner."""

    positions: np.ndarray  # ascending chunk positions
    mixed: np.ndarray  # per candidate: mix_scores(chunk similarity, best sentence similarity)
    best_row: np.ndarray  # per candidate: the sentence-table row of its best sentence, or -1
    rows: np.ndarray  # sentence-table rows of the candidates' sentences, grouped by candidate
    owner: np.ndarray  # per row: index into positions (ascending)
    sentence_sim: np.ndarray  # per row: similarity to the query
    bounds: np.ndarray  # candidate i's rows are rows[bounds[i]:bounds[i + 1]]


@dataclass(frozen=True)
class Candidates:
    """A round of candidate search: the candidates' scores, an upper bound on the score of any other allowed chunk,
    and whether every allowed chunk is a candidate."""

    scores: DenseScores
    bound: float
    exhaustive: bool


class DenseSide:
    """Dense scoring over one loaded build."""

    def __init__(self, stored: StoredIndex) -> None:
        self.stored = stored
        owners = np.asarray(stored.sentence_spans[:, 0], dtype=np.int64)
        self._order: np.ndarray | None = None  # the sort of the sentence table by chunk, None if builds wrote it so
        if len(owners) and np.any(np.diff(owners) < 0):
            self._order = np.argsort(owners, kind="stable")
            owners = owners[self._order]
        chunk_positions = np.arange(len(stored.chunks))
        self._starts = np.searchsorted(owners, chunk_positions, side="left")
        self._ends = np.searchsorted(owners, chunk_positions, side="right")

    def rows_of(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sentence-table rows of the given chunks, and for each row the index (into positions) of its chunk."""
        rows, owner = rows_in_ranges(self._starts, self._ends, positions)
        if self._order is not None:
            rows = self._order[rows]
        return rows, owner

    def candidates(
        self,
        vector: np.ndarray,
        allowed: np.ndarray | None,
        extra: np.ndarray | None,
        scale: int,
        english: EnglishSide | None = None,
    ) -> Candidates:
        """Candidate chunks with their exact dense scores.

        Candidates: every allowed chunk below CANDIDATES_FROM chunks or when a filter leaves at most EXACT_SUBSET;
        otherwise the top CHUNK_CANDIDATES·scale chunks, the chunks of the top SENTENCE_CANDIDATES·scale sentences,
        and `extra`; with the English side also the top chunks by their rendering's score (every fused score lies
        between its two sides', so the larger of the two sides' bounds bounds it)."""
        stored = self.stored
        n, n_sentences = len(stored.chunks), len(stored.sentence_spans)
        vector = np.asarray(vector, dtype=np.float32)
        if n < CANDIDATES_FROM or (allowed is not None and len(allowed) <= EXACT_SUBSET):
            positions = np.arange(n) if allowed is None else np.asarray(allowed, dtype=np.int64)
            return Candidates(self.scores(vector, positions, english), -np.inf, True)
        english_bound = -np.inf
        if english is not None:
            pool = np.arange(n) if allowed is None else np.asarray(allowed, dtype=np.int64)
            scores = english.mixed(vector, pool)
            best = top(pool, scores, min(len(pool), CHUNK_CANDIDATES * scale))
            if len(best) < len(pool):
                english_bound = float(np.sort(scores)[len(pool) - len(best) - 1])
            extra = best if extra is None else np.concatenate([np.asarray(extra, dtype=np.int64), best])
        chunk_params = sentence_params = None
        n_allowed, s_allowed = n, n_sentences
        if allowed is not None:
            mask = np.zeros(n, dtype=bool)
            mask[allowed] = True
            sentence_mask = mask[stored.sentence_spans[:, 0]]
            n_allowed, s_allowed = len(allowed), int(sentence_mask.sum())
            chunk_params = vector_search.search_parameters(stored.faiss_index, _bitmap(mask))
            sentence_params = vector_search.search_parameters(stored.sentence_faiss, _bitmap(sentence_mask))
        kc = min(n_allowed, CHUNK_CANDIDATES * scale)
        ks = min(s_allowed, SENTENCE_CANDIDATES * scale)
        chunk_sim, chunk_ids = vector_search.search(stored.faiss_index, stored.vectors, vector, kc, chunk_params)
        sentence_sim, sentence_ids = vector_search.search(
            stored.sentence_faiss, stored.sentence_vectors, vector, ks, sentence_params
        )
        chunk_ids, sentence_ids = chunk_ids[0][chunk_ids[0] >= 0], sentence_ids[0][sentence_ids[0] >= 0]
        parts = [chunk_ids, stored.sentence_spans[sentence_ids, 0].astype(np.int64)]
        if extra is not None:
            parts.append(np.asarray(extra, dtype=np.int64))
        positions = np.unique(np.concatenate(parts))
        # a chunk outside both lists has chunk similarity ≤ the last chunk found and sentences ≤ the last found
        last_chunk = float(chunk_sim[0][len(chunk_ids) - 1]) if len(chunk_ids) == kc < n_allowed else -np.inf
        last_sentence = (
            float(sentence_sim[0][len(sentence_ids) - 1]) if len(sentence_ids) == ks < s_allowed else -np.inf
        )
        bound = max(last_chunk, float(mix_scores(np.float32(last_chunk), np.float32(last_sentence))), english_bound)
        exhaustive = kc >= n_allowed and ks >= s_allowed
        return Candidates(self.scores(vector, positions, english), bound, exhaustive)

    def scores(self, vector: np.ndarray, positions: np.ndarray, english: EnglishSide | None = None) -> DenseScores:
        """Exact dense scores of the given chunks and of each of their sentences, from the stored vectors; with the
        English side, fused with their renderings' scores."""
        stored = self.stored
        chunk_sim = vector_search.dot(vector_search.rows_at(stored.vectors, positions), vector)
        rows, owner = self.rows_of(positions)
        sentence_sim = vector_search.dot(vector_search.rows_at(stored.sentence_vectors, rows), vector)
        best_value, best_row = best_per_owner(sentence_sim, owner, rows, len(positions))
        mixed = mix_scores(chunk_sim, best_value).astype(np.float32)
        if english is not None:
            mixed = fuse_english(mixed, english.mixed(vector, positions))
        bounds = np.searchsorted(owner, np.arange(len(positions) + 1))
        return DenseScores(positions, mixed, best_row, rows, owner, sentence_sim, bounds)

    def hits(
        self,
        order: np.ndarray,
        final: np.ndarray,
        dense: DenseScores,
        lexical: np.ndarray | None,
        terms: frozenset[str],
    ) -> list[Hit]:
        """The hits for candidates `order` (best first) of a dense or hybrid search: each one's best sentence
        highlighted, every sentence scored. Gathered for all of them at once: /v1/ask ranks 50."""
        spans_table, chunks = self.stored.sentence_spans, self.stored.chunks
        starts, ends = dense.bounds[order], dense.bounds[order + 1]
        counts = ends - starts
        at = np.concatenate(([0], np.cumsum(counts))).tolist()  # hit j's sentences are rows at[j]:at[j + 1] below
        picked = np.repeat(starts - at[:-1], counts) + np.arange(at[-1])
        spans = spans_table[dense.rows[picked]]
        sentence_starts, sentence_ends = spans[:, 1].tolist(), spans[:, 2].tolist()
        similarities = dense.sentence_sim[picked].tolist()
        positions = dense.positions[order].tolist()
        best_rows = dense.best_row[order]
        has_best = best_rows >= 0
        best_spans = np.zeros((len(order), 2), dtype=np.int64)
        best_spans[has_best] = spans_table[best_rows[has_best], 1:]
        best_spans, has_best = best_spans.tolist(), has_best.tolist()
        bm25 = lexical[dense.positions[order]].tolist() if lexical is not None else [None] * len(order)
        hits = []
        for j, (position, score, mixed) in enumerate(
            zip(positions, final[order].tolist(), dense.mixed[order].tolist(), strict=True)
        ):
            first, last = at[j], at[j + 1]
            sentences = [
                SentenceScore(start, end, similarity)
                for start, end, similarity in zip(
                    sentence_starts[first:last], sentence_ends[first:last], similarities[first:last], strict=True
                )
            ]
            best = [tuple(best_spans[j])] if has_best[j] else lexical_best_sentence(chunks[position].text, terms)
            hits.append(
                Hit(
                    rank=j + 1,
                    score=score,
                    chunk=chunks[position],
                    position=position,
                    dense_score=mixed,
                    bm25_score=bm25[j],
                    highlights=best,
                    sentences=sentences,
                )
            )
        return hits

    # --- scoring chunks and sentences against vectors of the caller's (match, align, evidence) -------------------

    def similarity(self, vectors: np.ndarray, positions: list[int] | np.ndarray) -> np.ndarray:
        """(len(positions), len(vectors)) dense scores of chunks against unit vectors, mixed as search mixes them."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return np.zeros((0, len(vectors)), dtype=np.float32)
        chunk_sim = self.stored.vectors[positions] @ vectors.T
        rows, owner = self.rows_of(positions)
        best = np.full(chunk_sim.shape, -np.inf, dtype=np.float32)
        if len(rows):
            np.maximum.at(best, owner, self.stored.sentence_vectors[rows] @ vectors.T)
        return mix_scores(chunk_sim, best).astype(np.float32)

    def sentence_scores(self, vectors: np.ndarray, position: int) -> list[SentenceScore]:
        """A chunk's indexed sentences scored by their best similarity to any of `vectors`, best first."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        rows, _ = self.rows_of(np.array([position]))
        if not len(rows):
            return []
        sims = (self.stored.sentence_vectors[rows] @ vectors.T).max(axis=1)
        spans = self.stored.sentence_spans[rows]
        scored = [SentenceScore(int(s), int(e), float(v)) for (_, s, e), v in zip(spans, sims, strict=True)]
        return sorted(scored, key=lambda sentence: -sentence.score)

    def sentence_vectors(self, position: int) -> tuple[list[tuple[int, int]], np.ndarray]:
        """A chunk's indexed sentences (offsets into its text) and their stored vectors."""
        rows, _ = self.rows_of(np.array([position]))
        spans = [(int(s), int(e)) for _, s, e in self.stored.sentence_spans[rows]]
        return spans, self.stored.sentence_vectors[rows]

    def typical_similarity(self, vectors: np.ndarray, count: int) -> np.ndarray:
        """Per vector: the mean of its `count` best similarities to the indexed sentences (to the chunks when the
        index has no sentences) — how close a text is to the corpus in general."""
        reference = self.stored.sentence_vectors if len(self.stored.sentence_vectors) else self.stored.vectors
        sims = np.atleast_2d(np.asarray(vectors, dtype=np.float32)) @ reference.T
        count = min(count, sims.shape[1])
        return np.sort(sims, axis=1)[:, -count:].mean(axis=1)


def _bitmap(mask: np.ndarray) -> faiss.IDSelectorBitmap:
    """A FAISS selector for the True rows of `mask` (the bitmap array is kept alive on the selector)."""
    bits = np.packbits(mask, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
    selector.bits_array = bits
    return selector
