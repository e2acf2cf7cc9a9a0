"""Every input limit, in one place: the values come from `Settings` (env RUS_*), the checks live here.

The API (query/text/k checks, request bodies, uploads), the CLI (`rus search`, `rus index build`) and
ingest (file size, unpacked size, PDF pages, decompressed streams, extracted text, time) all take their limits
from `Limits.from_settings(...)`, so changing a limit is one setting and every entry point obeys it.
`HeavyWork` bounds alignment and match: a few jobs at once, each with a time budget. `QueryThreads` bounds
searches and answers: a few threads, and a bounded queue in front of them.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import partial
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

from index.microbatch import MAX_QUEUE
from ingest.errors import Refusal
from ingest.limits import IngestLimits
from service.errors import Busy, EncoderBusy, OverTimeBudget, error_body, require_k, require_text
from service.settings import Settings

MULTIPART_OVERHEAD = 64 * 1024  # room for the multipart framing around an uploaded file
LIBRARY_UPLOAD_PATH = "/v1/documents/library"  # the route that adds a document to the library
LIBRARY_UPLOAD_ALIAS = "/v1/documents"  # its older path (POST only), kept for compatibility
UPLOAD_PATHS = frozenset({LIBRARY_UPLOAD_PATH, LIBRARY_UPLOAD_ALIAS})  # every route that takes a file


@dataclass(frozen=True)
class Limits:
    max_query_chars: int
    max_text_chars: int
    max_k: int
    max_body_bytes: int
    max_file_bytes: int
    max_pdf_pages: int
    max_stream_bytes: int
    max_unpacked_bytes: int
    max_document_chars: int
    max_extract_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(**{field.name: getattr(settings, field.name) for field in fields(cls)})

    @property
    def ingest(self) -> IngestLimits:
        """The limits for reading a document, to pass to ingest (which never reads the settings itself)."""
        return IngestLimits(**{field.name: getattr(self, field.name) for field in fields(IngestLimits)})

    @property
    def max_upload_body_bytes(self) -> int:
        return self.max_file_bytes + MULTIPART_OVERHEAD

    def body_limit(self, path: str) -> int:
        """The largest request body accepted on `path`: a route that takes a file may carry a whole document."""
        return self.max_upload_body_bytes if path.rstrip("/") in UPLOAD_PATHS else self.max_body_bytes

    def query(self, text: str | None, field: str = "q") -> str:
        """The stripped query, or EmptyInput / InputTooLong (413) naming the field."""
        return require_text(text, field, self.max_query_chars)

    def text(self, text: str | None, field: str = "text") -> str:
        return require_text(text, field, self.max_text_chars)

    def k(self, k: int, field: str = "k") -> int:
        return require_k(k, self.max_k, field)


class HeavyWork:
    """At most `slots` heavy jobs (alignment, match) at once, from the API and the UI together, each with a
    time budget. A job that finds no free slot within `wait_seconds` gets Busy (503 with Retry-After)."""

    def __init__(self, slots: int, budget_seconds: float, retry_after: int, wait_seconds: float = 0.0) -> None:
        self.slots = max(1, slots)
        self.budget_seconds = budget_seconds
        self.retry_after = retry_after
        self.wait_seconds = wait_seconds
        self._free = threading.BoundedSemaphore(self.slots)

    @classmethod
    def from_settings(cls, settings: Settings) -> HeavyWork:
        return cls(settings.max_heavy_jobs, settings.heavy_time_budget_seconds, settings.heavy_retry_after_seconds,
                   settings.heavy_wait_seconds)

    @contextlib.contextmanager
    def slot(self, wait: float | None = None) -> Iterator[Budget]:
        """Hold one slot for the duration of a job, waiting up to `wait` seconds for it (default `wait_seconds`);
        yields its time budget."""
        wait = self.wait_seconds if wait is None else wait
        acquired = self._free.acquire(timeout=wait) if wait > 0 else self._free.acquire(blocking=False)
        if not acquired:
            raise Busy(
                f"{self.slots} alignment or match job(s) are already running; try again in {self.retry_after} s",
                self.retry_after,
            )
        try:
            yield Budget(time.monotonic() + self.budget_seconds, self.budget_seconds)
        finally:
            self._free.release()


P = ParamSpec("P")
T = TypeVar("T")


class QueryThreads:
    """The threads searches and answers run on: one per query lane of the encoder plus one for the work around the
    encoder calls, instead of the server's shared pool of 40, whose queue has no bound (docs/benchmarks.md, "Query
    lanes": no faster, but bounded). At most `max_waiting` requests wait for a thread; one more gets EncoderBusy
    (503 busy) at once, as a query the micro-batcher has no room for does. Used from the event loop only, so the
    count it checks cannot change under it."""

    def __init__(self, max_waiting: int = MAX_QUEUE) -> None:
        self.max_waiting = max_waiting
        self._limiter: anyio.CapacityLimiter | None = None

    def sized(self, lanes: int) -> QueryThreads:
        """These threads, `lanes` + 1 of them: the limiter is created on the event loop at first use and resized
        when the index's encoder changes."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(lanes + 1)
        elif self._limiter.total_tokens != lanes + 1:
            self._limiter.total_tokens = lanes + 1
        return self

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work(*args, **kwargs)` on one of the threads, or EncoderBusy when too many requests wait already."""
        threads = self._limiter
        if threads is None:
            raise RuntimeError("QueryThreads.run before sized()")
        if threads.available_tokens == 0 and threads.statistics().tasks_waiting >= self.max_waiting:
            raise EncoderBusy(
                f"the query encoder is overloaded: as many requests as it queues ({self.max_waiting}) are already "
                "waiting; try again shortly"
            )
        return await anyio.to_thread.run_sync(partial(work, *args, **kwargs), limiter=threads)


@dataclass(frozen=True)
class Budget:
    """A job's deadline on the monotonic clock; `check` stops the job (503) once it has passed."""

    deadline: float
    seconds: float

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise OverTimeBudget(self.seconds)


class BodyLimitMiddleware:
    """Refuse request bodies over the limit with 413 before the app parses them.

    A declared Content-Length is checked up front (the server enforces the framing); a chunked body
    without one is read up to the limit and then replayed to the app, so memory stays bounded either way.
    """

    def __init__(self, app, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.body_limit(scope.get("path", ""))
        # on a route that takes a file, a body over the limit is ingest's "too large" refusal (as the route says)
        extra = {"refusal": Refusal.TOO_LARGE.value} if scope.get("path", "").rstrip("/") in UPLOAD_PATHS else {}
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit():
                await send_error(send, 400, "bad_request", "the Content-Length header is not a number")
                return
            if int(text) > limit:
                await send_error(send, 413, "input_too_long", _too_long(int(text), limit), **extra)
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            size += len(message.get("body", b""))
            if size > limit:
                await send_error(send, 413, "input_too_long", _too_long(size, limit, at_least=True), **extra)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay_receive():
            return replay.pop() if replay else await receive()

        await self.app(scope, replay_receive, send)


def _too_long(size: int, limit: int, at_least: bool = False) -> str:
    return f"the request body is {'over ' if at_least else ''}{size} bytes; the limit is {limit} bytes"


async def send_error(
    send, status: int, code: str, message: str, headers: Sequence[tuple[bytes, bytes]] = (), **extra: str
) -> None:
    """Answer an ASGI request with the JSON error shape from below the routes (a middleware, a response class),
    with any further `headers`."""
    body = json.dumps(error_body(code, message, **extra)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *headers, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
