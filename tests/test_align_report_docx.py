"""The Word alignment report (service/answering/word_report.py): the application's name, what a Word document may hold,
and that LibreOffice opens the file and shows the main sub-priority and its needs.

The API, UI and CLI tests read the report back with python-docx; the LibreOffice check below runs only where
`soffice` is installed (`make libreoffice`, Debian's libreoffice-writer-nogui: about 86 MB to download, 250 MB
installed, so `make test` does not install it) and skips loudly elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader

from ingest.word import clean
from service.answering.word_report import application_name, require_name, word_report
from service.errors import InputTooLong, InvalidInput

SOFFICE = shutil.which("soffice")
APPLICATION = (
    "Byanätsföreningen i vår kommun har ett fibernät från början av 2000-talet som börjar bli uttjänt, och flera "
    "fäbodar och turistanläggningar utanför byarna saknar helt uppkoppling. Vi vill förnya nätet, bygga ut till "
    "områden utan täckning och samordna utbyggnaden med grannbyarna för att dela på kostnaderna."
)


def test_the_name_is_the_one_given_else_a_title_line_else_the_opening_words():
    assert application_name(APPLICATION, "ansokan-fiber.pdf", "sv") == "ansokan-fiber.pdf"
    assert application_name("Fiber till fäbodarna\n\n" + APPLICATION, None, "sv") == "Fiber till fäbodarna"
    assert application_name(APPLICATION, None, "sv") == (
        "Inklistrad text som börjar ”Byanätsföreningen i vår kommun har ett fibernät från början…”"
    )
    assert application_name("We build chargers.", "  ", "en") == "Pasted text beginning “We build chargers.”"
    assert application_name("We build chargers.", "\ufffe", "en").startswith("Pasted text")  # nothing left to show
    assert len(application_name(APPLICATION, "n" * 500, "sv")) == 200


def test_a_requested_name_is_checked_like_any_text_field():
    assert require_name(None) is None and require_name(" \n ") is None
    assert require_name(" Byanätet ") == "Byanätet"
    with pytest.raises(InvalidInput) as caught:
        require_name("By\x00anätet")
    assert caught.value.field == "name"
    with pytest.raises(InputTooLong):
        require_name("n" * 201)


def test_text_is_made_fit_for_a_word_document():
    assert clean(" ett\x0cord\ufffe och\x01 ett\n\tannat ") == "ett ord och ett annat"


@pytest.fixture(scope="session")  # session-scoped like corpus_index, so it is asked first and skips before the build
def soffice() -> str:
    """LibreOffice's command, or a loud skip."""
    if SOFFICE is None:
        message = (
            "LIBREOFFICE CHECK SKIPPED: soffice is not installed. Run `make libreoffice` (Debian's "
            "libreoffice-writer-nogui) to check that the Word report opens in a word processor."
        )
        warnings.warn(message, stacklevel=1)
        print(f"\n{'!' * 100}\n{message}\n{'!' * 100}", file=sys.stderr)
        pytest.skip(message)
    return SOFFICE


@pytest.mark.slow
def test_libreoffice_opens_the_report_and_shows_the_main_subpriority(soffice: str, corpus_index: Path, tmp_path: Path):
    from service.answering import matching
    from service.settings import Settings
    from service.state import Corpus

    corpus = Corpus.open(corpus_index)
    settings = Settings(index_dir=corpus_index)
    report = word_report(corpus, APPLICATION, None, "Fiber till fäbodarna", settings)
    main = matching.align(corpus, APPLICATION, None, settings).subpriorities[0]
    source = tmp_path / report.filename
    source.write_bytes(report.content)
    done = subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",  # its own profile: no shared lock
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = source.with_suffix(".pdf")
    assert done.returncode == 0 and converted.is_file(), done.stdout + done.stderr
    text = " ".join(" ".join(page.extract_text() or "" for page in PdfReader(converted).pages).split())
    assert "Ansökan: Fiber till fäbodarna" in text and "Huvudsaklig delprioritering" in text
    assert f"Huvudsaklig delprioritering {main.subpriority.title}" in text
    for need in main.needs:
        if need.status == "addressed":
            assert f"{need.item} (s. " in text
    assert "Inriktningar" in text and "underlag för handläggarens bedömning" in text
