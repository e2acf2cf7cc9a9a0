"""index.beside: a lone search's Python work runs beside its encoder call; a search beside another takes turns."""

from __future__ import annotations

import threading

import pytest

from index.beside import Beside

WAIT = 10  # seconds; generous, a broken overlap fails by timing out rather than hanging


def test_a_lone_search_works_beside_its_encoder_call() -> None:
    beside = Beside()
    both = threading.Barrier(2, timeout=WAIT)  # passes only if the two parts run at the same time
    threads: dict[str, str] = {}

    def work() -> str:
        threads["work"] = threading.current_thread().name
        both.wait()
        return "read"

    def embed() -> str:
        threads["embed"] = threading.current_thread().name
        both.wait()
        return "vector"

    assert beside.run(work, embed) == ("read", "vector")
    assert threads["embed"] == threading.current_thread().name
    assert threads["work"].startswith("beside-encoder")
    assert beside.overlapped == 1


def test_a_search_beside_another_takes_its_steps_in_turn() -> None:
    beside = Beside()
    embedding = threading.Event()
    release = threading.Event()

    def slow_embed() -> str:
        embedding.set()
        release.wait(WAIT)
        return "first vector"

    first = threading.Thread(target=beside.run, args=(lambda: "first read", slow_embed))
    first.start()
    assert embedding.wait(WAIT)
    order: list[tuple[str, str]] = []
    try:
        result = beside.run(
            lambda: order.append(("work", threading.current_thread().name)) or "read",
            lambda: order.append(("embed", threading.current_thread().name)) or "vector",
        )
    finally:
        release.set()
        first.join(WAIT)
    here = threading.current_thread().name
    assert result == ("read", "vector")
    assert order == [("work", here), ("embed", here)]
    assert beside.overlapped == 1  # the first search only


def test_an_encoder_error_reaches_the_caller_and_the_helper_is_free_again() -> None:
    beside = Beside()
    work_done = threading.Event()

    def refused() -> str:
        raise RuntimeError("the query encoder is overloaded")

    with pytest.raises(RuntimeError, match="overloaded"):
        beside.run(lambda: work_done.set() or "read", refused)
    assert work_done.is_set()  # the error left only after the helper's work had finished
    both = threading.Barrier(2, timeout=WAIT)
    assert beside.run(lambda: (both.wait(), "read")[1], lambda: (both.wait(), "vector")[1]) == ("read", "vector")
    assert beside.overlapped == 2


def test_without_a_helper_every_search_takes_its_steps_in_turn() -> None:
    beside = Beside(helper=False)
    names = []
    result = beside.run(
        lambda: names.append(threading.current_thread().name) or "read",
        lambda: names.append(threading.current_thread().name) or "vector",
    )
    assert result == ("read", "vector")
    assert names == [threading.current_thread().name] * 2
    assert beside.overlapped == 0
