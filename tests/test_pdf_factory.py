"""Sanity checks for the PDF test-document factory itself (no ingest code involved)."""

from __future__ import annotations

from pathlib import Path

from pdf_factory import (
    EXPECTED_SECTIONS,
    STRATEGY_TITLE,
    Section,
    encrypted_pdf,
    image_only_pdf,
    strategy_pdf,
)
from pypdf import PdfReader


def _flatten_outline(reader: PdfReader) -> list[Section]:
    """The outline as (title, 1-based page, level) in document order."""
    sections: list[Section] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                sections.append(Section(item.title, reader.get_destination_page_number(item) + 1, level))

    walk(reader.outline, 1)
    return sections


def test_strategy_outline_and_text(tmp_path: Path) -> None:
    reader = PdfReader(strategy_pdf(tmp_path))
    assert len(reader.pages) == 6
    assert reader.metadata is not None and reader.metadata.title == STRATEGY_TITLE
    assert _flatten_outline(reader) == list(EXPECTED_SECTIONS)

    pages = [page.extract_text().splitlines() for page in reader.pages]
    assert all(lines[0] == "Regional utvecklingsstrategi 2020–2030" for lines in pages)
    assert [lines[-1] for lines in pages] == [f"Sida {n} av 6" for n in range(1, 7)]
    # Headings come out as lines of their own; the wrapped one as two lines.
    wrapped = ["Delprioritering 1.1 Starka strukturer för en", "smart plats"]
    for section in EXPECTED_SECTIONS:
        if section.title != " ".join(wrapped):
            assert section.title in pages[section.page - 1]
    assert pages[2][1:3] == wrapped
    # Line-end hyphenation cases survive extraction verbatim.
    assert any(line.endswith("utveck-") for line in pages[0])
    assert any(line.endswith("klimat-") for line in pages[0])
    assert any(line.endswith("EU-") for line in pages[0])
    assert "trygga passager för renar" in " ".join(pages[3])


def test_strategy_without_outline_header_footer(tmp_path: Path) -> None:
    reader = PdfReader(strategy_pdf(tmp_path / "plain.pdf", outline=False, header=None, footer=False))
    assert reader.outline == []
    first = reader.pages[0].extract_text().splitlines()
    assert first[0] == "Inledning"
    assert not any(line.startswith("Sida ") for line in first)


def test_image_only_pdf_has_no_text(tmp_path: Path) -> None:
    reader = PdfReader(image_only_pdf(tmp_path))
    assert len(reader.pages) == 2
    assert all(page.extract_text().strip() == "" for page in reader.pages)
    assert all(len(page.images) == 1 for page in reader.pages)
    assert all("/Font" not in page["/Resources"] for page in reader.pages)


def test_encrypted_pdf_needs_password(tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path, password="hemligt")
    reader = PdfReader(path)
    assert reader.is_encrypted
    assert not reader.decrypt("")
    reader = PdfReader(path)
    assert reader.decrypt("hemligt")
    assert "lösenordsskyddat" in reader.pages[0].extract_text()
