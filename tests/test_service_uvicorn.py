"""`rus serve` as a real uvicorn process on loopback, queried over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_rus_serve_answers_over_http(corpus_index: Path, tmp_path: Path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "serve",
            "--index-dir",
            str(corpus_index),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.5)
        with httpx.Client(base_url=base, timeout=60) as http:
            hits = http.get("/v1/search", params={"q": "trygga passager för renar", "k": 3}).json()["hits"]
            assert len(hits) == 3 and hits[0]["page_start"]
            answer = http.post("/v1/ask", json={"question": "Vilken delprioritering tar upp våld i nära relationer?"})
            assert answer.status_code == 200 and answer.json()["subpriority"]["section_id"] == "5.2"
            error = http.post("/v1/ask", json={"question": "  "})
            assert error.status_code == 422 and error.json()["error"]["field"] == "question"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
