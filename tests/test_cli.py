"""The `rus` command line: build an index, search it, and clear errors when something is wrong."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pdf_factory import not_a_pdf, strategy_pdf

from service.cli import main

RUS = Path(sys.executable).parent / "rus"


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    strategy_pdf(folder / "strategi.pdf")
    return folder


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, docs: Path) -> Path:
    target = tmp_path_factory.mktemp("cli-index")
    assert main(["index", "build", str(docs / "strategi.pdf"), "--index-dir", str(target), "--quiet"]) == 0
    return target


def test_index_build_reports_documents_and_chunks(
    tmp_path: Path, docs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "index"
    code = main(["index", "build", str(docs), "--index-dir", str(target), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    match = re.search(r"indexed 1 document\(s\), (\d+) chunks \((\d+) embedded, (\d+) reused\)", out)
    assert match, out
    assert int(match.group(1)) == 13
    assert int(match.group(2)) > 0 and int(match.group(3)) == 0
    assert str(target) in out
    assert (target / "current").is_symlink()


def test_index_build_reports_skipped_files(
    tmp_path: Path, docs: Path, index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "strategi.pdf").write_bytes((docs / "strategi.pdf").read_bytes())
    not_a_pdf(folder / "trasig.pdf")
    code = main(["index", "build", str(folder), "--index-dir", str(tmp_path / "index"), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "indexed 1 document(s), 13 chunks" in out
    assert "skipped trasig.pdf: not a PDF" in err


def test_search_json_lists_hits_with_citation_fields(
    index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["search", "trygga passager för renar", "-k", "3", "--json", "--index-dir", str(index_dir)])
    out, err = capsys.readouterr()
    assert code == 0, err
    hits = json.loads(out)
    assert isinstance(hits, list) and len(hits) == 3
    for hit in hits:
        assert {"section_id", "heading_path", "page_start", "page_end", "score", "text"} <= set(hit)
        assert isinstance(hit["heading_path"], list) and hit["heading_path"]
        assert hit["page_start"] <= hit["page_end"]
        assert isinstance(hit["score"], float)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    top = hits[0]
    assert "trygga passager för renar" in top["text"]
    assert (top["section_id"], top["page_start"], top["page_end"]) == ("1.1", 4, 4)
    assert top["heading_path"][-1] == "Identifierade behov"


@pytest.mark.parametrize("retriever", ["hybrid", "dense", "bm25"])
def test_search_with_each_retriever_and_a_section_filter(
    index_dir: Path, capsys: pytest.CaptureFixture[str], retriever: str
) -> None:
    code = main(["search", "bredband", "--retriever", retriever, "--section", "1.2", "-k", "10", "--json",
                 "--index-dir", str(index_dir)])
    out, _ = capsys.readouterr()
    assert code == 0
    hits = json.loads(out)
    assert hits and {h["section_id"] for h in hits} == {"1.2"}


def test_search_plain_output_shows_section_path_and_pages(
    index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["search", "trygga passager för renar", "-k", "1", "--index-dir", str(index_dir)])
    out, _ = capsys.readouterr()
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith(" 1. [1.1] Prioritering 1: Testlänet - smart och nytänkande")
    assert "Identifierade behov" in first and "p. 4" in first
    assert "»" in out and "«" in out  # the best-matching sentence is marked
    assert "trygga passager för renar" in out


def test_search_without_an_index_says_how_to_build_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["search", "bredband", "--index-dir", str(tmp_path / "missing")])
    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert "no index in" in err and str(tmp_path / "missing") in err
    assert "rus index build" in err


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], query: str) -> None:
    code = main(["search", query, "--index-dir", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "query is empty" in err


def test_k_below_one_exits_2(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "bredband", "-k", "0", "--index-dir", str(index_dir)]) == 2
    assert "-k must be at least 1" in capsys.readouterr().err


def test_building_from_a_missing_path_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "finns-inte.pdf"
    code = main(["index", "build", str(missing), "--index-dir", str(tmp_path / "index"), "--quiet"])
    _, err = capsys.readouterr()
    assert code != 0
    assert str(missing) in err
    assert not (tmp_path / "index").exists()


def test_building_from_only_unreadable_files_fails_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = not_a_pdf(tmp_path / "trasig.pdf")
    code = main(["index", "build", str(bad), "--index-dir", str(tmp_path / "index"), "--quiet"])
    _, err = capsys.readouterr()
    assert code != 0
    assert "trasig.pdf: not a PDF" in err


def test_searching_with_a_different_embedder_is_refused(
    index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["search", "bredband", "--embedder", "st:some/other-model", "--index-dir", str(index_dir)])
    _, err = capsys.readouterr()
    assert code != 0
    assert "st:some/other-model" in err and "rus index build --embedder" in err


def test_the_installed_rus_script_searches(index_dir: Path) -> None:
    assert RUS.is_file(), f"console script not installed at {RUS}"
    result = subprocess.run(
        [str(RUS), "search", "bredband i glesbygd", "-k", "2", "--json", "--index-dir", str(index_dir)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 2
    assert (hits[0]["section_id"], hits[0]["item"]) == ("1.2", "Behov 1")
    assert "Bygg ut bredband i glesbygd" in hits[0]["text"]
