"""Shared fixtures: the real corpus and one index of it built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
CORPUS_PDF = SHARED / "corpus" / "rus-vasterbotten-2030.pdf"
CORPUS_TXT = SHARED / "corpus" / "rus-vasterbotten-2030.txt"
DEV_GOLD = SHARED / "eval" / "dev.jsonl"
TRANSLATIONS = REPO_ROOT / "data" / "translations"  # the team's English translation memory of the strategy


@pytest.fixture(scope="session")
def corpus_pdf() -> Path:
    if not CORPUS_PDF.is_file():
        pytest.fail(f"the shared corpus is missing: {CORPUS_PDF}")
    return CORPUS_PDF


@pytest.fixture(scope="session")
def corpus_txt() -> Path:
    return CORPUS_TXT


@pytest.fixture(scope="session")
def dev_gold() -> Path:
    return DEV_GOLD


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, corpus_pdf: Path) -> Path:
    """An index of the shared PDF with the default embedder and the English translation memory, built once for
    the whole session."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("corpus-index")
    build_index([corpus_pdf], index_dir, progress=False, translations=TRANSLATIONS)
    return index_dir


@pytest.fixture(scope="session")
def corpus_search(corpus_index: Path):
    """A SearchIndex over the shared PDF (loads the e5 embedder once)."""
    from index.search import SearchIndex

    return SearchIndex.open(corpus_index)


@pytest.fixture(scope="session")
def plan_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the generated test strategy (tests/pdf_factory.py, reindeer crossings in need 2 of 1.1) with
    two test plans added through the library: the länstransportplan PDF (E12 reindeer passages, kind plan,
    2022) and the numbered kulturplan TXT (kind program). Built once per session; tests copy it to change it."""
    from pdf_factory import strategy_pdf
    from plan_factory import copy_plan_corpus

    from index.build import build_index
    from index.library import add_documents

    sources = tmp_path_factory.mktemp("library-sources")
    plans = copy_plan_corpus(sources / "plans")
    index_dir = tmp_path_factory.mktemp("plan-library") / "index"
    build_index([strategy_pdf(sources / "strategi.pdf")], index_dir, progress=False)
    add_documents(index_dir, [plans / "lanstransportplan.pdf"], kind="plan", year=2022)
    add_documents(index_dir, [plans / "kulturplan.txt"], kind="program")
    return index_dir
