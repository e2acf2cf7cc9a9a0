"""Real wording on the lexical side: diacritics, compounds, typos, keyword-query language, the derived lexicon.

The first tests use a small BM25 index of a few Swedish sentences (no embedder); the slow ones use the session
index of the shared strategy (conftest.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bm25s
import numpy as np
import pytest
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from index.language import detect_language
from index.lexical import TOKENIZER_FILE, LexicalIndex
from index.lexicon import Lexicon
from index.terms import QueryTerms
from index.tokens import STOPWORDS, stem_words, tokenize, tokenize_english, words

TEXTS = [
    "Budget för lokal anpassning, exempelvis trygga passager för renar vid investeringar i infrastruktur.",
    "Utbyggnad av bredband till områden utan täckning och kartläggning av mobila nät.",
    "Klimatanpassning av samhället minskar riskerna vid översvämningar och skred.",
    "Fler platser i förskolan och bostäder för unga i hela länet.",
    "Passager för fotgängare och cyklister i tätorter.",
    "Bygg ut ladd- och tankinfrastruktur längs vägarna.",
]


@pytest.fixture(scope="module")
def small_terms() -> QueryTerms:
    return QueryTerms(LexicalIndex.build(TEXTS))


def alternatives(terms: QueryTerms, word: str) -> list[list[str]]:
    return sorted(sorted(a) for a in terms.alternatives(word))


def test_words_typed_without_diacritics_share_the_texts_stems() -> None:
    typed, written = tokenize(["bostader forskolan oversvamningar"])[0], tokenize([TEXTS[2] + " " + TEXTS[3]])[0]
    assert typed and set(typed) <= set(written)
    assert tokenize(["för på när"])[0] == tokenize(["for pa nar"])[0] == []  # stopwords with and without


def bm25s_tokens(texts: list[str]) -> list[list[str]]:
    """What bm25s's own tokenizer makes of the texts with the index's stopwords and stemmer."""
    return bm25s.tokenize(texts, stopwords=STOPWORDS, stemmer=stem_words, return_ids=False, show_progress=False)


TRICKY = ["", "  ", "för på när", "Å ä Ö É ü", "a_b c-d e.f 12 123 x", "VÄSTERBOTTENS Län", "naïve café"]


def test_tokenize_gives_bm25s_tokens_so_existing_indexes_stay_valid() -> None:
    gold = Path(__file__).resolve().parent.parent / "eval" / "calibration_extra.jsonl"
    queries = [json.loads(line)["query"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = TEXTS + TRICKY + queries
    assert tokenize(texts) == bm25s_tokens(texts)  # one call, many texts
    for text in texts:
        assert tokenize([text]) == bm25s_tokens([text])
        assert words(text) == bm25s.tokenize([text], stopwords=STOPWORDS, return_ids=False, show_progress=False)[0]


@pytest.mark.slow
def test_tokenize_gives_bm25s_tokens_on_the_whole_strategy(corpus_search) -> None:
    texts = [" ".join(chunk.heading_path) + " " + chunk.text for chunk in corpus_search.chunks]
    assert tokenize(texts) == bm25s_tokens(texts)
    # the English side: the renderings and English questions, as bm25s's own tokenizer makes them
    english = [chunk.text_en for chunk in corpus_search.chunks if chunk.text_en] + TRICKY + [
        "Which sub-priority covers reindeer crossings?", "the municipalities' broadband isn't working",
    ]
    stemmer = Stemmer.Stemmer("english")
    expected = bm25s.tokenize(english, stopwords=STOPWORDS_EN, stemmer=stemmer.stemWords, return_ids=False,
                              show_progress=False)  # fmt: skip
    assert len(english) > 300 and tokenize_english(english) == expected
    assert [tokenize_english([text])[0] for text in english] == expected


def test_a_compound_the_text_does_not_use_is_split_into_its_parts(small_terms: QueryTerms) -> None:
    assert alternatives(small_terms, "renpassager") == [["passag"], ["passag", "ren"]]
    assert small_terms.alternatives("passager") == frozenset([frozenset(["passag"])])  # known words stay whole


def test_a_compound_meets_the_texts_hyphenated_prefix(small_terms: QueryTerms) -> None:
    # "ladd- och tankinfrastruktur" indexes "ladd" on its own
    assert ["infrastruktur", "ladd"] in alternatives(small_terms, "laddinfrastruktur")


def test_a_compound_of_a_general_word_and_a_text_word_reaches_the_text_word(small_terms: QueryTerms) -> None:
    # "gång" is an everyday Swedish word the texts never use; "passager" is theirs
    assert alternatives(small_terms, "gångpassager") == [["passag"]]
    assert alternatives(small_terms, "xqzpassager") == [["xqzpassag"]]  # no word before the head: unresolved


def test_misspelt_words_reach_the_vocabulary(small_terms: QueryTerms) -> None:
    assert alternatives(small_terms, "bredbnad") == [["bredband"]]  # two letters swapped
    assert alternatives(small_terms, "klimatanpasning") == [["klimatanpassning"]]  # one letter missing
    assert alternatives(small_terms, "parkering") == [["parkering"]]  # no near word: left as it is
    assert alternatives(small_terms, "plast") == [["plast"]]  # a word in general use, not "plats" misspelt
    # the stemmer cuts "lägenheter" to "lagen": two edits from "lan" (länet) are a short stem's, not a typo
    assert alternatives(small_terms, "lägenheter") == [["lagen"]]


def test_bm25_finds_the_reindeer_crossing_from_the_compound(small_terms: QueryTerms) -> None:
    lexical = LexicalIndex.build(TEXTS)
    terms = QueryTerms(lexical)
    scores = lexical.token_scores(terms.tokens("renpassager"))
    assert int(np.argmax(scores)) == 0 and scores[0] > scores[4] > 0
    assert not lexical.scores("renpassager").any()  # without resolving, BM25 knows no such word


@pytest.mark.parametrize(
    "query", ["broadband", "reindeer", "drinking water", "dental care", "tourism", "ergonomics", "wind power"]
)
def test_english_keyword_queries_are_detected_as_english(query: str) -> None:
    assert detect_language(query) == "en"


@pytest.mark.parametrize(
    "query", ["vätgas", "bredband", "kluster", "mammografi", "laddstationer för elbilar", "renpassager"]
)
def test_swedish_keyword_queries_stay_swedish(query: str) -> None:
    assert detect_language(query) == "sv"


def test_stopwords_still_decide_sentences() -> None:
    assert detect_language("Which sub-priority covers reindeer crossings?") == "en"
    assert detect_language("Vilken delprioritering handlar om bredband?") == "sv"


def test_the_bm25_files_record_their_tokenizer(tmp_path: Path) -> None:
    lexical = LexicalIndex.build(TEXTS)
    lexical.save(tmp_path)
    assert LexicalIndex.load(tmp_path, len(TEXTS)).tokenizer == json.loads(
        (tmp_path / TOKENIZER_FILE).read_text(encoding="utf-8")
    )["tokenizer"]
    (tmp_path / TOKENIZER_FILE).unlink()
    assert LexicalIndex.load(tmp_path, len(TEXTS)).tokenizer is None


# --- the shared strategy -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_renpassager_finds_the_reindeer_crossing_need_through_bm25(corpus_search) -> None:
    hits = corpus_search.search("renpassager", k=3, retriever="bm25")
    assert hits and hits[0].chunk.section_id == "3.1", [(h.chunk.section_id, h.chunk.item) for h in hits]
    assert "trygga passager för renar" in hits[0].chunk.text


@pytest.mark.slow
def test_misspelt_broadband_reaches_broadband_text(corpus_search) -> None:
    hits = corpus_search.search("bredbnad", k=5, retriever="bm25")
    assert hits and all("bredband" in (h.chunk.text + " ".join(h.chunk.heading_path)).lower() for h in hits)
    assert "3.4" in [h.chunk.section_id for h in hits]


@pytest.mark.slow
def test_compounds_and_nouns_the_text_inflects_otherwise_reach_its_words(corpus_search) -> None:
    # the strategy writes "vuxna" and "återanvända", users "vuxenutbildning" and "återanvändning"
    assert frozenset({"vuxn", "utbildning"}) in corpus_search.reader.terms.alternatives("vuxenutbildning")
    assert corpus_search.reader.terms.alternatives("återanvändning") == frozenset({frozenset({"ateranvand"})})
    assert corpus_search.read("vuxenutbildning på hemorten").unknown_share == 0.0
    hits = corpus_search.search("återanvändning", k=3, retriever="bm25")
    assert hits and all("återanvän" in h.chunk.text.lower() for h in hits)


@pytest.mark.slow
def test_the_lexicon_maps_english_words_to_the_strategys_swedish(corpus_search) -> None:
    lexicon = corpus_search.stored.lexical.lexicon
    broadband = lexicon.nearest(corpus_search.query_vector("broadband"))
    assert broadband and all(stem.startswith("bredband") for stem in broadband), broadband
    assert lexicon.nearest(corpus_search.query_vector("mammography")) == ["mammografi"]
    assert lexicon.nearest(corpus_search.query_vector("wind power"))[:1] == ["vindkraft"]


@pytest.mark.slow
def test_an_english_query_outside_the_glossary_reaches_the_swedish_text_through_bm25(corpus_search) -> None:
    top = corpus_search.search("mammography screening", k=3)[0]  # no glossary entry for either word
    assert top.chunk.section_id == "3.3" and "mammografi" in top.chunk.text
    assert top.bm25_score > 0 and top.score > top.dense_score


@pytest.mark.slow
def test_a_rebuild_reuses_the_lexicon_vectors(corpus_index: Path, corpus_pdf: Path, tmp_path: Path) -> None:
    from index.build import build_index

    copy = tmp_path / "index"
    shutil.copytree(corpus_index, copy, symlinks=True)
    report = build_index([corpus_pdf], copy, progress=False)
    assert report.embedded == 0
    rebuilt = LexicalIndex.load(report.build_dir / "bm25", report.n_chunks).lexicon
    assert isinstance(rebuilt, Lexicon) and len(rebuilt.words) > 1000


@pytest.mark.slow
def test_an_index_built_by_an_older_tokenizer_is_refused_with_a_rebuild_hint(
    corpus_index: Path, corpus_search, tmp_path: Path
) -> None:
    from index.search import SearchIndex
    from index.store import IndexDamaged

    copy = tmp_path / "index"
    shutil.copytree(corpus_index, copy, symlinks=True)
    build = (copy / "current").resolve()
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    del manifest["checksums"][f"bm25/{TOKENIZER_FILE}"]  # as written before the tokenizer was versioned
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (build / "bm25" / TOKENIZER_FILE).unlink()
    with pytest.raises(IndexDamaged, match=r"older, unversioned tokenizer.*rebuild it with `rus index build`"):
        SearchIndex.open(copy, embedder=corpus_search.embedder)
