"""A question on /v1/ask is read once, searched once and decided once: one trip down into index/, no ping-pong
(bench/ask_path.py traces which of our files are handed it; docs/architecture.md "The path of a question")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.ask_path import AskPath, trace
from service.answering.answers import ask
from service.settings import Settings
from service.state import Corpus

QUESTIONS = [
    "Vilken delprioritering handlar om kompetensförsörjning i vården?",
    "How much does a bus ticket from Umeå to Skellefteå cost?",
    "Vi vill starta ett kooperativ som hyr ut elcyklar i tre byar i inlandet, med laddning från solceller, "
    "så att äldre och unga utan bil kan ta sig till affären, vårdcentralen och busshållplatsen året om.",
]


def test_the_count_of_descents_and_reentries() -> None:
    path = AskPath(("service/a.py", "index/b.py", "index/c.py", "service/d.py", "index/b.py", "service/a.py"))
    assert path.descents == 2  # a → b, and d → b again
    assert path.reentries == 2  # b and a were left and entered again


def _assert_one_trip(corpus: Corpus, question: str, settings: Settings) -> AskPath:
    ask(corpus, question, settings=settings)  # warm: lazy loads are not part of the path
    path = trace(lambda: ask(corpus, question, settings=settings), question)
    assert path.steps[0] == "service/answering/answers.py", path.steps
    assert path.descents == 1, path.steps
    assert path.reentries <= 3, path.steps
    assert "service/answering/decision.py" in path.steps, path.steps
    return path


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_question_goes_down_into_the_index_once(corpus_search, corpus_index: Path, question: str) -> None:
    corpus = Corpus.open(corpus_index, corpus_search.embedder)
    _assert_one_trip(corpus, question, Settings(index_dir=corpus_index))


def test_with_plans_in_the_library_the_related_passages_come_from_the_same_trip(corpus_search, plan_library) -> None:
    corpus = Corpus.open(plan_library, corpus_search.embedder)
    question = "Vilken delprioritering handlar om trygga passager för renar?"
    _assert_one_trip(corpus, question, Settings(index_dir=plan_library))
    answer = ask(corpus, question, settings=Settings(index_dir=plan_library))
    assert answer.covered and answer.related and all(c.doc_kind != "strategi" for c in answer.related)
