"""The English side of search: an English question scored against the strategy's English rendering.

The translation memory (index/translation_memory.py) gives chunks an English text; the build embeds it and its
sentences and indexes it for BM25 with an English analyser (index/store.py TranslatedSide). An English question is
then compared with the Swedish text (through multilingual-e5's cross-lingual reach and the glossary, as before)
and with the English rendering; the two are fused per chunk (index/search.py). Everything here is computed once
per loaded build and read-only afterwards, so concurrent searches share it safely.
"""

from __future__ import annotations

import numpy as np

from index.scores import best_normalised, best_per_owner, mix_scores, unit_centroids
from index.sentences import rows_in_ranges
from index.store import TranslatedSide
from index.tokens import tokenize_english
from index.vectors import rows_at
from ingest.models import Chunk

LEXICAL_CANDIDATES = 100  # English BM25 evidence is computed for the top chunks only, as on the Swedish side
# An English question against an index with the strategy's English rendering: where a chunk has a rendering, its
# dense score and its section's context are (1 − w) · the Swedish side's + w · the English side's. Chosen on
# eval/realistic_tune.jsonl (docs/retrieval.md "The strategy in English").
ENGLISH_DENSE_WEIGHT = 0.5


def fuse_english(swedish: np.ndarray, english: np.ndarray) -> np.ndarray:
    """Swedish-side scores fused with the English side's where it has one (finite), by ENGLISH_DENSE_WEIGHT."""
    fused = (1 - ENGLISH_DENSE_WEIGHT) * swedish + ENGLISH_DENSE_WEIGHT * english
    return np.where(np.isfinite(english), fused, swedish).astype(np.float32)


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
        section_of_sentence = section_of[np.asarray(side.sentence_spans[:, 0], dtype=np.int64)]
        self.centroids = unit_centroids(
            side.sentence_vectors, section_of_sentence, side.vectors, section_of, n_sections, self.present
        )
        self.section_present = np.linalg.norm(self.centroids, axis=1) > 0

    def rows_of(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The English sentence rows of the given chunks, and per row the index (into positions) of its chunk."""
        return rows_in_ranges(self._starts, self._ends, positions)

    def mixed(self, vector: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """The renderings' dense scores at `positions`, mixed as the Swedish side's: the rendering's own similarity
        and its best sentence's (-inf where a chunk has no rendering)."""
        chunk_sim = rows_at(self.side.vectors, positions) @ vector
        chunk_sim = np.where(self.present[positions], chunk_sim, -np.inf).astype(np.float32)
        rows, owner = self.rows_of(positions)
        best, _ = best_per_owner(rows_at(self.side.sentence_vectors, rows) @ vector, owner, rows, len(positions))
        return np.where(np.isfinite(chunk_sim), mix_scores(chunk_sim, best), -np.inf).astype(np.float32)

    def section_context(self, vector: np.ndarray) -> np.ndarray:
        """Per section: the query's similarity to the centroid of its English sentences (nan without any)."""
        similarity = self.centroids @ np.asarray(vector, dtype=np.float32)
        return np.where(self.section_present, similarity, np.nan)

    def lexical_evidence(self, stems: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """For the top LEXICAL_CANDIDATES English BM25 chunks (ascending positions): max-normalised BM25 × (share of
        the query's English stems the rendering contains)², as the Swedish side weighs its evidence."""
        if not stems:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top, normalised = best_normalised(self.side.lexical.token_scores(list(stems)), LEXICAL_CANDIDATES)
        wanted = set(stems)
        coverage = np.array([len(wanted & self._stems[int(p)]) / len(wanted) for p in top], dtype=np.float32)
        return top, (normalised * coverage**2).astype(np.float32)
