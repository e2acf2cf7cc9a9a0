"""The document library: `rus docs add|list|remove` over an index of a strategy plus plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pdf_factory import strategy_pdf
from plan_factory import CORPUS_DIR, copy_plan_corpus

from index.build import build_index, library_documents
from index.embedders import Embedder, get_embedder
from index.hits import Filters
from index.library import LibraryError, add_documents, list_documents, remove_document
from index.search import SearchIndex
from index.store import current_build, load_build
from ingest.chunking import chunk_document
from ingest.load import DOC_ID_MAX_CHARS, load_document
from service.cli.main import main

REINDEER_QUERY = "säkra passager för renar längs E12"


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return get_embedder("e5")


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_plan_corpus(tmp_path_factory.mktemp("plans"))


@pytest.fixture(scope="module")
def strategy_index(tmp_path_factory: pytest.TempPathFactory, e5: Embedder) -> Path:
    """An index of the generated strategy alone (never modified; tests copy it)."""
    index_dir = tmp_path_factory.mktemp("strategy") / "index"
    build_index([strategy_pdf(tmp_path_factory.mktemp("src") / "strategi.pdf")], index_dir, embedder=e5,
                progress=False)
    return index_dir


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, strategy_index: Path, plans: Path, e5: Embedder):
    """The strategy index with the four plans added through the library; (index dir, change)."""
    index_dir = tmp_path_factory.mktemp("library") / "index"
    shutil.copytree(strategy_index, index_dir, symlinks=True)
    change = add_documents(index_dir, [plans / "lanstransportplan.pdf", plans / "kulturplan.txt"], kind="plan",
                           year=2022, embedder=e5)
    add_documents(index_dir, [plans / "livsmedelsstrategi.docx"], title="Livsmedelsstrategin", kind="program",
                  embedder=e5)
    add_documents(index_dir, [plans / "innovationsstrategi.html"], embedder=e5)
    return index_dir, change


def copy(index_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(index_dir, tmp_path / "index", symlinks=True))


def test_added_documents_are_listed_with_their_metadata(library: tuple, plans: Path) -> None:
    index_dir, _ = library
    entries = {e["doc_id"]: e for e in list_documents(index_dir)}
    assert list(entries) == ["strategi", "lanstransportplan", "kulturplan", "livsmedelsstrategi",
                             "innovationsstrategi"]
    transport = entries["lanstransportplan"]
    assert (transport["kind"], transport["year"], transport["n_pages"], transport["original_name"]) == (
        "plan", 2022, 3, "lanstransportplan.pdf")
    assert transport["title"] == "Länstransportplan för Testlänet 2022–2033"
    assert entries["livsmedelsstrategi"]["title"] == "Livsmedelsstrategin"  # --title wins over the metadata
    assert entries["livsmedelsstrategi"]["kind"] == "program"
    assert entries["strategi"]["kind"] == "strategi" and entries["innovationsstrategi"]["kind"] == "plan"
    stored = load_build(index_dir)
    for doc_id, entry in entries.items():
        assert entry["n_chunks"] == sum(c.doc_id == doc_id for c in stored.chunks) > 0
        kept = current_build(index_dir) / entry["file"]  # the original file is kept in the build
        assert kept.name == doc_id + Path(entry["original_name"]).suffix
        if doc_id != "strategi":
            assert kept.read_bytes() == (plans / entry["original_name"]).read_bytes()


def test_adding_embeds_only_the_new_text_and_keeps_the_strategy_chunks(
    library: tuple, strategy_index: Path
) -> None:
    index_dir, change = library
    before = load_build(strategy_index)
    after = load_build(index_dir)
    strategy_after = [c.chunk_id for c in after.chunks if c.doc_id == "strategi"]
    assert strategy_after == [c.chunk_id for c in before.chunks]
    new = {i for i, c in enumerate(after.chunks) if c.doc_id in change.doc_ids}
    new_sentences = sum(int(row[0]) in new for row in after.sentence_spans)
    assert change.build.embedded == len(new) + new_sentences  # only the added documents' text was embedded
    assert change.build.reused == len(before.chunks) + len(before.sentence_spans)


def test_a_plan_is_found_by_search_and_cited_with_its_own_section(library: tuple, e5: Embedder) -> None:
    index_dir, _ = library
    hits = SearchIndex.open(index_dir, e5).search(REINDEER_QUERY, k=3)
    top = hits[0].chunk
    assert (top.doc_id, top.section_id) == ("lanstransportplan", "lanstransportplan#3.1.1")
    assert top.heading_path[:2] == ("3. Prioriterade åtgärder", "3.1 Trafiksäkerhet på E12")
    strategy_only = SearchIndex.open(index_dir, e5).search(REINDEER_QUERY, k=5, filters=Filters(doc="strategi"))
    assert strategy_only and {h.chunk.doc_id for h in strategy_only} == {"strategi"}


def test_a_removed_document_is_no_longer_found(library: tuple, tmp_path: Path, e5: Embedder) -> None:
    index_dir = copy(library[0], tmp_path)
    change = remove_document(index_dir, "lanstransportplan", embedder=e5)
    assert change.build.embedded == 0  # everything left was embedded before
    assert "lanstransportplan" not in {e["doc_id"] for e in list_documents(index_dir)}
    hits = SearchIndex.open(index_dir, e5).search(REINDEER_QUERY, k=10)
    assert hits and all(h.chunk.doc_id != "lanstransportplan" for h in hits)
    assert not any((current_build(index_dir) / "files").glob("lanstransportplan.*"))


def test_bad_requests_change_nothing_and_say_why(library: tuple, plans: Path, tmp_path: Path, e5: Embedder) -> None:
    index_dir = copy(library[0], tmp_path)
    build = current_build(index_dir)
    sheet = tmp_path / "budget.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    cases = [
        (lambda: remove_document(index_dir, "finns-inte", embedder=e5), r"no document 'finns-inte'.*kulturplan"),
        (lambda: remove_document(index_dir, "strategi", embedder=e5), r"'strategi' is the index's only strategy"),
        (lambda: add_documents(index_dir, [sheet], embedder=e5), r"unsupported file type \.xlsx"),
        (lambda: add_documents(index_dir, [plans / "kulturplan.txt"], embedder=e5),
         r"already in the library as 'kulturplan'"),
        (lambda: add_documents(index_dir, [plans / "kulturplan.txt"], kind="roman", embedder=e5), r"unknown kind"),
        (lambda: add_documents(index_dir, [plans / "kulturplan.txt"], year=30, embedder=e5), r"year 30"),
        (lambda: add_documents(index_dir, [tmp_path / "saknas.pdf"], embedder=e5), r"saknas\.pdf: no such file"),
        (lambda: add_documents(index_dir, [plans / "kulturplan.txt", sheet], title="T", embedder=e5),
         r"exactly one file"),
    ]
    for call, message in cases:
        with pytest.raises(LibraryError, match=message):
            call()
    assert current_build(index_dir) == build


def test_a_file_with_a_very_long_name_gets_a_short_id(
    library: tuple, plans: Path, tmp_path: Path, e5: Embedder
) -> None:
    """The id names files beside the index (its translation memories, the kept original): a 250-character file
    name gives an id of at most DOC_ID_MAX_CHARS, cut at a word, and the document is added and searchable."""
    index_dir = copy(library[0], tmp_path)
    long_name = tmp_path / (("kulturplan-for-testlanet-" * 10)[:246] + ".txt")
    long_name.write_text("Ny version.\n" + (plans / "kulturplan.txt").read_text(encoding="utf-8"), encoding="utf-8")
    change = add_documents(index_dir, [long_name], embedder=e5)
    (doc_id,) = change.doc_ids
    assert len(doc_id) <= DOC_ID_MAX_CHARS and doc_id.startswith("kulturplan-for-testlanet-kulturplan")
    assert not doc_id.endswith("-") and doc_id.split("-")[-1] in "kulturplan-for-testlanet".split("-")
    assert doc_id in {e["doc_id"] for e in list_documents(index_dir)}


def test_cli_add_list_remove(library: tuple, plans: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    index_dir = copy(library[0], tmp_path)
    assert main(["docs", "remove", "kulturplan", "--index-dir", str(index_dir)]) == 0
    assert "removed kulturplan" in capsys.readouterr().out
    agenda = tmp_path / "digital-agenda.md"
    agenda.write_text("# Digital agenda för Testlänet\n\nTestdokument – fiktiv agenda om fiber till alla byar.\n",
                      encoding="utf-8")
    code = main(["docs", "add", str(agenda), "--kind", "agenda", "--year", "2023", "--quiet",
                 "--index-dir", str(index_dir)])
    assert code == 0 and "added digital-agenda" in capsys.readouterr().out
    assert main(["docs", "list", "--json", "--index-dir", str(index_dir)]) == 0
    listed = {e["doc_id"]: e for e in json.loads(capsys.readouterr().out)}
    assert "kulturplan" not in listed
    assert (listed["digital-agenda"]["kind"], listed["digital-agenda"]["year"]) == ("agenda", 2023)
    assert main(["docs", "list", "--index-dir", str(index_dir)]) == 0
    assert "Digital agenda för Testlänet" in capsys.readouterr().out
    # bad input: a message and a non-zero exit, never a traceback
    assert main(["docs", "remove", "kulturplan", "--index-dir", str(index_dir)]) == 1
    assert "error: no document 'kulturplan'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["docs", "add", str(agenda), "--year", "tjugo", "--index-dir", str(index_dir)])
    assert exit_info.value.code == 2 and "not a four-digit year" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["docs", "add", str(agenda), "--kind", "roman", "--index-dir", str(index_dir)])
    assert "invalid choice: 'roman'" in capsys.readouterr().err


def strategy_source(index_dir: Path) -> Path:
    return Path(next(e["source"] for e in list_documents(index_dir) if e["doc_id"] == "strategi"))


def test_a_rebuild_keeps_the_documents_added_to_the_library(
    library: tuple, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # `make run` rebuilds from the corpus at every start: the plans an officer added must survive it
    index_dir = copy(library[0], tmp_path)
    before = {e["doc_id"]: e for e in list_documents(index_dir)}
    code = main(["index", "build", str(strategy_source(index_dir)), "--quiet", "--index-dir", str(index_dir)])
    out = capsys.readouterr().out
    assert code == 0 and "kept 4 document(s) added to the library" in out and "lanstransportplan" in out
    after = {e["doc_id"]: e for e in list_documents(index_dir)}
    assert list(after) == list(before)
    for doc_id in ("lanstransportplan", "livsmedelsstrategi"):
        fields = ("title", "kind", "year", "n_chunks", "original_name", "added")
        assert {f: after[doc_id][f] for f in fields} == {f: before[doc_id][f] for f in fields}
    assert after["strategi"]["added"] == "build" and after["kulturplan"]["added"] == "library"
    hits = SearchIndex.open(index_dir).search(REINDEER_QUERY, k=3)
    assert hits[0].chunk.doc_id == "lanstransportplan"


def test_a_rebuild_keeps_the_library_of_an_index_built_before_builds_recorded_how_documents_came(
    library: tuple, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    index_dir = copy(library[0], tmp_path)
    manifest_file = current_build(index_dir) / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    for entry in manifest["documents"]:
        del entry["added"]  # as builds before the field wrote it
    manifest_file.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    code = main(["index", "build", str(strategy_source(index_dir)), "--quiet", "--index-dir", str(index_dir)])
    assert code == 0 and "kept 4 document(s) added to the library" in capsys.readouterr().out
    after = {e["doc_id"]: e["added"] for e in list_documents(index_dir)}
    assert after == {"strategi": "build", "lanstransportplan": "library", "kulturplan": "library",
                     "livsmedelsstrategi": "library", "innovationsstrategi": "library"}  # the strategy once


def test_a_rebuild_over_a_damaged_build_does_not_drop_the_library_silently(
    library: tuple, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Damaged stored documents: the library's documents are read again from their kept files. A damaged
    manifest (which documents the library holds is unknown): the build refuses and says how to go on without
    them; before, it exited 0 and the plans and their kept files were gone."""
    index_dir = copy(library[0], tmp_path)
    source = strategy_source(index_dir)
    (current_build(index_dir) / "documents.json").write_text("{ cut short", encoding="utf-8")
    assert main(["index", "build", str(source), "--quiet", "--index-dir", str(index_dir)]) == 0
    assert "kept 4 document(s) added to the library" in capsys.readouterr().out
    manifest = current_build(index_dir) / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8")[:200], encoding="utf-8")
    damaged = current_build(index_dir)
    assert main(["index", "build", str(source), "--quiet", "--index-dir", str(index_dir)]) == 1
    assert "--drop-library" in capsys.readouterr().err
    assert current_build(index_dir) == damaged and (damaged / "files").is_dir()  # nothing was replaced


def test_a_rebuild_can_leave_the_library_out(library: tuple, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    index_dir = copy(library[0], tmp_path)
    command = ["index", "build", str(strategy_source(index_dir)), "--drop-library", "--quiet"]
    assert main([*command, "--index-dir", str(index_dir)]) == 0
    assert "kept" not in capsys.readouterr().out
    assert [e["doc_id"] for e in list_documents(index_dir)] == ["strategi"]


def test_a_library_document_whose_kept_file_is_gone_is_reported(
    library: tuple, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    index_dir = copy(library[0], tmp_path)
    next((current_build(index_dir) / "files").glob("kulturplan.*")).unlink()
    assert main(["index", "build", str(strategy_source(index_dir)), "--quiet", "--index-dir", str(index_dir)]) == 0
    captured = capsys.readouterr()
    assert "skipped kulturplan.txt: added to the library, but its kept file is missing" in captured.err
    assert "kept 3 document(s)" in captured.out
    assert "kulturplan" not in {e["doc_id"] for e in list_documents(index_dir)}


def test_library_documents_are_read_again_from_their_kept_files_when_ingest_changed(library: tuple) -> None:
    index_dir = library[0]
    stored, metadata, files, errors = library_documents(index_dir, "the ingest code changed")
    assert not errors and [d.doc_id for d in stored] == [
        "lanstransportplan", "kulturplan", "livsmedelsstrategi", "innovationsstrategi"]
    again = {d.doc_id: d for d in stored}
    assert again["livsmedelsstrategi"].title == "Livsmedelsstrategin"  # the title given when it was added
    assert again["lanstransportplan"].sections[0].section_id.startswith("lanstransportplan#")
    assert metadata["lanstransportplan"]["year"] == 2022 and files["kulturplan"].parent.name == "files"


def test_the_strategys_chunk_ids_are_unchanged(corpus_pdf: Path) -> None:
    """The shared strategy PDF ingests to the chunks it had before plans were supported (ids recorded then), less
    the reference URLs printed on lines of their own (dropped as link-only lines since 2026-11-29) and its numbered
    footnotes (dropped since 2026-11-30)."""
    expected = (CORPUS_DIR / "rus_chunk_ids.txt").read_text(encoding="utf-8").split()
    chunks = chunk_document(load_document(corpus_pdf))
    assert [c.chunk_id for c in chunks] == expected
    assert all("#" not in c.section_id for c in chunks)
