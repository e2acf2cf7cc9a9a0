"""Building, storing and searching an index of small generated documents."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from pdf_factory import not_a_pdf, strategy_pdf

import index.lexical
import index.store
from index.build import BuildError, BuildReport, build_index
from index.embedders import Embedder, get_embedder
from index.hits import Filters, Hit
from index.search import SearchIndex
from index.store import EmbedderMismatch, IndexDamaged, IndexNotFound, current_build
from index.vectors import rows_at

REINDEER = "trygga passager för renar"
EXTRA_MD = """\
# Fjällräddning

Fjällräddningen i Testlänet övar varje vinter med skoterburna patruller och lavinhundar.
"""


@pytest.fixture(scope="module")
def e5() -> Embedder:
    """The default embedder, loaded once for this module."""
    return get_embedder("e5")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sources")
    strategy_pdf(folder / "strategi.pdf")
    return folder


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory, sources: Path, e5: Embedder) -> tuple[Path, BuildReport]:
    """An index of the generated strategy alone, with the report of building it from nothing."""
    index_dir = tmp_path_factory.mktemp("single")
    return index_dir, build_index([sources / "strategi.pdf"], index_dir, embedder=e5, progress=False)


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, single: tuple[Path, BuildReport], sources: Path, e5: Embedder
) -> Path:
    """An index of the generated strategy and a Markdown note, built once and only read by tests."""
    folder = tmp_path_factory.mktemp("two-docs")
    shutil.copy(sources / "strategi.pdf", folder / "strategi.pdf")
    (folder / "fjall.md").write_text(EXTRA_MD, encoding="utf-8")
    index_dir = copy_index(single[0], tmp_path_factory.mktemp("index") / "index")  # reuse its vectors
    build_index([folder], index_dir, embedder=e5, progress=False)
    return index_dir


@pytest.fixture(scope="module")
def searcher(built: Path, e5: Embedder) -> SearchIndex:
    return SearchIndex.open(built, e5)


def copy_index(index_dir: Path, target: Path) -> Path:
    shutil.copytree(index_dir, target, symlinks=True)
    return target


def doc_ids(search_index: SearchIndex) -> set[str]:
    return {c.doc_id for c in search_index.chunks}


def assert_ranked(hits: list[Hit]) -> None:
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


# --------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------


def test_build_then_search_finds_the_reindeer_need(single: tuple[Path, BuildReport]) -> None:
    index_dir, report = single
    assert (report.n_documents, report.errors) == (1, [])
    assert report.n_chunks == 13
    assert report.embedded > 0 and report.reused == 0
    assert report.build_dir == current_build(index_dir)

    hits = SearchIndex.open(index_dir).search(REINDEER, k=3)  # the embedder is taken from the manifest

    top = hits[0].chunk
    assert REINDEER in top.text
    assert (top.section_id, top.kind, top.item, top.page_start) == ("1.1", "needs", "Behov 2", 4)
    assert top.heading_path == (
        "Prioritering 1: Testlänet - smart och nytänkande",
        "Delprioritering 1.1 Starka strukturer för en smart plats",
        "Identifierade behov",
    )


def test_index_dir_has_a_current_build_with_a_manifest(built: Path, e5: Embedder) -> None:
    link = built / "current"
    assert link.is_symlink()
    build = current_build(built)
    assert build is not None and build.parent == built / "builds"
    manifest = index.store.read_manifest(built)
    assert manifest["embedder"]["id"] == e5.id
    assert {d["doc_id"] for d in manifest["documents"]} == {"strategi", "fjall"}
    assert {"chunks.jsonl", "vectors.npy", "faiss.index"} <= set(manifest["checksums"])


def test_opening_a_folder_without_an_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="rus index build"):
        SearchIndex.open(tmp_path / "nothing-here")


def test_building_from_only_bad_files_fails_with_the_reasons(tmp_path: Path, e5: Embedder) -> None:
    bad = not_a_pdf(tmp_path / "trasig.pdf")
    with pytest.raises(BuildError, match=r"nothing to index: trasig\.pdf: not a PDF"):
        build_index([bad], tmp_path / "index", embedder=e5, progress=False)
    assert current_build(tmp_path / "index") is None


def test_bad_files_are_skipped_and_reported(
    tmp_path: Path, single: tuple[Path, BuildReport], sources: Path, e5: Embedder
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(sources / "strategi.pdf", folder)
    not_a_pdf(folder / "trasig.pdf")
    index_dir = copy_index(single[0], tmp_path / "index")
    report = build_index([folder], index_dir, embedder=e5, progress=False)
    assert report.n_documents == 1
    assert [str(e) for e in report.errors] == ["trasig.pdf: not a PDF (no %PDF header)"]


# --------------------------------------------------------------------------
# Rebuilds reuse vectors
# --------------------------------------------------------------------------


def test_unchanged_rebuild_embeds_nothing(
    tmp_path: Path, single: tuple[Path, BuildReport], sources: Path, e5: Embedder
) -> None:
    index_dir, first = copy_index(single[0], tmp_path / "index"), single[1]
    second = build_index([sources / "strategi.pdf"], index_dir, embedder=e5, progress=False)
    assert second.n_chunks == first.n_chunks
    assert second.embedded == 0
    assert second.reused == first.embedded + first.reused  # every vector came from the previous build
    assert second.reused >= second.n_chunks
    # The new build replaced the old one, and it answers the same way.
    assert [p.name for p in (index_dir / "builds").iterdir()] == [second.build_dir.name]
    assert REINDEER in SearchIndex.open(index_dir, e5).search(REINDEER, k=1)[0].chunk.text


def test_adding_a_document_embeds_only_the_new_text(
    tmp_path: Path, single: tuple[Path, BuildReport], sources: Path, e5: Embedder
) -> None:
    index_dir, first = copy_index(single[0], tmp_path / "index"), single[1]
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(sources / "strategi.pdf", folder)
    (folder / "fjall.md").write_text(EXTRA_MD, encoding="utf-8")
    second = build_index([folder], index_dir, embedder=e5, progress=False)
    assert second.n_documents == 2 and second.n_chunks > first.n_chunks
    assert second.reused == first.embedded + first.reused
    assert 0 < second.embedded < first.embedded


# --------------------------------------------------------------------------
# Embedder mismatch
# --------------------------------------------------------------------------


class OtherEmbedder:
    """Stands in for any embedder other than the one an index was built with (never asked to embed)."""

    id = "st:some/other-model"
    dim = 384

    def embed_queries(self, texts):  # pragma: no cover - must not be reached
        raise AssertionError("a mismatched embedder must not be used")

    embed_passages = embed_queries


def test_opening_with_another_embedder_spec_is_refused(built: Path, e5: Embedder) -> None:
    with pytest.raises(EmbedderMismatch) as caught:
        SearchIndex.open(built, "st:some/other-model")
    message = str(caught.value)
    assert e5.id in message  # what the index was built with
    assert "st:some/other-model" in message  # what was asked for
    assert "rus index build --embedder st:some/other-model" in message  # how to fix it


def test_opening_with_another_embedder_object_is_refused(built: Path, e5: Embedder) -> None:
    with pytest.raises(EmbedderMismatch, match="was built with embedder"):
        SearchIndex.open(built, OtherEmbedder())


def test_matching_embedder_spec_is_accepted(built: Path) -> None:
    assert SearchIndex.open(built, "e5").search(REINDEER, k=1)


# --------------------------------------------------------------------------
# Crash safety and damage detection
# --------------------------------------------------------------------------


def _crash(*args, **kwargs):
    raise OSError(28, "No space left on device")


CRASH_POINTS = [
    pytest.param(index.lexical.LexicalIndex, "save", id="while-writing-bm25"),
    pytest.param(index.store, "_fsync_tree", id="after-writing-before-rename"),
    pytest.param(index.store, "_switch_current", id="after-rename-before-switch"),
]


@pytest.mark.parametrize(("target", "name"), CRASH_POINTS)
def test_crashed_build_leaves_the_previous_index_answering(
    tmp_path: Path, built: Path, sources: Path, e5: Embedder, monkeypatch: pytest.MonkeyPatch, target, name
) -> None:
    index_dir = copy_index(built, tmp_path / "index")  # strategi + fjall
    before = current_build(index_dir)
    with monkeypatch.context() as patch:
        patch.setattr(target, name, _crash)
        with pytest.raises(OSError, match="No space left"):
            build_index([sources / "strategi.pdf"], index_dir, embedder=e5, progress=False)
        # The half-written build was left behind on disk ...
        assert len(list((index_dir / "builds").iterdir())) == 2

    # ... but `current` still points at the previous, complete build, which loads and answers.
    assert current_build(index_dir) == before
    previous = SearchIndex.open(index_dir, e5)
    assert doc_ids(previous) == {"strategi", "fjall"}
    assert REINDEER in previous.search(REINDEER, k=1)[0].chunk.text

    # The next build completes and clears the leftovers.
    report = build_index([sources / "strategi.pdf"], index_dir, embedder=e5, progress=False)
    assert [p.name for p in (index_dir / "builds").iterdir()] == [report.build_dir.name]
    assert doc_ids(SearchIndex.open(index_dir, e5)) == {"strategi"}


def _flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "name",
    ["chunks.jsonl", "vectors.npy", "faiss.index", "bm25/vocab.index.json", "bm25/data.csc.index.npy"],
)
def test_a_corrupted_data_file_is_refused(tmp_path: Path, built: Path, e5: Embedder, name: str) -> None:
    index_dir = copy_index(built, tmp_path / "index")
    damaged = current_build(index_dir) / name
    assert damaged.is_file()
    _flip_middle_byte(damaged)  # one bit: the file still parses, only the checksum can tell
    with pytest.raises(IndexDamaged) as caught:
        SearchIndex.open(index_dir, e5)
    assert "damaged" in str(caught.value) and "rus index build" in str(caught.value)


def test_a_truncated_manifest_is_refused(tmp_path: Path, built: Path, e5: Embedder) -> None:
    index_dir = copy_index(built, tmp_path / "index")
    manifest = current_build(index_dir) / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8")[:50], encoding="utf-8")
    with pytest.raises(IndexDamaged, match="manifest"):
        SearchIndex.open(index_dir, e5)


def test_a_damaged_index_is_rebuilt_from_scratch(
    tmp_path: Path, built: Path, sources: Path, e5: Embedder
) -> None:
    index_dir = copy_index(built, tmp_path / "index")
    _flip_middle_byte(current_build(index_dir) / "vectors.npy")
    report = build_index([sources / "strategi.pdf"], index_dir, embedder=e5, progress=False)
    assert report.reused == 0  # nothing is trusted from a damaged build
    assert REINDEER in SearchIndex.open(index_dir, e5).search(REINDEER, k=1)[0].chunk.text


# --------------------------------------------------------------------------
# Search: retrievers, ranking, highlights, filters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("retriever", ["hybrid", "dense", "bm25"])
def test_every_retriever_ranks_the_reindeer_need_first(searcher: SearchIndex, retriever: str) -> None:
    hits = searcher.search(REINDEER, k=5, retriever=retriever)
    assert 1 <= len(hits) <= 5
    if retriever != "bm25":  # bm25 returns only chunks that share a term with the query
        assert len(hits) == 5
    assert_ranked(hits)
    assert (hits[0].chunk.section_id, hits[0].chunk.item) == ("1.1", "Behov 2")
    assert len({h.chunk.chunk_id for h in hits}) == len(hits)


def test_bm25_returns_no_chunk_that_shares_no_term_with_the_query(searcher: SearchIndex) -> None:
    assert searcher.search("zebra xylophone quasar", k=5, retriever="bm25") == []
    assert all(h.score > 0 for h in searcher.search(REINDEER, k=50, retriever="bm25"))


@pytest.mark.parametrize("retriever", ["hybrid", "dense", "bm25"])
def test_highlights_are_spans_of_the_chunk_text(searcher: SearchIndex, retriever: str) -> None:
    hits = searcher.search("bredband i glesbygd", k=8, retriever=retriever)
    for hit in hits:
        assert hit.highlights, hit.chunk.text[:60]
        for start, end in hit.highlights:
            assert 0 <= start < end <= len(hit.chunk.text)
            assert hit.chunk.text[start:end].strip() == hit.chunk.text[start:end]
            assert any(ch.isalpha() for ch in hit.chunk.text[start:end])  # words, not just "1."
    top = hits[0]
    start, end = top.highlights[0]
    assert "bredband" in top.chunk.text[start:end].lower()


@pytest.mark.parametrize("retriever", ["hybrid", "dense", "bm25"])
def test_top_hit_highlights_the_sentence_about_reindeer(searcher: SearchIndex, retriever: str) -> None:
    top = searcher.search(REINDEER, k=1, retriever=retriever)[0]
    start, end = top.highlights[0]
    assert REINDEER in top.chunk.text[start:end]
    assert not top.chunk.text[start:end].startswith("2.")  # the matching sentence, not the need's title


def test_scores_of_each_retriever_are_reported(searcher: SearchIndex) -> None:
    hybrid = searcher.search(REINDEER, k=1, retriever="hybrid")[0]
    assert hybrid.dense_score is not None and hybrid.bm25_score is not None and hybrid.bm25_score > 0
    dense = searcher.search(REINDEER, k=1, retriever="dense")[0]
    assert dense.bm25_score is None and dense.score == pytest.approx(dense.dense_score)
    bm25 = searcher.search(REINDEER, k=1, retriever="bm25")[0]
    assert bm25.dense_score is None and bm25.score == pytest.approx(bm25.bm25_score)


def test_k_limits_the_number_of_hits(searcher: SearchIndex) -> None:
    assert len(searcher.search(REINDEER, k=2)) == 2
    assert searcher.search(REINDEER, k=0) == []
    assert len(searcher.search(REINDEER, k=1000)) == len(searcher.chunks)


def test_unknown_retriever_is_an_error(searcher: SearchIndex) -> None:
    with pytest.raises(ValueError, match="unknown retriever 'fuzzy'"):
        searcher.search(REINDEER, retriever="fuzzy")  # type: ignore[arg-type]


@pytest.mark.parametrize("retriever", ["hybrid", "dense", "bm25"])
def test_section_filter_returns_only_that_section(searcher: SearchIndex, retriever: str) -> None:
    in_section = [c for c in searcher.chunks if c.section_id == "1.2"]
    query = REINDEER if retriever != "bm25" else "digital omställning"
    hits = searcher.search(query, k=50, retriever=retriever, filters=Filters(section="1.2"))
    assert hits and {h.chunk.chunk_id for h in hits} <= {c.chunk_id for c in in_section}
    if retriever != "bm25":  # dense and hybrid rank every allowed chunk
        assert sorted(h.chunk.chunk_id for h in hits) == sorted(c.chunk_id for c in in_section)
    assert_ranked(hits)


@pytest.mark.parametrize("retriever", ["hybrid", "dense", "bm25"])
def test_priority_filter_returns_only_that_priority(searcher: SearchIndex, retriever: str) -> None:
    hits = searcher.search("vägunderhåll och kollektivtrafik", k=50, retriever=retriever,
                           filters=Filters(priority=2))
    assert hits and {h.chunk.priority for h in hits} == {2}
    assert {h.chunk.section_id for h in hits} <= {"P 2", "2.1"}
    assert hits[0].chunk.section_id == "2.1"


def test_document_filter_and_combined_filters(searcher: SearchIndex) -> None:
    only_note = searcher.search("lavinhundar", k=10, filters=Filters(doc="fjall"))
    assert only_note and {h.chunk.doc_id for h in only_note} == {"fjall"}
    assert "lavinhundar" in only_note[0].chunk.text
    both = searcher.search(REINDEER, k=10, filters=Filters(doc="strategi", priority=1, section="1.1"))
    assert both and all((h.chunk.doc_id, h.chunk.priority, h.chunk.section_id) == ("strategi", 1, "1.1")
                        for h in both)


def test_filters_matching_nothing_give_no_hits(searcher: SearchIndex) -> None:
    assert searcher.search(REINDEER, filters=Filters(section="9.9")) == []
    assert searcher.search(REINDEER, filters=Filters(doc="fjall", priority=1)) == []


def test_the_stored_vectors_are_normalised(searcher: SearchIndex) -> None:
    norms = np.linalg.norm(searcher.stored.vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


@pytest.mark.parametrize("rows", [[0, 1, 2, 3, 4], [0, 1, 3, 4], [4, 3, 2, 1, 0], [0, 0, 2, 3, 4], [], [1, 2, 3, 4, 0]])
def test_scoring_reads_the_rows_it_asks_for_whether_or_not_it_copies_them(rows: list[int]) -> None:
    matrix = np.arange(20, dtype=np.float32).reshape(5, 4)
    taken = rows_at(matrix, np.array(rows, dtype=np.int64))
    assert np.array_equal(taken, matrix[rows])
    assert (taken is matrix) == (rows == [0, 1, 2, 3, 4])  # only every row in order is read in place
