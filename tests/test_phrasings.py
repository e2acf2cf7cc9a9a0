"""Everyday phrasings (index/phrasings.py): kept as data, carried by the build, and what lifts everyday questions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.phrasings import LANGUAGES, phrasings_path, read_phrasings
from index.store import PhrasingTable
from index.translation_memory import locations, write_memory
from ingest.models import Chunk

# Everyday questions written for this test (in no evaluation set), with the sub-priority that answers them.
EVERYDAY = [
    ("can't find a plumber anywhere", "6.3"),  # Attrahera och behålla kompetenser
    ("the bank won't give us a loan to build a house", "4.2"),  # Hållbara lokala livsmiljöer
    ("our village shop is about to close", "2.2"),  # Nya och växande livskraftiga företag (commercial service)
]


@pytest.mark.parametrize(("question", "section"), EVERYDAY)
def test_an_everyday_question_finds_its_subpriority_through_the_phrasings(corpus_search, question, section):
    hits = corpus_search.search(question, 5)
    assert hits[0].chunk.section_id == section
    bonus = corpus_search.phrasings.of(corpus_search.query_vector(corpus_search.read(question).dense_text))
    assert bonus[hits[0].position] > 0  # the passage was lifted by how people ask for it


def test_the_strategys_build_carries_phrasings_in_both_languages_for_nearly_every_passage(corpus_search):
    table = corpus_search.stored.phrasings
    n = len(corpus_search.chunks)
    per_chunk = np.bincount(table.owners, minlength=n)
    assert (per_chunk >= 2 * len(LANGUAGES)).sum() >= 0.95 * n
    assert len(table.vectors) == len(table.texts) == len(table.owners)


def chunk(text: str, number: int) -> Chunk:
    return Chunk(
        chunk_id=f"c{number}", doc_id="strategi", doc_title="Strategi", section_id="1.1", heading_path=("1.1",),
        kind="needs", priority=1, page_start=1, page_end=1, text=text,
    )


def test_a_passage_whose_text_changed_loses_its_phrasings_and_the_others_keep_theirs(tmp_path: Path):
    chunks = [chunk("Behov av fler vårdcentraler i inlandet.", 1), chunk("Behov av bredband i byarna.", 2)]
    entries = [(c, place, f"fråga om {c.chunk_id}\nannan fråga om {c.chunk_id}") for c, place in
               zip(chunks, locations(chunks), strict=True)]
    write_memory(phrasings_path(tmp_path, "strategi", "sv"), "strategi", entries, "sv", note="phrasings")
    assert read_phrasings(chunks, tmp_path) == [
        (0, "fråga om c1"), (0, "annan fråga om c1"), (1, "fråga om c2"), (1, "annan fråga om c2"),
    ]
    edited = [chunks[0], replace(chunks[1], text="Behov av bredband och mobiltäckning i byarna.")]
    assert read_phrasings(edited, tmp_path) == [(0, "fråga om c1"), (0, "annan fråga om c1")]
    assert read_phrasings(chunks, None) == [] and read_phrasings(chunks, tmp_path / "none") == []


def test_a_phrasing_table_out_of_chunk_order_is_refused(tmp_path: Path):
    vectors = np.eye(3, 4, dtype=np.float32)
    PhrasingTable(np.array([0, 2, 1], dtype=np.int32), ["a", "b", "c"], vectors).save(tmp_path / "phrasings")
    with pytest.raises(ValueError, match="out of order"):
        PhrasingTable.load(tmp_path / "phrasings", n_chunks=3)


def test_the_phrasings_lift_one_passage_and_never_make_an_off_topic_question_covered(corpus_search):
    """e5 rates any two short questions alike, so a baking question still finds a phrasing about food: it may lift
    that one passage in the ranking, but the answer state reads the passages' own similarity and stays not covered."""
    from service.answering.decision import decide

    question = "recept på kanelbullar med kardemumma"
    analysis = corpus_search.read(question)
    bonus = corpus_search.phrasings.of(corpus_search.query_vector(analysis.dense_text))
    assert np.count_nonzero(bonus) == 1
    assert decide(analysis, corpus_search.search(analysis, 50)).state == "not_covered"
