"""The path a question takes through the code on /v1/ask: which of our files receive it, in order.

`python -m bench.ask_path [--index-dir DIR] [QUESTION ...]` answers each question in-process with a profiler
hook (`sys.setprofile`) and records every call from one file into a function of ours (ingest/, index/, service/)
in another that is handed the question, as written or read (an argument equal to the question's text, or an
object whose `text` is). Consecutive calls into the same file are one step. It prints the steps and:
- *descents*: how often the path goes down into index/ (from service/); one means the question is analysed and
  searched in one trip down and never comes back up to go down again;
- *re-entries*: how often a step enters a file the path had already left.
docs/architecture.md ("The path of a question") states the figures; tests/test_ask_path.py keeps them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("ingest", "index", "service")
QUESTIONS = (
    "which sub-priority covers reindeer crossings?",
    "Vilken delprioritering handlar om kompetensförsörjning i vården?",
    "How much does a bus ticket from Umeå to Skellefteå cost?",
)


@dataclass(frozen=True)
class AskPath:
    """The files that received the question, in order (consecutive calls in one file are one step)."""

    steps: tuple[str, ...]

    @property
    def descents(self) -> int:
        """Times the path goes from service/ down into index/."""
        return sum(a.startswith("service/") and b.startswith("index/") for a, b in pairwise(self.steps))

    @property
    def reentries(self) -> int:
        """Steps that enter a file the path had already left."""
        seen: set[str] = set()
        count = 0
        for step in self.steps:
            count += step in seen
            seen.add(step)
        return count


def _layer_file(filename: str) -> str | None:
    """The repository-relative path of one of our modules, or None for anything else (libraries, tests)."""
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except ValueError:
        return None
    return relative.as_posix() if relative.parts[0] in LAYERS else None


def _receives(frame, question: str) -> bool:
    """Whether a call's arguments hold the question, as written or as an object whose `text` it is."""
    code = frame.f_code
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    for name in names:
        value = frame.f_locals.get(name)
        if isinstance(value, str):
            if value == question:
                return True
        elif getattr(value, "text", None) == question:
            return True
    return False


def trace(run: Callable[[], object], question: str) -> AskPath:
    """Run `run()` (which answers `question`) and record the files of our calls that receive it."""
    steps: list[str] = []

    def profile(frame, event, _arg):
        if event != "call":
            return
        where = _layer_file(frame.f_code.co_filename)
        handed = frame.f_back is None or frame.f_back.f_code.co_filename != frame.f_code.co_filename
        if where and handed and _receives(frame, question) and (not steps or steps[-1] != where):
            steps.append(where)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return AskPath(tuple(steps))


def main(argv: list[str] | None = None) -> int:
    from service.answering.answers import ask
    from service.settings import get_settings
    from service.state import Corpus

    parser = argparse.ArgumentParser(prog="python -m bench.ask_path", description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="*", default=list(QUESTIONS))
    parser.add_argument("--index-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = get_settings()
    corpus = Corpus.open(args.index_dir or settings.index_dir, engine=settings.e5_engine)
    for question in args.questions:
        ask(corpus, question, settings=settings)  # warm: caches and lazy loads do not count
        path = trace(lambda q=question: ask(corpus, q, settings=settings), question)
        print(f"{question}\n  {len(path.steps)} steps, {len(set(path.steps))} files, descents {path.descents}, "
              f"re-entries {path.reentries}")
        print("  " + " → ".join(path.steps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
