"""The English side of search: an English question scored against the strategy's English rendering.

The translation memory (index/translation_memory.py) gives chunks an English text; the build embeds it and its
sentences and indexes it for BM25 with an English analyser (index/store.py TranslatedSide). An English question is
then compared with the Swedish text (through multilingual-e5's cross-lingual reach and the glossary, as before)
and with the English rendering; the two are fused per chunk (index/search.py). Everything here is computed once
per loaded build and read-only afterwards, so concurrent searches share it safely.
"""

from __future__ import annotations

import numpy as np

from index.sentences import rows_in_ranges
from index.store import TranslatedSide
from index.tokens import tokenize_english
from ingest.models import Chunk

LEXICAL_CANDIDATES = 100  # English BM25 evidence is computed for the top chunks only, as on the Swedish side


class EnglishSide:
    """Per-build English scoring: dense scores of renderings, their sentences, their sections and BM25 evidence."""

    def __init__(self, side: TranslatedSide, chunks: list[Chunk], section_of: np.ndarray, n_sections: int) -> None:
        self.side = side
        self.present = np.array([chunk.text_en is not None for chunk in chunks], dtype=bool)
        owners = np.asarray(side.sentence_spans[:, 0], dtype=np.int64)
        positions = np.arange(len(chunks))
        self._starts = np.searchsorted(owners, positions, side="left")  # builds write sentences in chunk order
        self._ends = np.searchsorted(owners, positions, side="right")
        self._stems = [frozenset(tokens) for tokens in tokenize_english([chunk.text_en or "" for chunk in chunks])]
        self.section_present, self.centroids = _centroids(side, section_of, n_sections, self.present)

    def rows_of(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The English sentence rows of the given chunks, and per row the index (into positions) of its chunk."""
        return rows_in_ranges(self._starts, self._ends, positions)

    def dense(self, vector: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per position: the rendering's own similarity, its best sentence's similarity (-inf without sentences)
        and that sentence's row (-1); chunks without a rendering get -inf similarities."""
        chunk_sim = self.side.vectors[positions] @ vector
        chunk_sim = np.where(self.present[positions], chunk_sim, -np.inf).astype(np.float32)
        rows, owner = self.rows_of(positions)
        sims = self.side.sentence_vectors[rows] @ vector
        best = np.full(len(positions), -np.inf, dtype=np.float32)
        np.maximum.at(best, owner, sims)
        best_row = np.full(len(positions), -1, dtype=np.int64)
        is_best = sims >= best[owner]
        best_row[owner[is_best]] = rows[is_best]
        return chunk_sim, best, best_row

    def section_context(self, vector: np.ndarray) -> np.ndarray:
        """Per section: the query's similarity to the centroid of its English sentences (nan without any)."""
        similarity = self.centroids @ np.asarray(vector, dtype=np.float32)
        return np.where(self.section_present, similarity, np.nan)

    def lexical_evidence(self, stems: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """For the top LEXICAL_CANDIDATES English BM25 chunks (ascending positions): max-normalised BM25 × (share of
        the query's English stems the rendering contains)², as the Swedish side weighs its evidence."""
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not stems:
            return empty
        scores = self.side.lexical.token_scores(list(stems))
        matching = np.flatnonzero(scores > 0)
        if not len(matching):
            return empty
        top = matching[np.argsort(-scores[matching], kind="stable")[:LEXICAL_CANDIDATES]]
        top = np.sort(top)
        wanted = set(stems)
        coverage = np.array([len(wanted & self._stems[int(p)]) / len(wanted) for p in top], dtype=np.float32)
        return top, (scores[top] / float(scores[matching].max()) * coverage**2).astype(np.float32)


def _centroids(
    side: TranslatedSide, section_of: np.ndarray, n_sections: int, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per section: whether it has English sentences (or renderings), and the unit centroid of them."""
    sums = np.zeros((n_sections, side.vectors.shape[1]), dtype=np.float64)
    owners = section_of[np.asarray(side.sentence_spans[:, 0], dtype=np.int64)]
    np.add.at(sums, owners, side.sentence_vectors)
    without = np.setdiff1d(np.arange(n_sections), owners)
    chunks = np.flatnonzero(np.isin(section_of, without) & present)
    np.add.at(sums, section_of[chunks], side.vectors[chunks])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return norms[:, 0] > 0, (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
