"""The loaded index as the service uses it, and the holder that (re)loads it.

`Corpus` bundles a `SearchIndex` with what the answer functions need besides search: the sections with their
numbered items (written by the build), and an embedder wrapper that serialises inference (one model
call at a time uses all cores; concurrent calls only oversubscribe them), lets concurrent queries share one
encoder call (index.microbatch) and caches query vectors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.build import SECTIONS_FILE
from index.embedders import DEFAULT_ENGINE, EmbedderError, embedder_id, get_embedder
from index.microbatch import QueryBatcher, QueueFull
from index.search import SearchIndex
from index.store import EmbedderMismatch, IndexDamaged, IndexProblem, current_build, load_build, read_extra
from ingest.models import Item
from service.errors import BUILD_HINT, EncoderBusy, IndexUnavailable
from service.settings import Settings

log = logging.getLogger("rus.service")


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
    """Wraps an index's embedder: as many inferences at a time as it has query lanes (a query call beside another
    on one core), concurrent queries sharing calls, and per-text caches for queries and passages."""

    def __init__(self, inner, cache_size: int = 4096) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.query_lanes = inner.query_lanes
        self._slots = threading.BoundedSemaphore(inner.query_lanes)  # model calls at a time, passages included
        self._batcher = QueryBatcher(inner, lock=self._slots, lanes=inner.query_lanes, one_core=inner.one_core)
        self._queries = _LRU(cache_size)
        self._passages = _LRU(cache_size)

    def _cached(self, texts: Sequence[str], cache: _LRU, encode) -> np.ndarray:
        texts = list(texts)
        found = [cache.get(t) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, found, strict=True) if v is None))
        if missing:
            fresh = encode(missing)
            for text, vector in zip(missing, fresh, strict=True):
                cache.put(text, np.asarray(vector, dtype=np.float32))
        vectors = [v if v is not None else cache.get(t) for t, v in zip(texts, found, strict=True)]
        if not vectors:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(vectors).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        try:
            return self._cached(texts, self._queries, self._batcher.embed_queries)
        except QueueFull as exc:
            raise EncoderBusy(str(exc)) from exc

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._cached(texts, self._passages, self._batcher.embed_passages)


def read_sections(data: object, where: Path) -> list[dict]:
    """The build's sections.json with each section's numbered items as ingest.models.Item; an index built before
    items were stored is refused with a rebuild hint rather than served without its needs and challenges."""
    if not isinstance(data, list):
        raise IndexDamaged(where, f"{SECTIONS_FILE} is missing or not a list")
    for document in data:
        for section in document["sections"]:
            if "items" not in section:
                raise IndexDamaged(where, f"{SECTIONS_FILE} has no numbered items (built by an older version)")
            section["items"] = [Item(**item) for item in section["items"]]
    return data


T = TypeVar("T")


@dataclass
class Corpus:
    """A loaded index plus the lookups the service builds once per load."""

    index: SearchIndex
    sections: list[dict]  # sections.json: per document its ordered sections, each with its items (Item)
    embedder: ServiceEmbedder
    _derived: dict[Callable[[Corpus], object], object] = field(default_factory=dict, init=False, repr=False)
    _deriving: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    def derived(self, compute: Callable[[Corpus], T]) -> T:
        """What `compute` derives from this loaded index (the section tree, positions by sub-priority …): computed
        by the first request that needs it, kept with the index and shared by every later one. A loaded index
        never changes (a new build is a new Corpus), so it never goes stale; concurrent first requests compute it
        once."""
        with self._deriving:
            if compute not in self._derived:
                self._derived[compute] = compute(self)
            return self._derived[compute]  # type: ignore[return-value]

    @classmethod
    def from_index(cls, index: SearchIndex, sections: list[dict], cache_size: int = 4096) -> Corpus:
        embedder = (
            index.embedder
            if isinstance(index.embedder, ServiceEmbedder)
            else ServiceEmbedder(index.embedder, cache_size)
        )
        index.embedder = embedder
        return cls(index=index, sections=sections, embedder=embedder)

    @classmethod
    def open(cls, index_dir: Path, embedder=None, cache_size: int = 4096, engine: str = DEFAULT_ENGINE) -> Corpus:
        """Load an index directory (for scripts and tests; the app uses IndexHolder)."""
        index = SearchIndex.open(index_dir, embedder, engine)
        sections = read_sections(read_extra(Path(index_dir), SECTIONS_FILE, build=index.build_path), index_dir)
        return cls.from_index(index, sections, cache_size)

    @property
    def chunks(self):
        return self.index.chunks

    @property
    def build(self) -> Path:
        return self.index.build_path


class IndexHolder:
    """Loads the index for the app, reports why it cannot, and hot-swaps to a new build when `current` switches.

    The first load happens synchronously (requests get 503 until it succeeds). After that, a request that
    notices a newer build starts one background reload and is answered from the index already in memory;
    the new index replaces it only once it is fully loaded, verified and warmed up, so no request fails or
    waits during a swap. A build that fails to load (e.g. damaged: IndexDamaged) is not retried until
    `current` changes again, and the previous index keeps serving.
    """

    def __init__(
        self,
        index_dir: Path,
        embedder_spec: str | None = None,
        cache_size: int = 4096,
        check_interval: float = 0.2,
        engine: str = DEFAULT_ENGINE,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.embedder_spec = embedder_spec
        self.engine = engine  # the e5 engine (Settings.e5_engine) an e5 index is loaded with
        self.cache_size = cache_size
        self.check_interval = check_interval  # seconds between checks of `current` on the request path
        self._corpus: Corpus | None = None
        self._error: str | None = None
        self._lock = threading.Lock()  # one load at a time
        self._failed: tuple[Path, int] | None = None  # (build, manifest mtime) that failed to load
        self._reloader: threading.Thread | None = None
        self._reloader_lock = threading.Lock()
        self._checked = 0.0
        self.swaps = 0  # completed hot swaps (for tests and the admin status)

    @classmethod
    def from_settings(cls, settings: Settings) -> IndexHolder:
        """The holder of settings.index_dir, loading it with the settings' embedder, vector cache size and e5 engine."""
        return cls(settings.index_dir, settings.embedder, settings.embedding_cache_size, engine=settings.e5_engine)

    @asynccontextmanager
    async def serving(self, _app: object) -> AsyncIterator[None]:
        """An app's lifespan (`FastAPI(lifespan=holder.serving)`): load the index at startup; without one the app
        starts anyway, answers 503 with the reason, and the log says why."""
        self.load()
        if self.error:
            log.warning("starting without an index: %s", self.error)
        yield

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def corpus(self) -> Corpus | None:
        return self._corpus

    def _build_key(self, build: Path) -> tuple[Path, int]:
        try:
            return build, (build / "manifest.json").stat().st_mtime_ns
        except OSError:
            return build, -1

    def _embedder_for(self, built_with: str):
        """The embedder to load `built_with` with: the one already serving when it matches (keeps its caches)."""
        if self._corpus is not None and self._corpus.embedder.id == built_with:
            return self._corpus.embedder
        spec = self.embedder_spec
        if spec is not None and not isinstance(spec, str):
            if spec.id != built_with:
                raise EmbedderMismatch(self.index_dir, built_with, spec.id)
            return spec
        if spec not in (None, "e5") and embedder_id(spec) != built_with:
            raise EmbedderMismatch(self.index_dir, built_with, embedder_id(spec))
        embedder = get_embedder(built_with if built_with.startswith("st:") else "e5", self.engine)
        if embedder.id != built_with:
            raise EmbedderMismatch(self.index_dir, built_with, embedder.id)
        return embedder

    def _open(self, build: Path) -> Corpus:
        """Load one build directory (pinned: a concurrent switch cannot mix two builds' files)."""
        stored = load_build(self.index_dir, build=build)  # verifies checksums: IndexDamaged before anything else
        built_with = str((stored.manifest.get("embedder") or {}).get("id"))
        index = SearchIndex(stored, self._embedder_for(built_with))
        sections = read_sections(read_extra(self.index_dir, SECTIONS_FILE, build=build), self.index_dir)
        corpus = Corpus.from_index(index, sections, self.cache_size)
        corpus.embedder.embed_queries(["warm-up"])  # the first inference is slow; pay it now
        return corpus

    def load(self) -> Corpus | None:
        """(Re)load the current build; on failure remember why and keep serving the previous one."""
        with self._lock:
            build = current_build(self.index_dir)
            if build is None:
                if self._corpus is None:
                    self._error = f"no index in {self.index_dir}; {BUILD_HINT}"
                return self._corpus
            if self._corpus is not None and self._corpus.build == build:
                return self._corpus
            key = self._build_key(build)
            if key == self._failed:
                return self._corpus
            try:
                corpus = self._open(build)
            except (IndexProblem, EmbedderError, OSError, ValueError, KeyError, TypeError) as exc:
                if not isinstance(exc, IndexProblem | EmbedderError):
                    exc = IndexDamaged(self.index_dir, str(exc))
                message = str(exc)
                log.warning("index %s not loaded: %s", build.name, message)
                self._error, self._failed = message, key
                return self._corpus
            swapped = self._corpus is not None
            self._corpus, self._error, self._failed = corpus, None, None
            self.swaps += swapped
            log.info("loaded index %s (%d chunks)%s", build.name, len(corpus.chunks), " (hot swap)" if swapped else "")
            return corpus

    def _needs_reload(self, corpus: Corpus) -> bool:
        build = current_build(self.index_dir)
        return build is not None and build != corpus.build and self._build_key(build) != self._failed

    def reload_in_background(self) -> threading.Thread | None:
        """Start one background reload unless one is running; the running index serves meanwhile."""
        with self._reloader_lock:
            if self._reloader is not None and self._reloader.is_alive():
                return self._reloader
            self._reloader = threading.Thread(target=self.load, name="index-reload", daemon=True)
            self._reloader.start()
            return self._reloader

    def wait_for_reload(self, timeout: float | None = None) -> None:
        """Block until a background reload (if any) has finished (for tests and the rebuild job)."""
        reloader = self._reloader
        if reloader is not None:
            reloader.join(timeout)

    def get(self) -> Corpus:
        """The loaded corpus (starting a hot reload if a newer build appeared), or IndexUnavailable (HTTP 503)."""
        corpus = self._corpus
        if corpus is None:
            corpus = self.load()
            if corpus is None:
                raise IndexUnavailable(self._error or f"no index in {self.index_dir}; {BUILD_HINT}")
            return corpus
        now = time.monotonic()
        if now - self._checked >= self.check_interval:
            self._checked = now
            if self._needs_reload(corpus):
                self.reload_in_background()
        return corpus
