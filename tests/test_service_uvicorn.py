"""`rus serve` as a real uvicorn process on loopback, queried over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.server import running

pytestmark = pytest.mark.slow


def test_rus_serve_answers_over_http(corpus_index: Path, tmp_path: Path):
    with (
        running(corpus_index, tmp_path / "server.log") as server,
        httpx.Client(base_url=server.base, timeout=60) as http,
    ):
        hits = http.get("/v1/search", params={"q": "trygga passager för renar", "k": 3}).json()["hits"]
        assert len(hits) == 3 and hits[0]["page_start"]
        answer = http.post("/v1/ask", json={"question": "Vilken delprioritering tar upp våld i nära relationer?"})
        assert answer.status_code == 200 and answer.json()["subpriority"]["section_id"] == "5.2"
        error = http.post("/v1/ask", json={"question": "  "})
        assert error.status_code == 422 and error.json()["error"]["field"] == "question"


def test_rus_serve_runs_blas_on_the_calling_thread():
    """The server's requests run side by side; BLAS must not add spinning threads of its own (cmd_serve sets it)."""
    import subprocess
    import sys

    code = (
        "import faiss, numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from service.cli.serve import blas_on_calling_thread\n"
        "blas = lambda: sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'})\n"
        "before = blas(); blas_on_calling_thread(); print(before, blas())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    before, after = result.stdout.strip().split("] [")
    assert before.strip("[") != "" and after.strip("]") == "1"


def test_rus_serve_answers_from_several_worker_processes(corpus_index: Path, tmp_path: Path):
    """`rus serve --workers 2` serves the API from two processes (each its own index and encoder): every one of
    eight concurrent connections gets its answers."""
    from bench import http as bench_http

    env = {"RUS_UI_ENABLED": "false"}
    with running(corpus_index, tmp_path / "server.log", env, workers=2) as server:
        run = bench_http.run(server.base, "search", 8, [f"trygga passager för renar {i}" for i in range(32)])
        assert run["errors"] == 0 and run["requests"] == 32
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) >= 2  # the supervisor's two workers (and multiprocessing's resource tracker, if any)


def test_rus_serve_refuses_several_workers_with_the_ui(capsys, monkeypatch):
    from service.cli.main import main

    monkeypatch.setenv("RUS_UI_ENABLED", "true")  # the refusal returns before any server starts
    assert main(["serve", "--workers", "2"]) == 2
    assert "the UI keeps its sessions in one process" in capsys.readouterr().err
    assert main(["serve", "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
