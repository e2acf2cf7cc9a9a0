"""How chunks are scored and picked, shared by every side of search (Swedish and English, dense and lexical) and by
the callers that score chunks against vectors (match, align): the dense score mix, top-k, sparse sums, best rows and
section centroids."""

from __future__ import annotations

import numpy as np

SENTENCE_WEIGHT = 0.6  # dense score = 0.4 · chunk similarity + 0.6 · best sentence similarity


def mix_scores(chunk_sim: np.ndarray, best_sentence_sim: np.ndarray) -> np.ndarray:
    """A chunk's dense score: (1 − SENTENCE_WEIGHT) · its own similarity + SENTENCE_WEIGHT · its best sentence's;
    a chunk without indexed sentences (best sentence -inf) keeps its own similarity. Used by search and by every
    caller that scores chunks against vectors, so their scores are comparable."""
    return np.where(
        np.isfinite(best_sentence_sim),
        (1 - SENTENCE_WEIGHT) * chunk_sim + SENTENCE_WEIGHT * best_sentence_sim,
        chunk_sim,
    )


def top(positions: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """The k positions with the highest values, ties by position — the same as a stable argsort over ascending
    positions, without sorting them all."""
    if len(values) > 4 * k:
        threshold = np.partition(values, len(values) - k)[len(values) - k]
        keep = np.flatnonzero(values >= threshold)
        positions, values = positions[keep], values[keep]
    return positions[np.argsort(-values, kind="stable")[:k]]


def best_normalised(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The at most k positions with the highest positive scores, ascending, and each one's score / the highest score
    (float32); empty when no score is positive. Each lexical side's evidence starts from it (BM25 over the text, the
    English rendering and the everyday phrasings)."""
    matching = np.flatnonzero(scores > 0)
    if not len(matching):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    best = np.sort(top(matching, scores[matching], k))
    return best, (scores[best] / float(scores[matching].max())).astype(np.float32)


def merge(
    positions: np.ndarray, values: np.ndarray, more: np.ndarray, more_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two sparse (position, value) lists as one, ascending, the values of a position in both added."""
    merged, inverse = np.unique(np.concatenate([positions, more]), return_inverse=True)
    sums = np.zeros(len(merged), dtype=np.float32)
    np.add.at(sums, inverse, np.concatenate([values, more_values]).astype(np.float32))
    return merged, sums


def best_per_owner(
    similarity: np.ndarray, owner: np.ndarray, rows: np.ndarray, n_owners: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per owner (0..n_owners−1): the best of its rows' similarities (-inf without rows) and that row (-1)."""
    best = np.full(n_owners, -np.inf, dtype=np.float32)
    np.maximum.at(best, owner, similarity)
    best_row = np.full(n_owners, -1, dtype=np.int64)
    is_best = similarity >= best[owner]
    best_row[owner[is_best]] = rows[is_best]
    return best, best_row


def unit_centroids(
    sentence_vectors: np.ndarray,
    sentence_section: np.ndarray,
    chunk_vectors: np.ndarray,
    chunk_section: np.ndarray,
    n_sections: int,
    chunk_allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Per section: the unit centroid of its sentences' vectors, of its chunks' vectors (those `chunk_allowed`) for
    a section without sentences; a zero row for a section with neither."""
    sums = np.zeros((n_sections, chunk_vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, sentence_section, sentence_vectors)
    without = np.setdiff1d(np.arange(n_sections), sentence_section)
    in_without = np.isin(chunk_section, without)
    chunks = np.flatnonzero(in_without if chunk_allowed is None else in_without & chunk_allowed)
    np.add.at(sums, chunk_section[chunks], chunk_vectors[chunks])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
