"""The Evaluation tab's data: the eval reports on disk (report.md + PNG plots) and a dev-set run through
the eval package's own Python API (`eval.runner.run` + `write_results`), when that package is present."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

IMAGE_LINE = re.compile(r"^!\[[^\]]*\]\(([^)\s]+)\)\s*$", re.MULTILINE)
EMPTY_HEADING_AT_END = re.compile(r"\n#+ [^\n]*\s*$")
_RUN_LOCK = threading.Lock()


@dataclass
class Report:
    directory: Path
    markdown: str  # report.md without its image lines (the plots are shown separately)
    plots: list[Path]
    modified: float


def report_dirs(root: Path) -> list[Path]:
    """Folders under `root` holding a report.md, newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if (p / "report.md").is_file()]
    return sorted(found, key=lambda p: (p / "report.md").stat().st_mtime, reverse=True)


def default_report(root: Path, preferred: str = "dev") -> Path | None:
    """The report folder named `preferred` (`make eval`'s dev-set report) when present, else the newest."""
    dirs = report_dirs(root)
    return next((d for d in dirs if d.name == preferred), dirs[0] if dirs else None)


def load_report(directory: Path) -> Report | None:
    directory = Path(directory)
    path = directory / "report.md"
    if not path.is_file():
        return None
    markdown = path.read_text(encoding="utf-8", errors="replace")
    referenced = [directory / m.group(1) for m in IMAGE_LINE.finditer(markdown)]
    plots = [p for p in referenced if p.suffix.lower() == ".png" and p.is_file()]
    plots += sorted(p for p in directory.glob("*.png") if p not in plots)
    text = EMPTY_HEADING_AT_END.sub("", IMAGE_LINE.sub("", markdown).rstrip())
    return Report(directory, text.rstrip() + "\n", plots, path.stat().st_mtime)


def eval_api():
    """(run, write_results) from the eval package, or the ImportError saying why it is unavailable."""
    try:
        from eval.runner import run, write_results
    except ImportError as error:
        return error
    return run, write_results


@dataclass
class RunOutcome:
    out: Path
    n_items: int
    seconds: float


class EvalBusy(Exception):
    pass


def run_dev_eval(index, index_dir: Path, gold: Path, out: Path, retriever: str = "hybrid") -> RunOutcome:
    """Evaluate `retriever` on `gold` with the already-loaded index; write report.md, results.json and plots
    to `out`. One run at a time (EvalBusy otherwise). Raises ImportError when the eval package is missing."""
    api = eval_api()
    if isinstance(api, ImportError):
        raise api
    run, write_results = api
    if not _RUN_LOCK.acquire(blocking=False):
        raise EvalBusy()
    try:
        started = time.perf_counter()
        results = run(Path(gold), Path(index_dir), retriever=retriever, progress=False, index=index)
        write_results(results, Path(out))
        return RunOutcome(Path(out), int(results.get("meta", {}).get("n_items", 0)), time.perf_counter() - started)
    finally:
        _RUN_LOCK.release()
