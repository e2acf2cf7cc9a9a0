"""Reading plain text and Markdown: headings found from the text alone, export debris dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_factory import BOOKMARK_SUB, NEEDS_31_HEADING_PATH, SUBPRIORITY_IDS, read_bookmarks

from ingest.chunking import chunk_document
from ingest.errors import IngestError
from ingest.load import load_document
from ingest.models import Document


@pytest.fixture(scope="module")
def text_doc(corpus_txt: Path) -> Document:
    return load_document(corpus_txt)


@pytest.fixture(scope="module")
def bookmark_titles(corpus_pdf: Path) -> dict[str, str]:
    """Sub-priority id -> its title as bookmarked in the PDF version of the same document."""
    return {m.group(1): title for title, _ in read_bookmarks(corpus_pdf) if (m := BOOKMARK_SUB.match(title))}


def subpriority_headings(document: Document) -> list[tuple[str, str]]:
    """(section id, heading) of the sections opened by a "Delprioritering N.N" heading, in order."""
    return [
        (s.section_id, s.heading_path[-1])
        for s in document.sections
        if s.kind == "subpriority" and s.heading_path[-1].startswith("Delprioritering")
    ]


def test_text_corpus_headings_are_detected(text_doc: Document, corpus_txt: Path) -> None:
    assert corpus_txt.suffix == ".txt"
    assert text_doc.headings_from == "detected"
    assert text_doc.n_pages is None  # no form feeds, so no page numbers to cite


def test_all_20_subpriorities_found_once_each_in_order(text_doc: Document) -> None:
    # Each appears exactly once: the heading list appended at the end of the file adds no duplicates.
    assert [section_id for section_id, _ in subpriority_headings(text_doc)] == SUBPRIORITY_IDS


def test_wrapped_subpriority_titles_match_the_pdf_bookmarks(
    text_doc: Document, bookmark_titles: dict
) -> None:
    # In the .txt most titles are wrapped over two lines ("Delprioritering 3.1 Samverkanskraft för" /
    # "en nära och tillgänglig plats"); they must be joined back into the full title.
    assert dict(subpriority_headings(text_doc)) == bookmark_titles


def test_subpriorities_know_their_priority(text_doc: Document) -> None:
    for section in text_doc.sections:
        if section.kind in ("subpriority", "challenges", "actors", "needs"):
            assert section.priority == int(section.section_id.split(".")[0]), section.heading_path


def test_needs_of_31_under_the_full_heading_path(text_doc: Document) -> None:
    needs = [s for s in text_doc.sections if s.section_id == "3.1" and s.kind == "needs"]
    assert [s.heading_path for s in needs] == [NEEDS_31_HEADING_PATH]
    assert "trygga passager för renar" in needs[0].text


def test_trailing_tab_indented_heading_list_is_dropped(corpus_txt: Path, text_doc: Document) -> None:
    raw = corpus_txt.read_text(encoding="utf-8")
    tail = raw.rstrip("\n").split("\n")[-120:]
    assert "\tRickard Carstedt (S)" in tail  # the list exists in the file ...
    text = "\n".join(s.text for s in text_doc.sections)
    assert "Rickard Carstedt" not in text  # ... and only there, so it must not survive
    assert "egionl" not in text
    last = text_doc.sections[-1]
    assert (last.section_id, last.kind) == ("6.3", "needs")


def test_infographic_placeholders_and_photo_credits_are_gone(corpus_txt: Path, text_doc: Document) -> None:
    raw = corpus_txt.read_text(encoding="utf-8")
    assert raw.count("<här kommer infografik") >= 2 and "Foto: Jonas Westling" in raw
    text = "\n".join(" ".join(s.heading_path) + "\n" + s.text for s in text_doc.sections)
    assert "<här kommer infografik" not in text
    assert "infografik med data" not in text
    assert "Foto:" not in text


def test_text_corpus_keeps_compound_hyphens(text_doc: Document) -> None:
    text = "\n".join(s.text for s in text_doc.sections)
    assert "klimat- och miljöförändringar" in text
    assert "klimatoch" not in text
    assert "EU-nivå" in text


def test_text_chunks_have_no_pages_but_keep_numbered_needs(text_doc: Document) -> None:
    chunks = chunk_document(text_doc)
    assert all(c.page_start is None and c.page_end is None for c in chunks)
    reindeer = [c for c in chunks if "trygga passager för renar" in c.text]
    assert [(c.section_id, c.kind, c.item) for c in reindeer] == [("3.1", "needs", "Behov 4")]


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------

MARKDOWN = """\
# Testlänets strategi

Den här strategin beskriver hur Testlänet ska utvecklas till år 2030 och vem som gör vad.

## Prioritering 1: Testlänet – smart och nytänkande

Ett smart län tar vara på kunskap, innovation och entreprenörskap i hela länet.

### Delprioritering 1.1 Digital omställning

Målet för delprioriteringen är att alla ska ha tillgång till snabb uppkoppling.

#### Identifierade behov

1. Bygg ut bredband i glesbygd. Det kan handla om stöd till byanät och
samverkan med privata operatörer.

2. Höj den digitala kompetensen. Det kan handla om utbildning för äldre.

## Uppföljning

Kort.

## Vad händer sen?

- Årlig rapport
- Ny strategi 2030
"""


@pytest.fixture
def markdown_doc(tmp_path: Path) -> Document:
    path = tmp_path / "testlanet.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    return load_document(path)


def test_markdown_hash_headings_become_sections(markdown_doc: Document) -> None:
    assert markdown_doc.doc_id == "testlanet"
    assert markdown_doc.title == "Testlänets strategi"  # its first line, not the file name
    assert [(s.section_id, s.kind, s.heading_path) for s in markdown_doc.sections] == [
        ("Testlänets strategi", "intro", ["Testlänets strategi"]),
        ("P 1", "priority", ["Prioritering 1: Testlänet – smart och nytänkande"]),
        ("1.1", "subpriority", ["Prioritering 1: Testlänet – smart och nytänkande",
                                "Delprioritering 1.1 Digital omställning"]),
        ("1.1", "needs", ["Prioritering 1: Testlänet – smart och nytänkande",
                          "Delprioritering 1.1 Digital omställning", "Identifierade behov"]),
        ("Uppföljning", "intro", ["Uppföljning"]),
        ("Vad händer sen?", "intro", ["Vad händer sen?"]),
    ]


def test_markdown_text_is_clean_and_in_its_own_section(markdown_doc: Document) -> None:
    sections = {(s.section_id, s.kind): s for s in markdown_doc.sections}
    needs = sections[("1.1", "needs")].text
    assert needs == (
        "1. Bygg ut bredband i glesbygd. Det kan handla om stöd till byanät och "
        "samverkan med privata operatörer."
        "\n\n2. Höj den digitala kompetensen. Det kan handla om utbildning för äldre."
    )
    # A heading followed by a short line or a list is still a heading, not text of the section before it.
    assert sections[("Uppföljning", "intro")].text == "Kort."
    assert "Årlig rapport" in sections[("Vad händer sen?", "intro")].text
    assert all("#" not in s.text and "#" not in "".join(s.heading_path) for s in markdown_doc.sections)


def test_markdown_numbered_needs_become_items(markdown_doc: Document) -> None:
    items = [(c.section_id, c.item) for c in chunk_document(markdown_doc) if c.kind == "needs"]
    assert items == [("1.1", "Behov 1"), ("1.1", "Behov 2")]


def test_empty_text_file_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "tom.txt"
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"tom\.txt: the file is empty"):
        load_document(path)
