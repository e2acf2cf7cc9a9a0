"""Crash safety: SIGKILL `rus index build` at many moments; the previous index must always load and answer,
and the next build must complete.

The tests:
* `test_sigkill_rus_index_build_at_random_moments` kills the real CLI (a subprocess) at RUS_KILL_RUNS (default 30)
  random moments spread over its measured duration (imports, extraction, embedding, writing), each run with new
  text so that embedding really happens;
* `test_sigkill_at_every_step_of_writing` kills a process inside `write_build` at evenly spaced steps (counted with
  a profiler hook), since writing is only a small slice of a build's wall time.
* `test_sigkill_during_library_add_and_remove` kills `rus docs add` / `rus docs remove` at random moments: the
  library is as before or as after, never a mix, and the next change completes;
* `test_sigkill_during_feedback_writes` kills a process writing verdicts: the feedback store stays readable and
  keeps every verdict written before.
They print tables of outcomes (run with -s to see them).
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from live_server import REPO_ROOT, small_corpus

from index.build import build_index
from index.embedders import get_embedder
from index.library import list_documents
from index.store import BUILDS, current_build, load_build
from service.state import Corpus, ServiceEmbedder

pytestmark = pytest.mark.slow

RUNS = int(os.environ.get("RUS_KILL_RUNS", "30"))
STEP_RUNS = int(os.environ.get("RUS_KILL_STEP_RUNS", "20"))
QUERY = "kollektivtrafik i inlandet"
TIMING = re.compile(r"\[extract ([\d.]+)s, chunk ([\d.]+)s, embed ([\d.]+)s, index ([\d.]+)s, total ([\d.]+)s\]")
WORDS = (
    "vätgas skog turism fiber renskötsel besöksnäring kompetens pendling bredband laddning innovation elflyg "
    "batterier samverkan kultur hälsa vård skola bostäder klimat vatten fjäll kust inland"
).split()


def _unique_text(rng: random.Random, run: int) -> str:
    sentences = [
        f"Körning {run}: regionen satsar på {' och '.join(rng.sample(WORDS, 3))} i {rng.choice(WORDS)}områden."
        for _ in range(3)
    ]
    return f"Tillägg {run}\n\n" + " ".join(sentences) + "\n"


def _cli_build(docs: Path, index_dir: Path) -> list[str]:
    return [sys.executable, "-m", "service.cli", "index", "build", str(docs), "--index-dir", str(index_dir), "--quiet"]


def _serves(index_dir: Path, embedder: ServiceEmbedder) -> str:
    """Load the current build (checksums verified) and search it; return the build name."""
    corpus = Corpus.open(index_dir, embedder)
    hits = corpus.index.search(QUERY, k=3)
    assert hits and any("ollektivtrafik" in hit.chunk.text for hit in hits)
    return corpus.build.name


def _wait_for_partial(index_dir: Path, process: subprocess.Popen, timeout: float) -> None:
    builds = index_dir / BUILDS
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if any(p.name.endswith(".partial") for p in builds.iterdir()):
            return
        time.sleep(0.0005)


@pytest.fixture(scope="module")
def embedder() -> ServiceEmbedder:
    return ServiceEmbedder(get_embedder())


def test_sigkill_rus_index_build_at_random_moments(tmp_path: Path, embedder: ServiceEmbedder) -> None:
    rng = random.Random(7)
    docs = small_corpus(tmp_path / "docs", extra_text=_unique_text(rng, -1))
    index_dir = tmp_path / "index"
    build_index([docs], index_dir, embedder=embedder, progress=False)
    _serves(index_dir, embedder)

    # measure a whole build (with new text to embed) and its phases
    (docs / "extra.txt").write_text(_unique_text(rng, 0), encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run(_cli_build(docs, index_dir), capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    wall = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    extract, chunk, embed, _index, total = map(float, TIMING.search(done.stdout).groups())
    startup = max(0.0, wall - total)
    windows = {
        "startup": (0.05, startup),
        "extraction": (startup, startup + extract + chunk),
        "embedding": (startup + extract + chunk, startup + extract + chunk + embed),
    }
    print(f"\ncalibration: wall {wall:.2f}s, startup {startup:.2f}s, {done.stdout.strip()}")

    outcomes: Counter[str] = Counter()
    aimed: Counter[str] = Counter()
    for run in range(1, RUNS + 1):
        (docs / "extra.txt").write_text(_unique_text(rng, run), encoding="utf-8")
        before = current_build(index_dir)
        # half of the moments uniformly over the whole build, half aimed at one phase in turn; writing lasts
        # only milliseconds, so those kills wait until the build's .partial directory appears on disk
        if run % 2:
            delay, target = rng.uniform(0.05, wall * 1.05), "anywhere"
        else:
            target = ("extraction", "embedding", "writing")[(run // 2) % 3]
            low, high = windows.get(target, (0.0, 0.0))
            delay = rng.uniform(low, max(high, low + 0.01))
        aimed[target] += 1
        process = subprocess.Popen(
            _cli_build(docs, index_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT
        )
        if target == "writing":
            _wait_for_partial(index_dir, process, wall * 3)
            time.sleep(rng.uniform(0, 0.02))
        else:
            time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        after = current_build(index_dir)
        assert after is not None, f"run {run}: no index after a kill at {delay:.2f}s"
        leftovers = sorted(p.name for p in (index_dir / BUILDS).iterdir() if p != after)
        if code == 0:
            outcome = "finished before the kill"
        elif after != before:
            outcome = "killed after the switch (new index complete)"
        elif any(name.endswith(".partial") for name in leftovers):
            outcome = "killed while writing (partial build left, ignored)"
        elif leftovers:
            outcome = "killed between rename and switch (unused build left)"
        else:
            outcome = "killed before writing (startup/extraction/embedding)"
        outcomes[outcome] += 1
        # the index (previous, or the new one if the switch happened) loads with verified checksums and answers
        served = _serves(index_dir, embedder)
        assert served in (before.name, after.name)
        # and the next build completes and is loadable (every 10th through the CLI, else in-process)
        if run % 10 == 0:
            follow = subprocess.run(_cli_build(docs, index_dir), capture_output=True, text=True, cwd=REPO_ROOT)
            assert follow.returncode == 0, follow.stderr
        else:
            build_index([docs], index_dir, embedder=embedder, progress=False)
        assert _serves(index_dir, embedder) == current_build(index_dir).name
        assert not [p for p in (index_dir / BUILDS).iterdir() if p != current_build(index_dir)], "stale builds left"

    print(f"SIGKILL runs: {RUNS} (aimed: {dict(aimed)})")
    for outcome, count in sorted(outcomes.items()):
        print(f"  {count:3d}  {outcome}")
    assert sum(outcomes.values()) == RUNS >= 1


STEP_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    from pathlib import Path
    from index import store
    from index.lexical import LexicalIndex
    from ingest.models import Chunk

    index_dir, kill_at, tag = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    texts = [f"{tag} kollektivtrafik nummer {i} i inlandet" for i in range(30)]
    chunks = [
        Chunk(f"{tag}-{i}", "d", "Dokument", "1.1", ("Rubrik",), "intro", None, 1, 1, t) for i, t in enumerate(texts)
    ]
    rng = np.random.default_rng(len(tag))
    vectors = rng.random((30, 8), dtype=np.float32)
    spans = np.array([[i, 0, len(t)] for i, t in enumerate(texts)], dtype=np.int32)
    lexical = LexicalIndex.build(texts)
    count = 0
    def hook(frame, event, arg):
        global count
        if frame.f_code.co_filename == store.__file__:
            count += 1
            if count == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
    sys.setprofile(hook)
    store.write_build(index_dir, {"embedder": {"id": "fake", "dim": 8}}, chunks, vectors, lexical, vectors, spans,
                      extra_json={"sections.json": [{"tag": tag}]})
    sys.setprofile(None)
    print(count)
    """
)


def _write_step(index_dir: Path, kill_at: int, tag: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", STEP_CHILD, str(index_dir), str(kill_at), tag],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def _tag(index_dir: Path) -> str:
    stored = load_build(index_dir)  # verifies every checksum
    assert len(stored.chunks) == 30 and stored.faiss_index.ntotal == 30
    return stored.chunks[0].chunk_id.split("-")[0]


def test_sigkill_at_every_step_of_writing(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    first = _write_step(index_dir, 0, "t0")
    assert first.returncode == 0, first.stderr
    steps = int(first.stdout.strip())
    assert _tag(index_dir) == "t0"
    points = sorted({max(1, round(steps * (i + 0.5) / STEP_RUNS)) for i in range(STEP_RUNS)})
    outcomes: Counter[str] = Counter()
    previous = "t0"
    for number, kill_at in enumerate(points, start=1):
        tag = f"k{number}"
        killed = _write_step(index_dir, kill_at, tag)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        served = _tag(index_dir)
        assert served in (previous, tag), (kill_at, served)
        outcomes["old index kept" if served == previous else "new index already switched in"] += 1
        follow = _write_step(index_dir, 0, f"f{number}")
        assert follow.returncode == 0, follow.stderr
        previous = _tag(index_dir)
        assert previous == f"f{number}"
    print(f"\nwrite_build: {steps} profiled steps, killed at {len(points)} of them: {dict(outcomes)}")
    assert len(points) >= min(STEP_RUNS, steps) // 2


LIBRARY_RUNS = int(os.environ.get("RUS_KILL_LIBRARY_RUNS", "8"))
FEEDBACK_RUNS = int(os.environ.get("RUS_KILL_FEEDBACK_RUNS", "15"))


def _cli_docs(*args: str) -> list[str]:
    return [sys.executable, "-m", "service.cli", "docs", *args]


def _library(index_dir: Path, embedder: ServiceEmbedder) -> set[str]:
    """The documents of the build being served (loaded with verified checksums; it answers a search)."""
    _serves(index_dir, embedder)
    return {d["doc_id"] for d in list_documents(index_dir)}


def test_sigkill_during_library_add_and_remove(tmp_path: Path, embedder: ServiceEmbedder) -> None:
    """`rus docs add` and `rus docs remove` killed at random moments: the index loads with verified checksums and
    holds the library as it was before or after the change, never a mix, and the next change completes."""
    rng = random.Random(21)
    docs = small_corpus(tmp_path / "docs")
    index_dir = tmp_path / "index"
    build_index([docs], index_dir, embedder=embedder, progress=False)
    plan = tmp_path / "plan-0.txt"
    plan.write_text(_unique_text(rng, 0), encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([*_cli_docs("add", str(plan), "--quiet"), "--index-dir", str(index_dir)], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=600)
    wall = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    outcomes: Counter[str] = Counter()
    for run in range(1, LIBRARY_RUNS + 1):
        before = _library(index_dir, embedder)
        if run % 2:  # add a new plan
            plan = tmp_path / f"plan-{run}.txt"
            plan.write_text(_unique_text(rng, run), encoding="utf-8")
            command, changed = _cli_docs("add", str(plan), "--quiet"), before | {f"plan-{run}"}
        else:  # remove the latest document added: a plan, or the previous run's follow-up when the kill left no plan
            added = [d for d in before if d.startswith(("plan-", "next-"))]
            victim = max(added, key=lambda d: int(d.split("-")[1]))
            command, changed = _cli_docs("remove", victim), before - {victim}
        process = subprocess.Popen([*command, "--index-dir", str(index_dir)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, cwd=REPO_ROOT)
        time.sleep(rng.uniform(0.05, wall * 1.05))
        process.send_signal(signal.SIGKILL)
        code = process.wait(timeout=60)
        after = _library(index_dir, embedder)
        assert after in (before, changed), (run, before, after)
        outcomes[("finished" if code == 0 else "killed") + (", changed" if after == changed else ", unchanged")] += 1
        # the next library change completes and is served
        extra = tmp_path / f"next-{run}.txt"
        extra.write_text(_unique_text(rng, 100 + run), encoding="utf-8")
        follow = subprocess.run([*_cli_docs("add", str(extra), "--quiet"), "--index-dir", str(index_dir)],
                                capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
        assert follow.returncode == 0, follow.stderr
        assert _library(index_dir, embedder) == after | {f"next-{run}"}
    print(f"\nSIGKILL of rus docs add/remove: {LIBRARY_RUNS} runs (one change takes {wall:.1f} s): {dict(outcomes)}")
    assert sum(outcomes.values()) == LIBRARY_RUNS


FEEDBACK_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from service.feedback import FeedbackStore

    store = FeedbackStore(Path(sys.argv[1]))
    for n in range(100_000):
        store.add(question=f"Vilken delprioritering tar upp renar? {n}", verdict="down" if n % 2 else "up",
                  answer_state="subpriority", top_sections=["3.1", "1.1"], chosen_section="3.1")
        if n == 0:
            print("ready", flush=True)  # writing: the kill lands among the writes that follow
    """
)


def test_sigkill_during_feedback_writes(tmp_path: Path) -> None:
    """A process writing verdicts non-stop is killed at random moments: the feedback store stays readable, keeps
    every verdict written before, and takes new ones."""
    from service.feedback import FeedbackStore

    rng = random.Random(14)
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path)
    kept = 0
    for run in range(1, FEEDBACK_RUNS + 1):
        process = subprocess.Popen([sys.executable, "-c", FEEDBACK_CHILD, str(path)], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, cwd=REPO_ROOT, text=True)
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        entries = store.entries()  # readable
        assert len(entries) >= kept and all(e.question.startswith(("Vilken", "Efter avbrott")) for e in entries)
        assert [e.id for e in entries] == sorted({e.id for e in entries})
        kept = len(entries)
        store.add(question=f"Efter avbrott {run}", verdict="up")  # and writable
        kept += 1
        assert store.entries()[-1].question == f"Efter avbrott {run}"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"\nSIGKILL of a feedback writer: {FEEDBACK_RUNS} runs, {kept} verdicts kept, integrity ok")
