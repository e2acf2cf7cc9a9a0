"""Vector indexes: exact FAISS search for small collections, an IVF index (8-bit scalar quantised, exact
re-ranking from the stored float vectors) above APPROXIMATE_FROM vectors.

The IVF parameters are chosen at build time: nlist ≈ 2·√n (a power of two), and nprobe is the smallest power
of two whose recall@10 against exact search, measured on sample queries drawn near stored vectors, reaches
TUNE_RECALL (a margin over the 0.95 target, so unseen queries stay above it). What was chosen and measured is
returned as a dict that the build stores in its manifest (`vector_index`).
"""

from __future__ import annotations

import math
import time
from contextlib import AbstractContextManager

import faiss
import numpy as np

from index.openmp import one_thread

APPROXIMATE_FROM = 100_000  # vectors; below this every search is exact (IndexFlatIP)
TARGET_RECALL = 0.95
TUNE_RECALL = 0.97
TUNE_QUERIES = 200
TRAIN_PER_LIST = 40  # training vectors per inverted list (FAISS wants at least 39)
RERANK = 4  # an approximate search fetches RERANK·k codes and re-ranks them with the float vectors


def exact_index(vectors: np.ndarray) -> faiss.Index:
    """Exact inner-product search over L2-normalised vectors (= cosine similarity)."""
    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1
    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def is_exact(index: faiss.Index) -> bool:
    return isinstance(index, faiss.IndexFlat)


def n_lists(n: int) -> int:
    return max(64, 2 ** round(math.log2(2 * math.sqrt(n))))


def build_vector_index(
    vectors: np.ndarray, approximate_from: int = APPROXIMATE_FROM, seed: int = 0
) -> tuple[faiss.Index, dict]:
    """The index for `vectors` and a description of it (type, parameters, measured recall, build seconds)."""
    started = time.perf_counter()
    n = len(vectors)
    if n < approximate_from:
        return exact_index(vectors), {"type": "flat", "n": n}
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    nlist = n_lists(n)
    rng = np.random.default_rng(seed)
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    train = vectors[np.sort(rng.choice(n, size=min(n, TRAIN_PER_LIST * nlist), replace=False))]
    index.train(train)
    index.add(vectors)
    trained = time.perf_counter() - started
    nprobe, recall = tune_nprobe(index, vectors, rng)
    index.nprobe = nprobe
    return index, {
        "type": f"IVF{nlist},SQ8",
        "n": n,
        "nlist": nlist,
        "nprobe": nprobe,
        "rerank": RERANK,
        "recall_at_10": round(recall, 4),
        "tune_queries": TUNE_QUERIES,
        "build_seconds": round(trained, 2),
        "tune_seconds": round(time.perf_counter() - started - trained, 2),
    }


def near_vectors(
    vectors: np.ndarray,
    count: int,
    rng: np.random.Generator,
    base: np.ndarray | None = None,
    spread: tuple[float, float] = (0.5, 1.0),
) -> np.ndarray:
    """Unit vectors near stored ones, shaped like the collection's own variation: a base vector (a random stored
    one unless given) plus `spread` × the difference of two random stored vectors plus a little isotropic noise.
    With e5 vectors the default spread gives cosine ≈ 0.95 to the base, like a real nearest neighbour."""
    n, dim = vectors.shape
    if base is None:
        base = vectors[rng.integers(0, n, count)]
    base = np.asarray(base, dtype=np.float32)
    left, right = (np.asarray(vectors[rng.integers(0, n, count)], dtype=np.float32) for _ in range(2))
    scale = rng.uniform(spread[0], spread[1], (count, 1)).astype(np.float32)
    noise = rng.standard_normal((count, dim), dtype=np.float32) * np.float32(0.1 / math.sqrt(dim))
    near = base + scale * (left - right) + noise
    return near / np.linalg.norm(near, axis=1, keepdims=True)


def sample_queries(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Tuning queries: vectors near stored ones (never equal to one)."""
    return near_vectors(vectors, count, rng)


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of `truth` (exact top-k ids) that `found` contains."""
    hits = [
        len(set(f[f >= 0].tolist()) & set(t[t >= 0].tolist())) / max(1, int((t >= 0).sum()))
        for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits)) if hits else 1.0


def tune_nprobe(index: faiss.IndexIVF, vectors: np.ndarray, rng: np.random.Generator, k: int = 10) -> tuple[int, float]:
    """The smallest power-of-two nprobe reaching TUNE_RECALL on sample queries, and its recall@k."""
    queries = sample_queries(vectors, TUNE_QUERIES, rng)
    _, truth = faiss.knn(queries, vectors, k, metric=faiss.METRIC_INNER_PRODUCT)
    nprobe, recall = 1, 0.0
    while True:
        index.nprobe = nprobe
        _, found = search(index, vectors, queries, k)
        recall = recall_at(found, truth)
        if recall >= TUNE_RECALL or nprobe >= index.nlist:
            return nprobe, recall
        nprobe *= 2


def single_threaded() -> AbstractContextManager[None]:
    """Run FAISS on the calling thread only (restoring its setting after). One query is too little work to split:
    with other load on a 2-core machine, a 2-thread single-query search of 31k vectors took 32–42 ms against 3–10
    ms on one thread (docs/benchmarks.md); concurrent requests still use both cores. The results are the same."""
    return one_thread(faiss.omp_get_max_threads, faiss.omp_set_num_threads)


def search(
    index: faiss.Index,
    vectors: np.ndarray,
    queries: np.ndarray,
    k: int,
    params: faiss.SearchParameters | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-k inner products for each query row: exact for a flat index; for an IVF index the best RERANK·k
    codes re-ranked with the float vectors. Missing results have id -1 and score -inf."""
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    k = max(0, min(k, index.ntotal))
    if k == 0:
        return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
    if is_exact(index):
        with single_threaded():
            return index.search(queries, k, params=params)
    fetched = min(index.ntotal, RERANK * k)
    with single_threaded():
        _, ids = index.search(queries, fetched, params=params)
    scores = np.full(ids.shape, -np.inf, dtype=np.float32)
    for row, (query, found) in enumerate(zip(queries, ids, strict=True)):
        valid = found >= 0
        if valid.any():
            scores[row, valid] = dot(vectors[found[valid]], query)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)


def dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector for the few thousand rows a query scores, on the calling thread: BLAS would split it over
    both cores and, with other load, stall on a descheduled thread (median 0.03 ms, p95 12 ms measured)."""
    return np.einsum("ij,j->i", np.asarray(matrix, dtype=np.float32), np.asarray(vector, dtype=np.float32))


def rows_at(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """matrix[rows], without copying the matrix when `rows` is every row in order: a search over a small index
    scores every chunk and sentence, and copying the tables took a third of its dense scoring (docs/benchmarks.md)."""
    n = len(matrix)
    if len(rows) == n and n and rows[0] == 0 and rows[-1] == n - 1 and bool((np.diff(rows) == 1).all()):
        return matrix
    return matrix[rows]


def search_parameters(index: faiss.Index, selector: faiss.IDSelector | None) -> faiss.SearchParameters | None:
    """Search parameters restricting `index` to `selector` (keeping an IVF index's nprobe)."""
    if selector is None:
        return None
    if is_exact(index):
        return faiss.SearchParameters(sel=selector)
    return faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)


def configure(index: faiss.Index, info: dict | None) -> faiss.Index:
    """Apply the stored search parameters (nprobe) to a loaded index."""
    if info and not is_exact(index) and info.get("nprobe"):
        faiss.extract_index_ivf(index).nprobe = int(info["nprobe"])
    return index
