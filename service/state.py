"""The loaded index as the service uses it, and the holder that (re)loads it.

`Corpus` bundles a `SearchIndex` with what the answer functions need besides search: the section
tree side file, chunk positions, and an embedder wrapper that serialises inference (one model
call at a time uses all cores; concurrent calls only oversubscribe them) and caches query vectors.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.embedders import EmbedderError
from index.search import SearchIndex
from index.store import IndexProblem, current_build, read_extra
from service.errors import BUILD_HINT, IndexUnavailable

log = logging.getLogger("rus.service")

SECTIONS_FILE = "sections.json"


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


class ServiceEmbedder:
    """Wraps an index's embedder: one inference at a time, and per-text caches for queries and passages."""

    def __init__(self, inner, cache_size: int = 4096) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self._lock = threading.Lock()
        self._queries = _LRU(cache_size)
        self._passages = _LRU(cache_size)

    def _cached(self, texts: Sequence[str], cache: _LRU, encode) -> np.ndarray:
        texts = list(texts)
        found = [cache.get(t) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, found, strict=True) if v is None))
        if missing:
            with self._lock:
                fresh = encode(missing)
            for text, vector in zip(missing, fresh, strict=True):
                cache.put(text, np.asarray(vector, dtype=np.float32))
        vectors = [v if v is not None else cache.get(t) for t, v in zip(texts, found, strict=True)]
        if not vectors:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(vectors).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached(texts, self._queries, self.inner.embed_queries)

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._cached(texts, self._passages, lambda batch: self.inner.embed_passages(batch))


@dataclass
class Corpus:
    """A loaded index plus the lookups the service builds once per load."""

    index: SearchIndex
    sections: list[dict]  # sections.json: one entry per document with its ordered sections
    embedder: ServiceEmbedder
    position: dict[str, int] = field(default_factory=dict)  # chunk_id → position in index.chunks
    sentence_rows: dict[int, list[int]] = field(default_factory=dict)  # chunk position → sentence table rows
    memo: dict = field(default_factory=dict)  # results computed once per loaded index (section tree, …)

    @classmethod
    def from_index(cls, index: SearchIndex, sections: list[dict] | None, cache_size: int = 4096) -> Corpus:
        embedder = (
            index.embedder
            if isinstance(index.embedder, ServiceEmbedder)
            else ServiceEmbedder(index.embedder, cache_size)
        )
        index.embedder = embedder
        corpus = cls(index=index, sections=sections or [], embedder=embedder)
        for position, chunk in enumerate(index.chunks):
            corpus.position.setdefault(chunk.chunk_id, position)
        spans = getattr(index.stored, "sentence_spans", None)
        if spans is not None and len(spans):
            for row, chunk_position in enumerate(spans[:, 0].tolist()):
                corpus.sentence_rows.setdefault(int(chunk_position), []).append(row)
        return corpus

    @classmethod
    def open(cls, index_dir: Path, embedder=None, cache_size: int = 4096) -> Corpus:
        """Load an index directory (for scripts and tests; the app uses IndexHolder)."""
        sections = read_extra(Path(index_dir), SECTIONS_FILE)
        return cls.from_index(
            SearchIndex.open(index_dir, embedder), sections if isinstance(sections, list) else [], cache_size
        )

    @property
    def chunks(self):
        return self.index.chunks

    @property
    def build(self) -> Path:
        return Path(self.index.stored.path)


class IndexHolder:
    """Loads the index for the app, reports why it cannot, and reloads when `current` switches builds."""

    def __init__(self, index_dir: Path, embedder_spec: str | None = None, cache_size: int = 4096) -> None:
        self.index_dir = Path(index_dir)
        self.embedder_spec = embedder_spec
        self.cache_size = cache_size
        self._corpus: Corpus | None = None
        self._error: str | None = None
        self._lock = threading.Lock()

    @property
    def error(self) -> str | None:
        return self._error

    def load(self) -> Corpus | None:
        """(Re)load the current build; on failure remember why and keep serving the previous one."""
        with self._lock:
            build = current_build(self.index_dir)
            if build is None:
                self._error = f"no index in {self.index_dir}; {BUILD_HINT}"
                return self._corpus
            if self._corpus is not None and self._corpus.build == build:
                return self._corpus
            try:
                embedder = self._corpus.embedder.inner if self._corpus is not None else self.embedder_spec
                if embedder is None or isinstance(embedder, str):
                    index = SearchIndex.open(self.index_dir, embedder if embedder != "e5" else None)
                else:
                    index = SearchIndex.open(self.index_dir, embedder)
                sections = read_extra(self.index_dir, SECTIONS_FILE)
                corpus = Corpus.from_index(index, sections if isinstance(sections, list) else [], self.cache_size)
                corpus.embedder.embed_queries(["warm-up"])  # the first inference is slow; pay it now
            except (IndexProblem, EmbedderError) as exc:
                log.warning("index not loaded: %s", exc)
                self._error = str(exc)
                return self._corpus
            self._corpus, self._error = corpus, None
            log.info("loaded index %s (%d chunks)", build, len(corpus.chunks))
            return corpus

    def get(self) -> Corpus:
        """The loaded corpus (reloading if a newer build appeared), or IndexUnavailable (HTTP 503)."""
        build = current_build(self.index_dir)
        corpus = self._corpus
        if corpus is None or (build is not None and corpus.build != build):
            corpus = self.load()
        if corpus is None:
            raise IndexUnavailable(self._error or f"no index in {self.index_dir}; {BUILD_HINT}")
        return corpus
