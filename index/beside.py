"""A lone search's Python work beside its encoder call (issue 25).

A question is embedded on one core (index/e5fast runs a short text on the calling thread alone), and the encoder
releases the GIL while it runs, so while a search waits for its query vector the other core is idle. A search that
runs alone therefore reads the question and scores the lexical side on a helper thread meanwhile (index/search.py).
Under load every core is busy already, so a search that runs beside another takes the same steps in turn. Either
way the results are the same: the two parts do not depend on each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
V = TypeVar("V")


class Beside:
    """Runs a search's vector-free work beside its encoder call when no other search runs (one helper thread);
    `helper=False` always runs them in turn."""

    def __init__(self, helper: bool = True) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._helper = ThreadPoolExecutor(1, thread_name_prefix="beside-encoder") if helper else None
        self.overlapped = 0  # searches whose two parts ran side by side (for tests and benchmarks)

    def run(self, work: Callable[[], T], embed: Callable[[], V]) -> tuple[T, V]:
        """`work()` and `embed()`: side by side when this is the only search running, else `work` first."""
        with self._lock:
            self._running += 1
            alone = self._running == 1 and self._helper is not None
            self.overlapped += alone
        try:
            if not alone:
                return work(), embed()
            pending = self._helper.submit(work)
            try:
                vector = embed()
            except BaseException:
                wait([pending])  # the helper is free again before the error leaves
                raise
            return pending.result(), vector
        finally:
            with self._lock:
                self._running -= 1
