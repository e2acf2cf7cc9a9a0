"""The short soak (20 s, 8 clients, mixed search/ask/match on 127.0.0.1) that runs with the test suite;
`make soak` runs the same script for 10 minutes. Zero failed requests and no RSS growth beyond a margin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from live_server import REPO_ROOT

pytestmark = pytest.mark.slow

DURATION = os.environ.get("RUS_SOAK_SECONDS", "20")


def test_short_soak_has_no_errors_and_flat_memory(corpus_index: Path, tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--index-dir",
            str(corpus_index),
            "--duration",
            DURATION,
            "--clients",
            "8",
            "--interval",
            "10",
            "--max-rss-growth-mb",
            "150",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=900,
    )
    print("\n" + done.stdout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["errors"] == 0 and report["warmup_errors"] == 0
    assert report["requests"] >= 8
    assert all(row["requests"] > 0 for row in report["intervals"])
    assert {"search", "ask", "match"} <= {
        kind for row in report["intervals"] for kind, n in row["by_kind"].items() if n
    }
