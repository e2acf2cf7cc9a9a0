"""Query micro-batching (index/microbatch.py): same vectors as unbatched, order kept, bounded queue."""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np
import pytest

from index.microbatch import QueryBatcher, QueueFull


def vector_for(text: str) -> np.ndarray:
    return np.random.default_rng(zlib.crc32(text.encode())).standard_normal(8).astype(np.float32)


class FakeEmbedder:
    """Deterministic vectors per text; records every call; optionally holds each call until `gate` opens."""

    id = "fake"
    dim = 8
    query_lanes = 1
    one_core = staticmethod(nullcontext)

    def __init__(self, gate: threading.Event | None = None, delay: float = 0.0) -> None:
        self.gate = gate
        self.delay = delay
        self.batches: list[list[str]] = []
        self.started = threading.Event()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        time.sleep(self.delay)
        return np.vstack([vector_for(t) for t in texts])

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return np.vstack([vector_for("p:" + t) for t in texts])


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_concurrent_real_queries_get_their_unbatched_vectors() -> None:
    """Real e5 queries held behind one running call share the next call and get the vectors they get alone."""
    from index.embedders import get_embedder

    e5 = get_embedder("e5")
    questions = [
        "Hur ska Västerbotten stärka kompetensförsörjningen?",
        "Which priority covers digital infrastructure?",
        "klimatomställning och hållbar industri",
        "kultur",
        "How will the region support entrepreneurship among young people in rural areas?",
        "Vilka mål finns för folkhälsan 2030?",
    ]
    alone = {q: e5.embed_queries([q])[0] for q in questions}

    gate = threading.Event()

    class Gated:
        id, dim = e5.id, e5.dim

        def __init__(self) -> None:
            self.calls: list[list[str]] = []

        def embed_queries(self, texts):
            self.calls.append(list(texts))
            if len(self.calls) == 1:
                assert gate.wait(10)
            return e5.embed_queries(texts)

    inner = Gated()
    batcher = QueryBatcher(inner, window_ms=1)
    with ThreadPoolExecutor(len(questions)) as pool:
        first = pool.submit(batcher.embed_queries, [questions[0]])
        wait_until(lambda: len(inner.calls) == 1)
        rest = [pool.submit(batcher.embed_queries, [q]) for q in questions[1:]]
        wait_until(lambda: batcher.waiting == len(questions) - 1)
        gate.set()
        results = [first.result(10), *(f.result(30) for f in rest)]
    assert inner.calls[1] and len(inner.calls) == 2, inner.calls  # the five waiting queries shared one call
    for question, result in zip(questions, results, strict=True):
        assert result.shape == (1, e5.dim)
        assert np.allclose(result[0], alone[question], atol=1e-6)


class OneCoreRecorder:
    """A `one_core` that records which calls ran inside it and how many ran at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.inside = 0
        self.most_at_once = 0
        self.entered = 0

    @contextlib.contextmanager
    def __call__(self):
        with self._lock:
            self.inside += 1
            self.entered += 1
            self.most_at_once = max(self.most_at_once, self.inside)
        try:
            yield
        finally:
            with self._lock:
                self.inside -= 1


def test_two_lanes_embed_side_by_side_on_one_core_each_and_then_share_calls() -> None:
    """A caller alone keeps every core; a second starts its own call, on one core, while the first runs; callers
    beyond the lanes wait and share one call, on one core while the other lane still runs."""
    gates = {name: threading.Event() for name in ("first", "second", "shared", "alone again")}

    class Gated(FakeEmbedder):
        def embed_queries(self, texts):
            self.batches.append(list(texts))
            assert gates["shared" if len(texts) > 1 else texts[0]].wait(10)
            return np.vstack([vector_for(t) for t in texts])

    inner = Gated()
    one_core = OneCoreRecorder()
    batcher = QueryBatcher(inner, window_ms=1, lanes=2, one_core=one_core)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.embed_queries, ["first"])
        wait_until(lambda: len(inner.batches) == 1)
        assert one_core.inside == 0  # alone: every core
        second = pool.submit(batcher.embed_queries, ["second"])
        wait_until(lambda: len(inner.batches) == 2)  # both running
        assert one_core.inside == 1
        later = [pool.submit(batcher.embed_queries, [text]) for text in ("third", "fourth")]
        wait_until(lambda: batcher.waiting == 2)  # no third lane
        gates["first"].set()
        wait_until(lambda: len(inner.batches) == 3)
        assert sorted(inner.batches[2]) == ["fourth", "third"] and one_core.inside == 2
        for gate in gates.values():
            gate.set()
        results = [future.result(10) for future in (first, second, *later)]
    for text, vectors in zip(("first", "second", "third", "fourth"), results, strict=True):
        assert np.array_equal(vectors, vector_for(text)[None, :])
    assert one_core.entered == 2 and one_core.most_at_once == 2 and batcher.calls == 3
    batcher.embed_queries(["alone again"])
    assert one_core.entered == 2


def test_one_lane_never_enters_one_core() -> None:
    one_core = OneCoreRecorder()
    batcher = QueryBatcher(FakeEmbedder(), one_core=one_core)
    batcher.embed_queries(["alone"])
    assert one_core.entered == 0
    with pytest.raises(ValueError, match="lanes ≥ 1"):
        QueryBatcher(FakeEmbedder(), lanes=0)


def test_the_service_runs_real_queries_in_lanes_with_their_unbatched_vectors() -> None:
    """On a machine with two or more cores the service embeds e5 queries in lanes, each call on one core, and
    every concurrent caller gets the vector its query gets alone."""
    from index.embedders import get_embedder
    from service.state import ServiceEmbedder

    e5 = get_embedder("e5")
    if e5.query_lanes < 2:
        pytest.skip("one core: one lane")
    questions = [f"Hur stärker regionen {topic}?" for topic in ("besöksnäringen", "vården", "skogen", "skolan")]
    questions += [f"How does the region support {topic}?" for topic in ("tourism", "health care", "forestry")]
    alone = {q: e5.embed_queries([q])[0] for q in questions}
    service = ServiceEmbedder(get_embedder("e5"))
    assert service._batcher.lanes == e5.query_lanes
    with ThreadPoolExecutor(len(questions)) as pool:
        results = list(pool.map(lambda q: service.embed_queries([q]), questions * 3))
    for question, result in zip(questions * 3, results, strict=True):
        assert np.allclose(result[0], alone[question], atol=1e-6)


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_order_is_preserved_under_concurrency(lanes: int) -> None:
    inner = FakeEmbedder(delay=0.002)
    batcher = QueryBatcher(inner, window_ms=1, max_batch=16, lanes=lanes)

    def client(k: int) -> list[tuple[list[str], np.ndarray]]:
        out = []
        for i in range(15):
            texts = [f"client {k} call {i} text {j}" for j in range(1 + (k + i) % 3)]
            out.append((texts, batcher.embed_queries(texts)))
        return out

    with ThreadPoolExecutor(16) as pool:
        results = [r for future in [pool.submit(client, k) for k in range(16)] for r in future.result(60)]
    for texts, vectors in results:
        assert vectors.shape == (len(texts), 8)
        assert np.array_equal(vectors, np.vstack([vector_for(t) for t in texts]))
    assert batcher.calls == len(inner.batches) < len(results)  # calls were shared
    assert max(len(b) for b in inner.batches) <= 16  # max_batch
    assert all(inner.batches)  # no lane ran an empty call


def test_a_lone_caller_is_not_delayed_by_the_window() -> None:
    inner = FakeEmbedder()
    batcher = QueryBatcher(inner, window_ms=500)
    for _ in range(3):
        start = time.perf_counter()
        vectors = batcher.embed_queries(["alone", "still alone"])
        assert time.perf_counter() - start < 0.25
    assert np.array_equal(vectors, np.vstack([vector_for("alone"), vector_for("still alone")]))
    assert inner.batches == [["alone", "still alone"]] * 3


def test_the_queue_is_bounded_and_refuses_cleanly() -> None:
    gate = threading.Event()
    inner = FakeEmbedder(gate=gate)
    batcher = QueryBatcher(inner, window_ms=0, max_queue=4)
    with ThreadPoolExecutor(8) as pool:
        running = pool.submit(batcher.embed_queries, ["running"])
        assert inner.started.wait(10)
        queued = [pool.submit(batcher.embed_queries, [f"q{i}a", f"q{i}b"]) for i in range(2)]
        wait_until(lambda: batcher.waiting == 4)
        start = time.perf_counter()
        with pytest.raises(QueueFull, match=r"4 texts are waiting \(limit 4\)"):
            batcher.embed_queries(["one too many"])
        assert time.perf_counter() - start < 1  # refused at once, not after waiting
        gate.set()
        assert np.array_equal(running.result(10)[0], vector_for("running"))
        for i, future in enumerate(queued):
            assert np.array_equal(future.result(10), np.vstack([vector_for(f"q{i}a"), vector_for(f"q{i}b")]))
    assert batcher.waiting == 0
    assert np.array_equal(batcher.embed_queries(["after"])[0], vector_for("after"))  # accepts again
    # more texts than the queue holds, with nobody waiting: embedded, not refused forever
    many = [f"text {i}" for i in range(9)]
    assert np.array_equal(batcher.embed_queries(many), np.vstack([vector_for(t) for t in many]))


def test_an_encoder_error_reaches_every_caller_of_that_call_and_the_batcher_recovers() -> None:
    gate = threading.Event()

    class Failing(FakeEmbedder):
        def embed_queries(self, texts):
            if any("bad" in t for t in texts):
                self.batches.append(list(texts))
                assert gate.wait(10)
                raise RuntimeError("encoder exploded")
            return super().embed_queries(texts)

    inner = Failing()
    batcher = QueryBatcher(inner, window_ms=0)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batcher.embed_queries, ["bad one"])
        wait_until(lambda: len(inner.batches) == 1)
        followers = [pool.submit(batcher.embed_queries, [f"bad {i}"]) for i in range(2)]
        wait_until(lambda: batcher.waiting == 2)
        gate.set()
        for future in [first, *followers]:
            with pytest.raises(RuntimeError, match="encoder exploded"):
                future.result(10)
    assert np.array_equal(batcher.embed_queries(["fine"])[0], vector_for("fine"))


def test_empty_input_and_bad_settings() -> None:
    batcher = QueryBatcher(FakeEmbedder())
    assert batcher.embed_queries([]).shape == (0, 8)
    with pytest.raises(ValueError, match="max_batch, max_queue, lanes ≥ 1"):
        QueryBatcher(FakeEmbedder(), max_queue=0)


def test_searches_run_on_a_thread_per_lane_plus_one_and_a_full_wait_is_busy() -> None:
    """The API's query threads (service/limits.py): lanes + 1 searches run at once, up to `max_waiting` wait, and
    one more is told 503 busy at once; the waiting ones then run."""
    import anyio

    from service.errors import EncoderBusy
    from service.limits import QueryThreads

    release = threading.Event()
    running: list[str] = []

    def search(name: str) -> str:
        running.append(name)
        release.wait(10)
        return name

    async def scenario() -> list[str]:
        threads = QueryThreads(max_waiting=1).sized(lanes=1)
        finished: list[str] = []

        async def client(name: str) -> None:
            finished.append(await threads.run(search, name))

        async with anyio.create_task_group() as clients:
            for name in ("first", "second", "third"):
                clients.start_soon(client, name)
            with anyio.fail_after(10):
                while len(running) < 2 or threads._limiter.statistics().tasks_waiting < 1:
                    await anyio.sleep(0.001)
            assert sorted(running) == ["first", "second"]  # two threads for one lane; the third waits
            full = r"overloaded: as many requests as it queues \(1\) are already waiting"
            with pytest.raises(EncoderBusy, match=full) as info:
                await threads.run(search, "fourth")
            assert (info.value.status, info.value.code) == (503, "busy")
            release.set()
        return finished

    assert sorted(anyio.run(scenario)) == ["first", "second", "third"]


def test_the_service_answers_busy_when_the_query_queue_is_full() -> None:
    from service.errors import EncoderBusy
    from service.state import ServiceEmbedder

    gate = threading.Event()
    embedder = ServiceEmbedder(FakeEmbedder(gate=gate))
    embedder._batcher.max_queue = 1
    with ThreadPoolExecutor(2) as pool:
        running = pool.submit(embedder.embed_queries, ["running"])
        wait_until(lambda: embedder.inner.started.is_set())
        queued = pool.submit(embedder.embed_queries, ["queued"])
        wait_until(lambda: embedder._batcher.waiting == 1)
        with pytest.raises(EncoderBusy, match="overloaded") as info:
            embedder.embed_queries(["refused"])
        assert (info.value.status, info.value.code) == (503, "busy")
        gate.set()
        assert np.array_equal(running.result(10)[0], vector_for("running"))
        assert np.array_equal(queued.result(10)[0], vector_for("queued"))
    assert np.array_equal(embedder.embed_queries(["queued"])[0], vector_for("queued"))  # cached since
