"""Schema fuzzing: schemathesis generates requests from the service's own OpenAPI schema and sends them to a real
server on 127.0.0.1 (examples, coverage and fuzzing phases, admin endpoints included with the API key); not one
response may be a server error (5xx). Bounded by RUS_SCHEMATHESIS_EXAMPLES (default 50) examples per operation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hostile import TEST_LIMITS
from live_server import small_corpus

from bench.server import running
from index.build import build_index

pytestmark = pytest.mark.slow

EXAMPLES = os.environ.get("RUS_SCHEMATHESIS_EXAMPLES", "50")
KEY = "schema-fuzz-key"


def test_schemathesis_finds_no_server_errors(tmp_path: Path) -> None:
    docs = small_corpus(tmp_path / "docs")
    index_dir = tmp_path / "index"
    build_index([docs], index_dir, progress=False)
    env = {
        **TEST_LIMITS,
        "RUS_API_KEY": KEY,
        "RUS_CORPUS": json.dumps([str(docs)]),
        "RUS_CORPUS_DIR": str(tmp_path / "uploads"),
    }
    with running(index_dir, tmp_path / "server.log", env) as server:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                server.base + "/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                EXAMPLES,
                "--header",
                f"X-API-Key: {KEY}",
                "--seed",
                "20261126",
                "--request-timeout",
                "120",
                "--no-color",
                "--generation-database",
                "none",
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,  # schemathesis keeps a .schemathesis/ folder in its working directory
            timeout=900,
            env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
        )
        summary = done.stdout[done.stdout.find("SUMMARY") :]
        print("\n" + summary)
        assert server.alive()
        assert httpx.get(server.base + "/healthz", timeout=30).status_code == 200
        log = server.log.read_text()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    totals = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert totals and totals.group(1) == totals.group(2) and int(totals.group(1)) > 100, summary
    assert "Traceback" not in log and "unhandled error" not in log, log[-3000:]
