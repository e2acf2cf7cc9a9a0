"""The calling thread's OpenMP thread count, set for a block: FAISS's OpenMP runtime and the e5 engine's each keep
one count per thread, so a block can run its own calls on one core while other threads split theirs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def one_thread(get_threads: Callable[[], int], set_threads: Callable[[int], None]) -> Iterator[None]:
    """OpenMP work started from the calling thread runs on that thread alone until the block ends; the thread's own
    count (`get_threads`, `set_threads`: the runtime's omp_get_max_threads and omp_set_num_threads) is restored."""
    before = get_threads()
    set_threads(1)
    try:
        yield
    finally:
        set_threads(before)
