"""Plans shaped unlike the strategy (DOCX, numbered text, PDF without bookmarks, HTML): titles, heading
hierarchy, document-qualified section ids, and no chunks that are only a link, a page number or a header."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from plan_factory import FOOD_TITLE, GOLD, TRANSPORT_HEADER, TRANSPORT_TITLE, copy_plan_corpus

from eval.gold import load_gold, missing_evidence, unknown_labels
from ingest.chunking import chunk_document
from ingest.formats import SUPPORTED_SUFFIXES
from ingest.load import load_document, load_documents
from ingest.models import Document

STRATEGY_SECTION = re.compile(r"^(P \d+|\d+\.\d+)$")


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Document]:
    folder = copy_plan_corpus(tmp_path_factory.mktemp("plans"))
    documents, errors = load_documents([folder])
    assert errors == []
    return {d.doc_id: d for d in documents}


def paths(document: Document) -> dict[str, list[str]]:
    return {s.section_id: s.heading_path for s in document.sections}


def test_every_format_in_the_folder_is_ingested_with_its_own_title(plans: dict[str, Document]) -> None:
    assert {d: plans[d].title for d in plans} == {
        "kulturplan": "Kulturplan för Testlänet 2024–2027",  # first line of the text
        "innovationsstrategi": "Regional innovationsstrategi för smart specialisering – Testlänet 2021–2027",
        "lanstransportplan": TRANSPORT_TITLE,  # first line: the PDF has no /Title
        "livsmedelsstrategi": FOOD_TITLE,  # DOCX core properties
    }
    assert {".pdf", ".docx", ".html", ".md", ".txt"} <= set(SUPPORTED_SUFFIXES)


def test_pdf_without_bookmarks_keeps_the_parent_of_a_numbered_sub_heading(plans: dict[str, Document]) -> None:
    transport = paths(plans["lanstransportplan"])
    assert transport["lanstransportplan#3.1"] == ["3. Prioriterade åtgärder", "3.1 Trafiksäkerhet på E12"]
    assert transport["lanstransportplan#3.1.1"] == [
        "3. Prioriterade åtgärder", "3.1 Trafiksäkerhet på E12", "3.1.1 Viltstängsel och passager för ren"
    ]
    assert transport["lanstransportplan#4"] == ["4. Ekonomisk ram och uppföljning"]
    assert plans["lanstransportplan"].n_pages == 3
    reindeer = next(s for s in plans["lanstransportplan"].sections if s.section_id == "lanstransportplan#3.1.1")
    assert "sex säkra passager för renar" in reindeer.text and reindeer.page_start == 2


def test_numbered_plain_text_gets_a_three_level_hierarchy(plans: dict[str, Document]) -> None:
    culture = plans["kulturplan"]
    assert [s.section_id for s in culture.sections][:4] == [
        "kulturplan#Inledning", "kulturplan#1", "kulturplan#1.1", "kulturplan#1.2"
    ]
    assert paths(culture)["kulturplan#2.1.1"] == [
        "2. Kulturens roll i länets utveckling", "2.1 Barn och ungas kultur", "2.1.1 Skapande skola"
    ]
    # a numbered list inside 3.1 stays text of 3.1, it does not become headings 1–3
    residens = next(s for s in culture.sections if s.section_id == "kulturplan#3.1")
    assert "2. Erbjuda ateljéer till rimlig hyra" in residens.text
    assert "kulturplan#4" in paths(culture) and len(culture.sections) == 15


def test_docx_heading_styles_give_the_hierarchy_and_tables_become_rows(plans: dict[str, Document]) -> None:
    food = plans["livsmedelsstrategi"]
    assert paths(food)["livsmedelsstrategi#Startstöd för förädlingsföretag"] == [
        "3. Strategiska områden", "3.2 Produktion och förädling", "Startstöd för förädlingsföretag"
    ]
    follow_up = next(s for s in food.sections if s.section_id == "livsmedelsstrategi#4")
    assert "Självförsörjningsgrad | 25 % | 40 %" in follow_up.text
    assert food.sections[0].section_id == "livsmedelsstrategi#Inledning"
    assert FOOD_TITLE not in food.sections[0].text  # the Title paragraph is the title, not body text


def test_html_headings_nest_and_page_furniture_is_left_out(plans: dict[str, Document]) -> None:
    page = plans["innovationsstrategi"]
    cold = paths(page)["innovationsstrategi#Test och utveckling i kallt klimat"]
    assert cold == ["Regional innovationsstrategi för smart specialisering", "Styrkeområden",
                    "Test och utveckling i kallt klimat"]
    text = "\n".join(s.text for s in page.sections)
    for furniture in ("Startsida", "Kontakt", "window.analytics", "Tillgänglighetsredogörelse", "font-family",
                      "Ladda ner strategin som PDF", "Ansök om innovationscheck"):
        assert furniture not in text
    assert "1. Innovationscheckar på upp till 100 000 kronor" in text  # an ordered list keeps its numbers
    assert "Test och utveckling i kallt klimat | 80" in text


def test_no_chunk_is_only_a_link_a_page_number_or_a_running_header(plans: dict[str, Document]) -> None:
    chunks = [c for d in plans.values() for c in chunk_document(d)]
    assert len(chunks) >= 40
    for chunk in chunks:
        text = chunk.text.strip()
        assert not re.fullmatch(r"(https?://|www\.)\S+", text), text
        assert not re.fullmatch(r"(Sida\s*)?\d+", text), text
        assert "https://" not in text and "Sida 3" not in text and TRANSPORT_HEADER not in text


def test_plan_section_ids_never_collide_with_the_strategys(plans: dict[str, Document]) -> None:
    for document in plans.values():
        for section in document.sections:
            assert section.section_id.startswith(f"{document.doc_id}#")
            assert not STRATEGY_SECTION.match(section.section_id)
            assert section.priority is None


def test_a_renamed_duplicate_keeps_its_section_ids_in_step(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "plan.txt").write_text(
            "Testplan\n\n1. Mål\n\nText om målen.\n\n2. Medel\n\nText om medlen.\n", encoding="utf-8"
        )
    documents, _ = load_documents([tmp_path / "a" / "plan.txt", tmp_path / "b" / "plan.txt"])
    assert [d.doc_id for d in documents] == ["plan", "plan-2"]
    assert [s.section_id for s in documents[1].sections] == ["plan-2#1", "plan-2#2"]
    assert {c.section_id for c in chunk_document(documents[1])} == {"plan-2#1", "plan-2#2"}


def test_markdown_plan_uses_hash_levels(tmp_path: Path) -> None:
    path = tmp_path / "agenda.md"
    path.write_text(
        "# Digital agenda för Testlänet\n\nTestdokument – fiktiv agenda.\n\n## Bredband\n\nAlla hushåll ska ha "
        "fiber.\n\n### Byanät\n\nByanäten får stöd.\n\n[Läs mer](https://example.se/bredband)\n\n## E-hälsa\n\n"
        "Vård på distans byggs ut.\n",
        encoding="utf-8",
    )
    document = load_document(path)
    assert document.title == "Digital agenda för Testlänet"
    assert paths(document)["agenda#Byanät"] == ["Digital agenda för Testlänet", "Bredband", "Byanät"]
    assert paths(document)["agenda#E-hälsa"] == ["Digital agenda för Testlänet", "E-hälsa"]
    assert all("Läs mer" not in s.text for s in document.sections)


def test_gold_file_names_sections_and_evidence_that_exist(plans: dict[str, Document]) -> None:
    items = load_gold(GOLD)
    assert len(items) >= 30
    section_ids = {s.section_id for d in plans.values() for s in d.sections}
    assert unknown_labels(items, section_ids) == []
    texts = [s.text for d in plans.values() for s in d.sections]
    assert missing_evidence(items, texts) == []
    covered = {label.split("#", 1)[0] for item in items for label in item.labels}
    assert covered == set(plans)
    raw = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all("Testdokument" not in r["query"] for r in raw)


def test_broken_docx_and_empty_html_are_ingest_errors(tmp_path: Path) -> None:
    from hostile import docx_bytes

    from ingest.errors import IngestError

    broken = tmp_path / "trasig.docx"
    broken.write_bytes(docx_bytes())  # a ZIP with a malformed [Content_Types].xml
    with pytest.raises(IngestError, match=r"trasig\.docx: not a readable Word document"):
        load_document(broken)
    doc_file = tmp_path / "gammal.docx"
    doc_file.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(500))  # an old .doc (OLE) renamed .docx
    with pytest.raises(IngestError, match=r"gammal\.docx: .*old \.doc"):
        load_document(doc_file)
    page = tmp_path / "meny.html"
    page.write_text("<html><nav><a href='/'>Start</a></nav><script>x()</script><p><a href='/a'>Länk</a></p></html>",
                    encoding="utf-8")
    with pytest.raises(IngestError, match=r"meny\.html: no text left"):
        load_document(page)


def test_a_docx_part_that_unpacks_past_its_declared_size_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A part whose headers declare a small, valid document.xml (size and checksum) while its stream holds 60 MB
    more: zipfile would accept it after inflating all of it in memory; the check refuses it as a zip bomb."""
    from hostile import docx_forged_part

    from ingest.errors import IngestError, Refusal

    forged = tmp_path / "ansokan.docx"
    forged.write_bytes(docx_forged_part())
    with pytest.raises(IngestError, match=r"ansokan\.docx: part word/document\.xml unpacks to more than") as refused:
        load_document(forged)
    assert refused.value.code == Refusal.UNPACKS_TOO_LARGE


def test_a_docx_written_with_data_descriptors_reads(tmp_path: Path) -> None:
    """Sizes known only after each part (flag bit 3, as streaming writers produce) are checked from the central
    directory: such a document reads normally."""
    import io
    import zipfile

    from hostile import DOCX_CONTENT_TYPES, DOCX_HEAD, DOCX_RELS

    class Unseekable(io.RawIOBase):
        def __init__(self, target: io.BufferedWriter) -> None:
            self.target = target

        def writable(self) -> bool:
            return True

        def write(self, data: bytes) -> int:
            return self.target.write(data)

    body = DOCX_HEAD + b"<w:p><w:r><w:t>Laddstationer i inlandets byar.</w:t></w:r></w:p></w:body></w:document>"
    path = tmp_path / "strommad.docx"
    with path.open("wb") as raw, zipfile.ZipFile(Unseekable(raw), "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in (("[Content_Types].xml", DOCX_CONTENT_TYPES), ("_rels/.rels", DOCX_RELS),
                           ("word/document.xml", body)):
            with package.open(name, "w") as part:
                part.write(data if isinstance(data, bytes) else data.encode())
    assert all(info.flag_bits & 0x8 for info in zipfile.ZipFile(path).infolist())
    assert any("Laddstationer i inlandets byar." in section.text for section in load_document(path).sections)
