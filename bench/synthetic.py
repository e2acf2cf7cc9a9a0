"""Synthetic corpora for the scale benchmark, made from the real index.

Text: every synthetic chunk takes a real chunk's heading path and 2–5 sentences drawn at random from the
whole strategy, so BM25 sees the real vocabulary (only a few thousand stems: long posting lists, a harder
case than a real large corpus with its long-tailed vocabulary).

Vectors: uniformly random unit vectors in 384 dimensions have no neighbourhood structure (every point is
almost equidistant from every other), which no embedding model produces and which defeats every
approximate index. So the default generator (`structured`) makes each vector from the real chunk and sentence
vectors the way index/vectors.py makes its tuning queries: a real vector plus 0.3–0.7 × the difference of two
other real vectors (variation shaped like the real embeddings' own, which fill a narrow cone: mean cosine
0.85) plus a little isotropic noise, renormalised — about as similar to its base vector as a real nearest
neighbour is (cosine ≈ 0.95); sentence vectors are drawn around their chunk's vector (cosine ≈ 0.89, as in
the real index). `uniform` is there for the worst case.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.sentences import embeddable_sentences, sentence_spans
from index.store import StoredIndex, load_build
from index.vectors import near_vectors
from ingest.models import Chunk

SPREAD = (0.3, 0.8)  # cosine to the base vector ≈ 0.95, like a real nearest neighbour
SENTENCE_SPREAD = (0.6, 1.1)  # a sentence vector around its chunk's: cosine ≈ 0.89, as in the real index


class Seed:
    """What the generators draw from: the real chunks, their sentences and their vectors."""

    def __init__(self, stored: StoredIndex) -> None:
        self.chunks = stored.chunks
        self.vectors = np.vstack([stored.vectors, stored.sentence_vectors]).astype(np.float32)
        self.sentences = [
            chunk.text[start:end] for chunk in stored.chunks for start, end in sentence_spans(chunk.text)
        ]

    @classmethod
    def from_index(cls, index_dir: Path) -> Seed:
        return cls(load_build(index_dir, verify=False))


def unit_vectors(seed: Seed | None, n: int, dim: int = 384, rng: np.random.Generator | None = None,
                 kind: str = "structured", block: int = 200_000) -> np.ndarray:
    """`n` L2-normalised float32 vectors (see the module docstring for the two kinds)."""
    rng = rng or np.random.default_rng(0)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, block):
        m = min(block, n - start)
        if kind == "uniform" or seed is None:
            part = rng.standard_normal((m, dim), dtype=np.float32)
            part /= np.linalg.norm(part, axis=1, keepdims=True)
        else:
            part = near_vectors(seed.vectors, m, rng, spread=SPREAD)
        out[start : start + m] = part
    return out


def sentence_vectors(seed: Seed, chunk_vectors: np.ndarray, spans: np.ndarray,
                     rng: np.random.Generator | None = None, block: int = 200_000) -> np.ndarray:
    """One vector per sentence-table row, drawn around its chunk's vector (as a real chunk's sentences are)."""
    rng = rng or np.random.default_rng(4)
    out = np.empty((len(spans), chunk_vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(spans), block):
        owners = spans[start : start + block, 0]
        out[start : start + len(owners)] = near_vectors(
            seed.vectors, len(owners), rng, base=chunk_vectors[owners], spread=SENTENCE_SPREAD
        )
    return out


def texts(seed: Seed, n: int, rng: np.random.Generator | None = None) -> list[str]:
    """`n` chunk texts of 2–5 recombined real sentences under a real heading path."""
    rng = rng or np.random.default_rng(1)
    pool = np.array(seed.sentences, dtype=object)
    heads = [" > ".join(c.heading_path) for c in seed.chunks]
    lengths = rng.integers(2, 6, n)
    picks = rng.integers(0, len(pool), int(lengths.sum()))
    owners = rng.integers(0, len(heads), n)
    result, at = [], 0
    for i in range(n):
        result.append(heads[owners[i]] + "\n" + " ".join(pool[picks[at : at + lengths[i]]]))
        at += lengths[i]
    return result


def chunks(seed: Seed, n: int, rng: np.random.Generator | None = None) -> list[Chunk]:
    """`n` chunks with recombined text, each carrying a real chunk's section, priority and pages."""
    rng = rng or np.random.default_rng(2)
    owners = rng.integers(0, len(seed.chunks), n)
    bodies = texts(seed, n, rng)
    result = []
    for i, body in enumerate(bodies):
        text = body.split("\n", 1)[1]
        base = seed.chunks[owners[i]]
        chunk_id = hashlib.sha256(f"{i}\n{text}".encode()).hexdigest()[:16]
        result.append(replace(base, chunk_id=chunk_id, doc_id=f"synthetic-{i % 50:02d}", text=text, item=None))
    return result


def sentence_table(items: list[Chunk]) -> np.ndarray:
    """(chunk position, start, end) rows of every embeddable sentence, as the build writes them."""
    rows = [(p, s, e) for p, c in enumerate(items) for s, e in embeddable_sentences(c.text)]
    return np.array(rows, dtype=np.int32).reshape(-1, 3)


def queries(seed: Seed, n: int, rng: np.random.Generator | None = None, kind: str = "structured") -> np.ndarray:
    """Query vectors drawn like the corpus vectors (never equal to a stored one)."""
    return unit_vectors(seed, n, seed.vectors.shape[1], rng or np.random.default_rng(3), kind)
