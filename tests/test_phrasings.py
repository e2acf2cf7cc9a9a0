"""Everyday phrasings (index/phrasings.py): kept as data, carried by the build, and what lifts everyday questions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.phrasings import (
    LANGUAGES,
    PHRASING_FLOOR,
    PHRASING_WEIGHT,
    PHRASING_WORDS_WEIGHT,
    PhrasingBonus,
    PhrasingWords,
    phrasings_path,
    read_phrasings,
)
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


def sections_of(hits) -> list[str]:
    return list(dict.fromkeys(hit.chunk.section_id for hit in hits))


def test_an_everyday_word_the_strategy_never_uses_reaches_its_passage_through_the_phrasings_words(
    corpus_search, monkeypatch
):
    """The English rendering says "areas without coverage" and "connectivity", and "mobile" there means mobile
    testbeds and labs; people's phrasings of 3.4's passages say "mobile coverage". With the phrasings' words the
    question finds 3.4 Robust digital infrastruktur, without them a neighbour (the roads, 3.2) ranks first. Written for
    this test; in no evaluation set."""
    question = "no mobile coverage on the road up to the mountains"
    hits = corpus_search.search(question, 10)
    assert sections_of(hits)[0] == "3.4"
    analysis = corpus_search.read(question)
    nudged, _ = corpus_search.phrasing_words.evidence(question, analysis.language)
    assert hits[0].position in nudged.tolist()
    with monkeypatch.context() as patch:
        patch.setitem(PHRASING_WORDS_WEIGHT, "en", 0.0)
        without = corpus_search.search(question, 10)
    assert sections_of(without)[0] != "3.4"
    # only the ranking moved: each passage keeps its own similarity, which the answer state reads
    own = {hit.position: hit.dense_score for hit in without}
    assert all(hit.dense_score == pytest.approx(own[hit.position]) for hit in hits if hit.position in own)


def test_the_phrasings_words_nudge_the_passages_whose_phrasings_share_them_by_language():
    """BM25 over each passage's phrasings, both languages in one document: the passage whose phrasings share the
    question's words gets the language's full weight, a weaker match a share of it, a passage sharing none nothing."""
    owners = np.array([0, 0, 2, 2, 5], dtype=np.int32)
    texts = [
        "my grandmother is lonely", "mormor är ensam om kvällarna",
        "the bus only runs twice a day", "bussen går för sällan",
        "lonely teenagers and the bus home",
    ]
    words = PhrasingWords(PhrasingTable(owners, texts, np.zeros((5, 4), dtype=np.float32)))
    positions, nudge = words.evidence("lonely grandmother", "en")
    assert positions.tolist() == [0, 5]
    assert nudge[0] == pytest.approx(PHRASING_WORDS_WEIGHT["en"]) and 0 < nudge[1] < nudge[0]
    positions, nudge = words.evidence("bussen går sällan", "sv")
    assert positions.tolist() == [2] and nudge[0] == pytest.approx(PHRASING_WORDS_WEIGHT["sv"])
    assert len(words.evidence("kanelbullar", "sv")[0]) == 0  # no phrasing uses it
    empty = PhrasingWords(PhrasingTable(np.zeros(0, dtype=np.int32), [], np.zeros((0, 4), dtype=np.float32)))
    assert len(empty.evidence("lonely grandmother", "en")[0]) == 0


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


def test_the_phrasings_lift_one_passage_and_leave_the_answer_state_alone(corpus_search, monkeypatch):
    """e5 rates any two short questions alike, so a baking question still finds a phrasing about food: it may lift
    that one passage in the ranking, but the answer state reads the passages' own similarity — it is the state the
    question gets without the phrasings, and no confident answer."""
    from service.answering.decision import decide

    states = {}
    for question in ["recept på kanelbullar med kardemumma", "kattmat på rea"]:
        analysis = corpus_search.read(question)
        bonus = corpus_search.phrasings.of(corpus_search.query_vector(analysis.dense_text))
        assert np.count_nonzero(bonus) == 1
        with_phrasings = decide(analysis, corpus_search.search(analysis, 50))
        with monkeypatch.context() as patch:
            patch.setattr(corpus_search, "phrasings", None)
            without = decide(analysis, corpus_search.search(analysis, 50))
        assert with_phrasings.state == without.state != "answer", question
        assert with_phrasings.score == pytest.approx(without.score), question
        states[question] = with_phrasings.state
    assert states["kattmat på rea"] == "not_covered"  # no word of it in the strategy


def lift_by_the_rule(table: PhrasingTable, n_chunks: int, vector: np.ndarray) -> np.ndarray:
    """The lift as docs/retrieval.md states it, from every float vector: the passage(s) whose closest phrasing is
    closest, by how far it leads every other passage's closest phrasing (and the floor)."""
    similarity = table.vectors @ vector
    best = np.full(n_chunks, -np.inf)
    np.maximum.at(best, table.owners, similarity)
    top = best.max()
    lead = best == top
    runner_up = best[~lead].max() if (~lead).any() else -np.inf
    lift = np.zeros(n_chunks, dtype=np.float32)
    lift[lead] = PHRASING_WEIGHT * max(0.0, float(top) - max(PHRASING_FLOOR, float(runner_up)))
    return lift


def test_the_lift_from_half_precision_codes_is_the_float_vectors_lift():
    """PhrasingBonus searches half-precision codes and re-ranks the best with the float vectors; its lift must be
    the one the float vectors give, for passages with many or few phrasings and for a phrasing
    written for two passages (a tie lifts both)."""
    rng = np.random.default_rng(3)
    n_chunks, dim = 60, 384
    owners = np.sort(rng.integers(0, n_chunks, 900))
    owners[-40:] = n_chunks - 1  # one passage with far more phrasings than the rest
    base = rng.standard_normal((n_chunks, dim)).astype(np.float32)
    noise = np.where(owners == n_chunks - 1, 0.3, 0.6)[:, None]  # the many phrasings lie close together
    vectors = base[owners] + noise * rng.standard_normal((len(owners), dim)).astype(np.float32)
    vectors[0] = base[-1] + 0.45 * rng.standard_normal(dim)  # another passage's phrasing, the runner-up near them
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    twin = int(np.searchsorted(owners, owners[1] + 1))  # the first row of the next passage
    vectors[twin] = vectors[1]  # the same phrasing for two passages
    table = PhrasingTable(owners.astype(np.int32), [f"p{i}" for i in range(len(owners))], vectors)
    bonus = PhrasingBonus(table, n_chunks)
    questions = [vectors[i] + 0.2 * rng.standard_normal(dim).astype(np.float32) for i in range(0, len(owners), 7)]
    # the many phrasings' own centre: all 40 come first, and the runner-up is another passage's, above the floor
    questions = [q / np.linalg.norm(q) for q in questions] + [base[-1] / np.linalg.norm(base[-1]), vectors[1]]
    for question in questions:
        expected, lift = lift_by_the_rule(table, n_chunks, question), bonus.of(question)
        assert np.flatnonzero(lift).tolist() == np.flatnonzero(expected).tolist()
        np.testing.assert_allclose(lift, expected, rtol=0, atol=1e-6)  # float summation order; half precision: 1e-4
    assert np.flatnonzero(bonus.of(vectors[1])).tolist() == [owners[1], owners[twin]]
