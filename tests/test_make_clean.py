"""`make clean` removes what the Makefile and the service generate and keeps the tracked data."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_clean_keeps_the_translation_memory_and_removes_generated_files(tmp_path: Path) -> None:
    shutil.copy(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    kept = tmp_path / "data" / "translations" / "strategy.en.po"
    generated = [
        tmp_path / ".venv" / "bin" / "python",
        tmp_path / "data" / "index" / "current" / "manifest.json",
        tmp_path / "data" / "corpus" / "upload.pdf",
        tmp_path / "test-artifacts" / "timings.json",
        tmp_path / "index" / "e5fast" / "libe5fast-avx2.so",
    ]
    for path in [kept, *generated]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    source = tmp_path / "index" / "e5fast" / "e5.c"
    source.write_text("int x;")

    done = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert kept.read_text() == "x" and source.exists()
    assert [path for path in generated if path.exists()] == []
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["translations"]
