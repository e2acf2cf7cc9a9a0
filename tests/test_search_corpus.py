"""Acceptance: questions about the real strategy land on the right sub-priority.

Uses the session index of the shared PDF (built once, see conftest.py).
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from index.hits import Filters
from index.search import SearchIndex

pytestmark = pytest.mark.slow

REINDEER_EN = "which sub-priority covers reindeer crossings?"
BROADBAND_SV = "Vilken delprioritering handlar om robust digital infrastruktur och bredband?"


def test_the_corpus_index_holds_the_whole_strategy(corpus_search: SearchIndex) -> None:
    sub_ids = {c.section_id for c in corpus_search.chunks if c.kind == "subpriority"}
    assert len(sub_ids) == 20
    assert {c.doc_id for c in corpus_search.chunks} == {"rus-vasterbotten-2030"}
    reindeer = [c for c in corpus_search.chunks if "trygga passager för renar" in c.text]
    assert [(c.section_id, c.item) for c in reindeer] == [("3.1", "Behov 4")]


def test_reindeer_question_in_english_finds_subpriority_31(corpus_search: SearchIndex) -> None:
    hits = corpus_search.search(REINDEER_EN, k=5)
    top = hits[0]
    assert top.chunk.section_id == "3.1", [(h.chunk.section_id, h.chunk.kind, h.chunk.item) for h in hits]
    assert "trygga passager för renar" in top.chunk.text
    assert top.chunk.page_start == 42


def test_broadband_question_in_swedish_finds_subpriority_34(corpus_search: SearchIndex) -> None:
    hits = corpus_search.search(BROADBAND_SV, k=3)
    assert "3.4" in [h.chunk.section_id for h in hits], [(h.chunk.section_id, h.chunk.kind) for h in hits]
    hit = next(h for h in hits if h.chunk.section_id == "3.4")
    assert hit.chunk.heading_path[:2] == (
        "Prioritering 3: Västerbotten – nära och tillgängligt",
        "Delprioritering 3.4 Robust digital infrastruktur",
    )


def test_reindeer_need_is_found_within_priority_3(corpus_search: SearchIndex) -> None:
    # Narrowing to the right priority must still surface the need itself.
    hits = corpus_search.search(REINDEER_EN, k=10, filters=Filters(priority=3))
    assert {h.chunk.priority for h in hits} == {3}
    assert any("trygga passager för renar" in h.chunk.text for h in hits)


@pytest.mark.parametrize("retriever", ["hybrid", "bm25"])
def test_the_documents_own_words_find_the_reindeer_need_first(corpus_search: SearchIndex, retriever: str) -> None:
    top = corpus_search.search("trygga passager för renar", k=1, retriever=retriever)[0]
    assert (top.chunk.section_id, top.chunk.item) == ("3.1", "Behov 4")
    start, end = top.highlights[0]
    assert "trygga passager för renar" in top.chunk.text[start:end]


def test_dense_retrieval_alone_keeps_the_reindeer_need_near_the_top(corpus_search: SearchIndex) -> None:
    # The small embedding model ranks other transport passages close by; keywords settle it in hybrid.
    hits = corpus_search.search("trygga passager för renar", k=5, retriever="dense")
    assert ("3.1", "Behov 4") in [(h.chunk.section_id, h.chunk.item) for h in hits]


def test_topical_questions_find_a_priority_before_the_strategys_framing_text(corpus_search: SearchIndex) -> None:
    # typed the way applicants type: the context paragraphs ("En mångfald av länkade platser", the list of other
    # plans) mention everything and used to win these close calls
    for query, section in [("lanthandel", "2.2"), ("klimatanpasning översvämning i byn", "4.2"),
                           ("samrad med samebyn innan vindkraftsbygge", "4.2")]:
        top = corpus_search.search(query, k=5)[0].chunk
        assert top.section_id == section, (query, top.section_id, top.heading_path)


def test_framing_text_still_answers_questions_about_itself(corpus_search: SearchIndex) -> None:
    top = corpus_search.search("Vilka sex prioriteringar och tre inriktningar har strategin?", k=1)[0].chunk
    assert top.section_id == "Hur är strategin uppbyggd?", top.section_id
    funds = corpus_search.search("Which EU funds and programmes does the strategy list?", k=1)[0].chunk
    assert funds.section_id == "Finansiering, uppföljning och påverkansarbete"


def test_a_question_for_plans_finds_its_prioritys_list_of_plans(corpus_search: SearchIndex) -> None:
    # the lists of other plans are framing text for a topical question but the answer to one asking for plans; the
    # framing penalty and the lists' mixed section context used to push them out of the top five (gold_extra x091,
    # x094, dev q120)
    for query, listed in [
        ("Vilka planer hänvisar prioriteringen nära och tillgängligt till, finns länstransportplanen med?",
         "Länstransportplan (under framtagande)"),
        ("Which regional strategies guide digitalisation and innovation work under the priority 'nytänkande och "
         "smart'?", "Regional innovationsstrategi 2022-2030"),
    ]:
        hits = corpus_search.search(query, k=5)
        assert any(hit.chunk.kind == "plans" and listed in hit.chunk.text for hit in hits), query
    # a topical question still ranks a sub-priority over a list that names a plan on its topic
    assert corpus_search.search("klimatanpasning översvämning i byn", k=1)[0].chunk.kind != "plans"


def test_an_english_project_description_finds_its_subpriority(corpus_search: SearchIndex) -> None:
    # a description is embedded as written: the glossary's Swedish terms for its many words used to lengthen it
    # and rank 6.1 first. 5.4's challenge of staffing care "not solved by recruitment alone" is its close rival
    # (first since search reads passages in their section's context and English against the English rendering).
    description = (
        "Our municipality's home care service loses a third of its new staff within a year. Rather than "
        "recruiting even more, we want to keep the people we have: career paths inside the organisation, paid "
        "training to become assistant nurses, recognising skills people already have, and a better first month "
        "for newcomers. We also want to share some specialist roles with the neighbouring municipality. "
        "Which sub-priority fits?"
    )
    sections = list(dict.fromkeys(hit.chunk.section_id for hit in corpus_search.search(description, k=5)))
    assert "6.3" in sections[:2] and "6.1" not in sections[:2], sections


def test_concurrent_searches_rank_as_one_search_at_a_time(
    corpus_search: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index's parts are shared by every request: with the stem cache bounded so small that searches keep
    clearing it under each other, eight threads still get exactly the rankings of one search at a time (an unlocked
    cache raised KeyError here)."""
    import index.lexical_evidence as lexical_evidence

    questions = [
        REINDEER_EN,
        BROADBAND_SV,
        "kompetensförsörjning inom vården",
        "how do we attract tourists to the inland?",
        "Vilka behov finns för kollektivtrafik på landsbygden?",
        "women founders of new companies",
        "forskning och innovation vid universitetet",
        "cheaper housing for young people",
    ]
    filters = [None, Filters(priority=3), Filters(section="2.1")]
    cases = [(q, r, f) for q in questions for r in ("hybrid", "dense", "bm25") for f in filters]
    texts = {corpus_search.read(question).dense_text for question in questions}
    vectors = {text: corpus_search.embedder.embed_queries([text])[0] for text in texts}
    monkeypatch.setattr(corpus_search, "query_vector", lambda text: vectors[text])  # the encoder is not under test
    monkeypatch.setattr(lexical_evidence, "STEM_CACHE", 5)

    def ranking(case: tuple[str, str, Filters | None]) -> list[tuple[str, float]]:
        question, retriever, where = case
        return [(h.chunk.chunk_id, h.score) for h in corpus_search.search(question, 10, retriever, where)]

    one_at_a_time = [ranking(case) for case in cases]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch every few bytecodes, so a race shows on every run, not one in many
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            together = list(pool.map(ranking, cases * 3))
    finally:
        sys.setswitchinterval(interval)
    assert together == one_at_a_time * 3


def test_a_lone_search_reading_beside_its_encoder_ranks_as_one_reading_first(
    corpus_search: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone search reads its question and scores the lexical side on a helper thread while the encoder embeds it
    (index/beside.py); the rankings are exactly those of the same steps taken in turn — including a short English
    question whose BM25 terms come from its vector, and the filters."""
    from index.beside import Beside

    questions = [
        REINDEER_EN,
        BROADBAND_SV,
        "sawmill leftovers",  # BM25 terms from its vector
        "bredbnad till fäbodar och stugor utanför byn",
        "Our municipality's home care service loses a third of its new staff within a year.",
    ]
    cases = [(q, r, f) for q in questions for r in ("hybrid", "dense") for f in (None, Filters(priority=3))]

    def rankings(beside: Beside) -> list[list[tuple[str, float]]]:
        monkeypatch.setattr(corpus_search, "beside", beside)
        return [[(h.chunk.chunk_id, h.score) for h in corpus_search.search(q, 10, r, f)] for q, r, f in cases]

    side_by_side = Beside()
    assert rankings(side_by_side) == rankings(Beside(helper=False))
    assert side_by_side.overlapped == len(cases)
