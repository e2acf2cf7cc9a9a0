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

from service.cli.main import main

RUS = Path(sys.executable).parent / "rus"
REPO = Path(__file__).resolve().parent.parent


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


def test_version_is_the_projects(capsys: pytest.CaptureFixture[str]) -> None:
    """`rus --version` names the version pyproject.toml declares (the installed package's), as /docs does."""
    declared = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"rus {declared}"


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


# --- rus align ------------------------------------------------------------------------------------

BROADBAND = [
    "Bredband till byarna",
    "Byanätsföreningen vill bygga ut bredband i glesbygd till alla hushåll i byarna.",
    "Vi samverkar med privata operatörer om fibern och delar på kostnaderna med grannbyarna.",
]


def test_align_writes_a_word_report_of_a_docx_application(
    tmp_path: Path, index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import docx

    application = tmp_path / "bredband.docx"
    source = docx.Document()
    for line in BROADBAND:
        source.add_paragraph(line)
    source.save(str(application))
    out = tmp_path / "rapport.docx"
    code = main(["align", str(application), "--out", str(out), "--index-dir", str(index_dir)])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert stdout.startswith(f"wrote {out}: main sub-priority 1.2 Digital omställning; needs addressed: Behov 1")
    paragraphs = [(p.style.name, p.text) for p in docx.Document(str(out)).paragraphs]
    texts = [text for _, text in paragraphs]
    assert "Ansökan: bredband.docx" in texts and "Huvudsaklig delprioritering" in texts
    at = texts.index("Huvudsaklig delprioritering")
    assert paragraphs[at + 1] == ("Heading 2", "1.2 Digital omställning")
    assert ("List Bullet", "Behov 1 (s. 5)") in paragraphs
    need = "1. Bygg ut bredband i glesbygd. Det kan handla om stöd till byanät och samverkan med privata operatörer."
    assert f"Strategins text: “{need}”" in texts
    assert f"Stöd i ansökan: “{BROADBAND[1]}”" in texts
    named = ["align", str(application), "--out", str(out), "--name", "Byanätet", "--index-dir", str(index_dir)]
    assert main(named) == 0
    assert "Ansökan: Byanätet" in [p.text for p in docx.Document(str(out)).paragraphs]


def test_align_prints_markdown_and_writes_it_with_out_md(
    tmp_path: Path, index_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    application = tmp_path / "bredband.txt"
    application.write_text("\n".join(BROADBAND), encoding="utf-8")
    assert main(["align", str(application), "--index-dir", str(index_dir)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Avstämning mot den regionala utvecklingsstrategin")
    assert "### 1. 1.2 Digital omställning" in printed
    out = tmp_path / "rapport.md"
    assert main(["align", str(application), "--out", str(out), "--index-dir", str(index_dir)]) == 0
    assert out.read_text(encoding="utf-8") + "\n" == printed


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("ansokan.odt", b"PK\x03\x04", [], "The file type .odt is not supported"),
        ("tom.txt", b"", [], "The file tom.txt is empty"),
        ("binar.txt", b"\x00\x01\x02binary", [], "binar.txt contains binary data"),
        ("trasig.pdf", b"not a pdf at all", [], "trasig.pdf is not what its extension says"),
        ("ansokan.txt", b"Bredband i glesbygd.", ["--out", "rapport.pdf"], "--out must name a .docx or .md"),
        ("ansokan.txt", b"Bredband i glesbygd.", ["--out", "saknas/rapport.docx"], "does not exist"),
        ("ansokan.txt", b"Bredband i glesbygd.", ["-k", "11"], "'k' must be between 1 and 10"),
    ],
)
def test_align_refuses_bad_input_with_the_reason(
    tmp_path: Path, index_dir: Path, capsys: pytest.CaptureFixture[str], name, content, extra, message
) -> None:
    application = tmp_path / name
    application.write_bytes(content)
    extra = [str(tmp_path / value) if value.startswith("rapport") or "/" in value else value for value in extra]
    code = main(["align", str(application), *extra, "--index-dir", str(index_dir)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert sorted(path.name for path in tmp_path.iterdir()) == [name]  # no report written


def test_align_without_a_file_or_an_index_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["align", str(tmp_path / "saknas.pdf"), "--index-dir", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    application = tmp_path / "ansokan.md"
    application.write_text("# Bredband\n\nVi bygger bredband i glesbygd.", encoding="utf-8")
    code = main(["align", str(application), "--index-dir", str(tmp_path / "missing")])
    _, err = capsys.readouterr()
    assert code != 0 and "no index in" in err and "rus index build" in err


def test_bad_settings_and_unwritable_outputs_are_one_line_not_a_traceback(
    index_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUS_MAX_K", "0")
    assert main(["search", "renar", "--index-dir", str(index_dir)]) == 2
    assert capsys.readouterr().err.strip() == "error: invalid setting RUS_MAX_K: Value error, must be at least 1, got 0"
    monkeypatch.delenv("RUS_MAX_K")
    application = tmp_path / "ansokan.txt"
    application.write_text("Vi bygger säkra passager för renar längs vägarna i inlandet.", encoding="utf-8")
    folder = tmp_path / "rapport.md"
    folder.mkdir()  # --out names a folder
    assert main(["align", str(application), "--out", str(folder), "--index-dir", str(index_dir)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {folder}: ") and "Traceback" not in error
    assert main(["search", "renar", "--doc", "no-such-doc", "--index-dir", str(index_dir)]) == 2
    assert "--doc: no document 'no-such-doc'" in capsys.readouterr().err
