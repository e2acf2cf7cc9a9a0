"""Micro-batching of query embedding: concurrent callers share encoder calls, in one or more lanes.

Up to `lanes` encoder calls run at a time (one by default). A caller that finds a lane free and nobody else
waiting embeds at once (a lone client pays no window). Callers that arrive while every lane runs queue up; when
a lane frees, the first of them leads the next call and, since the queue shows there is load, first collects
arrivals for up to `window_ms` (or until `max_batch` texts), then embeds every queued text in one call and hands
each caller its own rows. With several lanes a call that starts while another runs or waits runs inside
`one_core()`, so calls side by side each take one core instead of all splitting every core between them; a call
alone (a lone query, an application's sentences on a quiet server) keeps every core. The queue is bounded: past
`max_queue` waiting texts a caller gets `QueueFull` at once instead of waiting (a caller with more texts than that
is taken when nobody waits).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np

from index.embedders import Embedder

# Defaults chosen with bench/ (docs/benchmarks.md, "Query micro-batching"): a query embeds in ≈ 3–8 ms on the
# fast engine, so a 2 ms window adds little to a queued caller's wait and lets the next call take every arrival.
WINDOW_MS = 2.0
MAX_BATCH = 32
MAX_QUEUE = 256


class QueueFull(RuntimeError):
    """More texts are waiting for the query encoder than the queue holds."""


class _Request:
    __slots__ = ("done", "error", "result", "taken", "texts")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.taken = False  # in a batch that a lane is embedding
        self.done = False
        self.result: np.ndarray | None = None
        self.error: BaseException | None = None


class QueryBatcher:
    """Wraps an embedder so that concurrent `embed_queries` calls share `inner.embed_queries` calls.

    `lock`, when given, is held around every encoder call (the service shares one with passage embedding, a
    semaphore with a slot per lane, so that no more model calls run than it allows). With `lanes` > 1 a call that is
    not alone runs inside `one_core()` (the embedder's way to keep a call on the calling thread). Passage embedding
    passes straight through.
    """

    def __init__(
        self,
        inner: Embedder,
        window_ms: float = WINDOW_MS,
        max_batch: int = MAX_BATCH,
        max_queue: int = MAX_QUEUE,
        lock: AbstractContextManager | None = None,
        lanes: int = 1,
        one_core: Callable[[], AbstractContextManager] = nullcontext,
    ) -> None:
        if window_ms < 0 or max_batch < 1 or max_queue < 1 or lanes < 1:
            raise ValueError("window_ms must be ≥ 0 and max_batch, max_queue, lanes ≥ 1")
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.window = window_ms / 1000
        self.max_batch = max_batch
        self.max_queue = max_queue
        self._lock = lock or nullcontext()
        self.lanes = lanes
        self._one_core = one_core if lanes > 1 else nullcontext
        self._cond = threading.Condition()
        self._queue: list[_Request] = []
        self._queued_texts = 0
        self._running = 0  # leaders collecting or running an encoder call, at most `lanes`
        self.calls = 0  # encoder calls made (for benchmarks and tests)

    @property
    def waiting(self) -> int:
        """Texts queued for the next encoder call."""
        with self._cond:
            return self._queued_texts

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        request = _Request(list(texts))
        if not request.texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._cond:
            # a request larger than the whole queue is taken when nothing waits: refusing it would refuse it forever
            if self._queued_texts and self._queued_texts + len(request.texts) > self.max_queue:
                raise QueueFull(
                    f"the query encoder is overloaded: {self._queued_texts} texts are waiting "
                    f"(limit {self.max_queue}); try again shortly"
                )
            self._queue.append(request)
            self._queued_texts += len(request.texts)
            self._cond.notify_all()  # a leader collecting a batch may now be full
        while True:
            with self._cond:
                while (request.taken or self._running >= self.lanes) and not request.done:
                    self._cond.wait()
                if request.done:
                    break
                self._running += 1
                batch = self._collect()
                if not batch:  # another lane took every queued request while this one gathered arrivals
                    self._running -= 1
                    self._cond.notify_all()
                    continue
                alone = self._running == 1 and not self._queue  # no other call running or waiting to run
            self._run(batch, alone)
        if request.error is not None:
            raise request.error
        return request.result

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        with self._lock:
            return self.inner.embed_passages(texts, progress=progress)

    def _collect(self) -> list[_Request]:
        """Take the next batch off the queue (called holding the condition, as the leader)."""
        if len(self._queue) > 1:  # others are waiting: there is load, so gather arrivals for a moment
            deadline = time.monotonic() + self.window
            while self._queued_texts < self.max_batch and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
        batch, size = [], 0
        while self._queue and (not batch or size + len(self._queue[0].texts) <= self.max_batch):
            request = self._queue.pop(0)
            request.taken = True
            batch.append(request)
            size += len(request.texts)
        self._queued_texts -= size
        return batch

    def _run(self, batch: list[_Request], alone: bool) -> None:
        """One encoder call for the whole batch, on one core unless it is `alone`; every request gets its own rows,
        or the error."""
        texts = [text for request in batch for text in request.texts]
        try:
            with self._lock, nullcontext() if alone else self._one_core():
                vectors = np.asarray(self.inner.embed_queries(texts), dtype=np.float32)
            error = None
        except BaseException as exc:  # handed to every caller in the batch, re-raised in each
            vectors, error = None, exc
        with self._cond:
            start = 0
            for request in batch:
                if error is None:
                    request.result = vectors[start : start + len(request.texts)].copy()
                request.error = error
                request.done = True
                start += len(request.texts)
            self.calls += 1
            self._running -= 1
            self._cond.notify_all()
