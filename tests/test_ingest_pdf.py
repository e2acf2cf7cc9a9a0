"""Reading PDFs: every section found on the right page with its heading path, and clean text.

The expectations for the real strategy are derived from the PDF itself: its bookmarks (read with
pypdf directly, not through ingest) give each heading's page, and heading detection (no outline)
must reproduce them from the layout alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pdf_factory import (
    BOOKMARK_PRIO,
    BOOKMARK_SUB,
    EXPECTED_SECTIONS,
    NEEDS_31_HEADING_PATH,
    STRATEGY_TITLE,
    SUBPRIORITY_IDS,
    empty_file,
    encrypted_pdf,
    image_only_pdf,
    not_a_pdf,
    read_bookmarks,
    strategy_pdf,
    truncated_pdf,
)
from pypdf import PdfReader

from ingest.errors import IngestError
from ingest.load import load_document, load_documents
from ingest.models import Document, Section

RUNNING_HEADER = "Regional utvecklingsstrategi 2020–2030"
PAGE_FOOTER = re.compile(r"Sida \d+ av \d+")
# A line-end hyphen kept before a following word that is not a conjunction ("utveck- lingen").
BROKEN_WORD = re.compile(r"\b[a-zåäö]{2,}- (?!och\b|eller\b|samt\b|respektive\b|som\b|till\b)[a-zåäö]")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def heading_sections(document: Document) -> list[Section]:
    """Sections opened by a heading of their own (not the challenges/actors parts of a sub-priority)."""
    return [s for s in document.sections if s.heading_page is not None]


def subpriority_heading(document: Document, section_id: str) -> Section:
    matches = [
        s
        for s in document.sections
        if s.kind == "subpriority"
        and s.section_id == section_id
        and s.heading_path[-1].startswith("Delprioritering")
    ]
    assert len(matches) == 1, f"expected one 'Delprioritering {section_id}' section, found {len(matches)}"
    return matches[0]


def all_text(document: Document) -> str:
    return "\n".join(" / ".join(s.heading_path) + "\n" + s.text for s in document.sections)


# --------------------------------------------------------------------------
# The real strategy (93 pages, with bookmarks, running header and page numbers)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bookmarks(corpus_pdf: Path) -> list[tuple[str, int]]:
    return read_bookmarks(corpus_pdf)


@pytest.fixture(scope="module")
def subpriority_pages(bookmarks: list[tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """Sub-priority id -> (bookmark title, page)."""
    return {m.group(1): (title, page) for title, page in bookmarks if (m := BOOKMARK_SUB.match(title))}


@pytest.fixture(scope="module")
def needs_pages(bookmarks: list[tuple[str, int]]) -> dict[str, int]:
    """Sub-priority id -> page of its "Identifierade behov" bookmark (the next one after it)."""
    pages: dict[str, int] = {}
    current: str | None = None
    for title, page in bookmarks:
        if m := BOOKMARK_SUB.match(title):
            current = m.group(1)
        elif title == "Identifierade behov" and current and current not in pages:
            pages[current] = page
    return pages


@pytest.fixture(scope="module", params=[True, False], ids=["outline", "detected"])
def use_outline(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture(scope="module")
def corpus_doc(corpus_pdf: Path, use_outline: bool) -> Document:
    """The strategy ingested once from its bookmarks and once by heading detection alone."""
    return load_document(corpus_pdf, use_outline=use_outline)


def test_the_strategy_bookmarks_list_all_20_subpriorities(subpriority_pages: dict) -> None:
    # Guards the expectations below: they come from the PDF, so they must cover every sub-priority.
    assert list(subpriority_pages) == SUBPRIORITY_IDS


def test_headings_come_from_the_outline_or_from_detection(
    corpus_pdf: Path, corpus_doc: Document, use_outline: bool
) -> None:
    assert corpus_doc.headings_from == ("outline" if use_outline else "detected")
    assert corpus_doc.n_pages == len(PdfReader(corpus_pdf).pages) == 93
    assert corpus_doc.title == "Regional utvecklingsstrategi för Västerbotten 2020–2030"


def test_every_subpriority_is_found_on_its_bookmarked_page(
    corpus_doc: Document, subpriority_pages: dict
) -> None:
    found = {}
    for section_id in SUBPRIORITY_IDS:
        section = subpriority_heading(corpus_doc, section_id)
        found[section_id] = (section.heading_path[-1], section.page_start)
    assert found == subpriority_pages


def test_every_subpriority_sits_under_its_priority(corpus_doc: Document, bookmarks: list) -> None:
    priorities = {int(m.group(1)): title for title, _ in bookmarks if (m := BOOKMARK_PRIO.match(title))}
    assert sorted(priorities) == [1, 2, 3, 4, 5, 6]
    for section_id in SUBPRIORITY_IDS:
        section = subpriority_heading(corpus_doc, section_id)
        number = int(section_id.split(".")[0])
        assert section.priority == number
        assert section.heading_path[0] == priorities[number], section_id


def test_every_priority_is_found_on_its_bookmarked_page(corpus_doc: Document, bookmarks: list) -> None:
    expected = {
        f"P {m.group(1)}": (title, page) for title, page in bookmarks if (m := BOOKMARK_PRIO.match(title))
    }
    found = {
        s.section_id: (s.heading_path[-1], s.page_start) for s in corpus_doc.sections if s.kind == "priority"
    }
    assert found == expected


def test_identified_needs_start_on_their_bookmarked_page(corpus_doc: Document, needs_pages: dict) -> None:
    assert list(needs_pages) == SUBPRIORITY_IDS
    found = {s.section_id: s.page_start for s in corpus_doc.sections if s.kind == "needs"}
    assert found == needs_pages


def test_needs_heading_path_names_priority_subpriority_and_needs(corpus_doc: Document) -> None:
    needs_31 = [s for s in corpus_doc.sections if s.section_id == "3.1" and s.kind == "needs"]
    assert [s.heading_path for s in needs_31] == [NEEDS_31_HEADING_PATH]
    assert "trygga passager för renar" in needs_31[0].text


def test_running_header_and_page_numbers_are_in_the_pdf(corpus_pdf: Path) -> None:
    # Guards the next test: the artefacts really are there to be removed.
    pages = [page.extract_text() for page in PdfReader(corpus_pdf).pages]
    assert sum(RUNNING_HEADER in text for text in pages) >= 90
    assert sum(f"Sida {n} av 93" in text for n, text in enumerate(pages, 1)) == 93


def test_no_running_header_or_page_number_in_any_section(corpus_doc: Document) -> None:
    for section in corpus_doc.sections:
        for text in (section.text, *section.heading_path):
            assert RUNNING_HEADER not in text, section.heading_path
            assert not PAGE_FOOTER.search(text), section.heading_path


def test_photo_captions_and_placeholders_are_gone(corpus_doc: Document) -> None:
    text = all_text(corpus_doc)
    assert "Foto:" not in text
    # The second line of a caption goes with it ...
    for caption_tail in ("Nybyggnation i Skellefteå", "Laboration vid Norrlands universitetssjukhus",
                         "Yrkesmöjligheter inom tech", "Hälsorummet i Bastuträsk"):
        assert caption_tail not in text
    # ... and so do layout placeholders like "<här kommer infografik med data ...>".
    assert "<här kommer" not in text
    assert "infografik med data" not in text


def test_compounds_broken_at_line_end_keep_their_hyphen(corpus_doc: Document) -> None:
    needs_31 = next(s for s in corpus_doc.sections if s.section_id == "3.1" and s.kind == "needs")
    # "klimat-" / "och miljöförändringar" and "EU-" / "nivå" are broken across lines in the PDF.
    assert "beredskap för klimat- och miljöförändringar" in needs_31.text
    assert "nationell och EU-nivå" in needs_31.text
    text = all_text(corpus_doc)
    assert "LEADER-områden" in text
    assert "klimatoch" not in text and "klimat-och" not in text
    assert "EU- nivå" not in text and "EUnivå" not in text


def test_no_word_is_left_split_by_a_line_end_hyphen(corpus_doc: Document) -> None:
    # The overview table on page 17 is extracted column-interleaved; the strategy's prose is what matters.
    prose = "\n".join(s.text for s in corpus_doc.sections if s.priority is not None)
    assert BROKEN_WORD.findall(prose) == []


# --------------------------------------------------------------------------
# A generated 6-page strategy (tests/pdf_factory.py)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outline", "use_outline", "headings_from"),
    [(True, True, "outline"), (True, False, "detected"), (False, True, "detected")],
    ids=["bookmarks", "bookmarks-ignored", "no-bookmarks"],
)
def test_generated_strategy_sections_and_pages(
    tmp_path: Path, outline: bool, use_outline: bool, headings_from: str
) -> None:
    document = load_document(strategy_pdf(tmp_path, outline=outline), use_outline=use_outline)
    assert document.headings_from == headings_from
    assert document.title == STRATEGY_TITLE
    found = [(s.heading_path[-1], s.page_start, len(s.heading_path)) for s in heading_sections(document)]
    assert found == [(s.title, s.page, s.level) for s in EXPECTED_SECTIONS]


@pytest.mark.parametrize("outline", [True, False], ids=["bookmarks", "no-bookmarks"])
def test_generated_strategy_text_lands_in_the_right_section(tmp_path: Path, outline: bool) -> None:
    document = load_document(strategy_pdf(tmp_path, outline=outline))
    by_key = {(s.section_id, s.kind): s.text for s in document.sections}
    # The goal belongs to the sub-priority, the numbered needs to its "Identifierade behov".
    assert by_key[("1.2", "subpriority")].startswith("Målet för delprioriteringen")
    assert "Bygg ut bredband" not in by_key[("1.2", "subpriority")]
    assert by_key[("1.2", "needs")].startswith("1. Bygg ut bredband i glesbygd.")
    assert "trygga passager för renar" in by_key[("1.1", "needs")]
    assert by_key[("1.1", "challenges")].startswith("Utmaningar för att stärka strukturer:")
    assert by_key[("2.1", "needs")].startswith("1. Förbättra vägunderhållet.")


@pytest.mark.parametrize("outline", [True, False], ids=["bookmarks", "no-bookmarks"])
def test_generated_strategy_drops_header_footer_caption_and_placeholder(
    tmp_path: Path, outline: bool
) -> None:
    pdf = strategy_pdf(tmp_path, outline=outline)
    raw = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert RUNNING_HEADER in raw and "Sida 3 av 6" in raw and "Foto: Anna Andersson" in raw
    text = all_text(load_document(pdf))
    assert RUNNING_HEADER not in text
    assert not PAGE_FOOTER.search(text)
    assert "Foto" not in text and "Anna Andersson" not in text
    assert "<här kommer" not in text and "infografik" not in text


@pytest.mark.parametrize("outline", [True, False], ids=["bookmarks", "no-bookmarks"])
def test_generated_strategy_joins_the_wrapped_subpriority_heading(tmp_path: Path, outline: bool) -> None:
    document = load_document(strategy_pdf(tmp_path, outline=outline))
    section = subpriority_heading(document, "1.1")
    assert section.heading_path == [
        "Prioritering 1: Testlänet - smart och nytänkande",
        "Delprioritering 1.1 Starka strukturer för en smart plats",
    ]
    # The heading's second line ("smart plats") does not leak into the body text.
    assert section.text.startswith("Målet för delprioriteringen")


def test_generated_strategy_hyphenation(tmp_path: Path) -> None:
    intro = load_document(strategy_pdf(tmp_path)).sections[0]
    assert intro.section_id == "Inledning"
    assert "riktningen för utvecklingen i hela länet" in intro.text  # "utveck-" + "lingen"
    assert "hantera klimat- och miljöförändringar" in intro.text  # "klimat-" + "och"
    assert "regionala medel och EU-medel används" in intro.text  # "EU-" + "medel"
    assert not BROKEN_WORD.search(intro.text)


def test_generated_strategy_without_header_or_footer_reads_the_same(tmp_path: Path) -> None:
    plain = load_document(strategy_pdf(tmp_path / "plain.pdf", header=None, footer=False))
    dressed = load_document(strategy_pdf(tmp_path / "dressed.pdf"))
    assert [(s.heading_path, s.page_start, s.text) for s in plain.sections] == [
        (s.heading_path, s.page_start, s.text) for s in dressed.sections
    ]


# --------------------------------------------------------------------------
# Files that cannot be read
# --------------------------------------------------------------------------

BAD_FILES = [
    pytest.param(lambda d: encrypted_pdf(d / "krypterad.pdf"), "encrypted with a password", id="encrypted"),
    pytest.param(lambda d: image_only_pdf(d / "skannad.pdf"), "no text layer", id="image-only"),
    pytest.param(lambda d: empty_file(d / "tom.pdf"), "the file is empty", id="empty"),
    pytest.param(lambda d: not_a_pdf(d / "text.pdf"), "not a PDF", id="text-not-pdf"),
    pytest.param(lambda d: not_a_pdf(d / "png.pdf", kind="png"), "not a PDF", id="png-not-pdf"),
    pytest.param(lambda d: truncated_pdf(d / "avklippt.pdf"), "damaged or unreadable", id="truncated"),
]


@pytest.mark.parametrize(("make", "reason"), BAD_FILES)
def test_unreadable_file_raises_ingest_error_naming_file_and_reason(
    tmp_path: Path, make, reason: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(IngestError) as caught:
        load_document(path)
    message = str(caught.value)
    assert message.startswith(f"{path.name}: ")
    assert reason in message
    assert caught.value.path == path


def test_image_only_error_suggests_ocr(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="OCR"):
        load_document(image_only_pdf(tmp_path))


def test_missing_and_unsupported_files_are_ingest_errors(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"saknas\.pdf: no such file"):
        load_document(tmp_path / "saknas.pdf")
    docx = tmp_path / "rapport.docx"
    docx.write_bytes(b"PK\x03\x04")  # a broken Word file: read as DOCX, refused with the reason
    with pytest.raises(IngestError, match=r"rapport\.docx: not a readable Word document"):
        load_document(docx)
    sheet = tmp_path / "budget.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    with pytest.raises(IngestError, match=r"budget\.xlsx: unsupported file type \.xlsx"):
        load_document(sheet)


def test_folder_with_good_and_bad_files_ingests_the_good_and_reports_the_bad(tmp_path: Path) -> None:
    folder = tmp_path / "inkorg"
    folder.mkdir()
    good = strategy_pdf(folder / "strategi.pdf")
    (folder / "anteckningar.md").write_text(
        "# Anteckningar\n\nEn kort anteckning om uppföljningen av strategin i länet.\n", encoding="utf-8"
    )
    bad = {make.values[0](folder).name for make in BAD_FILES}
    (folder / "bild.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # not a supported type: not picked up at all

    documents, errors = load_documents([folder])

    assert sorted(d.doc_id for d in documents) == ["anteckningar", "strategi"]
    assert next(d for d in documents if d.doc_id == "strategi").source == str(good)
    assert sorted(e.path.name for e in errors) == sorted(bad)
    assert all(str(e).startswith(f"{e.path.name}: ") and e.reason for e in errors)


def test_same_file_name_in_two_folders_gets_distinct_doc_ids(tmp_path: Path) -> None:
    first = strategy_pdf(tmp_path / "a" / "strategi.pdf")
    second = strategy_pdf(tmp_path / "b" / "strategi.pdf")
    documents, errors = load_documents([first, second])
    assert errors == []
    assert [d.doc_id for d in documents] == ["strategi", "strategi-2"]
