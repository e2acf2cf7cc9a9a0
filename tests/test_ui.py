"""The UI without a browser: upload parsing and its error reasons, rendering, handlers' error states,
the evaluation view, the body limit under /ui, and that the handlers call the service's own functions."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pdf_factory
import pytest

from ingest.errors import Refusal
from service.library.uploads import DocumentReader, DocumentRefused
from service.limits import Limits
from service.models import Citation, Span
from service.settings import Settings
from service.state import IndexHolder
from ui import evaluation, feedback, render
from ui.limits import UILimits, with_ui
from ui.texts import TEXTS
from ui.uploads import truncate

READER = DocumentReader(Limits.from_settings(Settings()), concurrency=2)
APPLICATION = [
    "Ansökan: Laddinfrastruktur i inlandet",
    "Projektet bygger laddstationer för elbilar i byarna längs E12.",
    "Målet är hållbara resor och transporter för boende och besökare.",
]


def application_pdf(path: Path) -> Path:
    path.write_bytes(pdf_factory._simple_pdf_bytes([APPLICATION], "Ansökan"))
    return path


def read(path: Path, max_bytes: int = 10_000_000):
    """An application read as the alignment tab reads it: by the service, in a sandboxed child."""
    return READER.application_text(path, path.name, max_bytes)


def upload_code(path: Path, max_bytes: int = 10_000_000) -> str:
    with pytest.raises(DocumentRefused) as caught:
        read(path, max_bytes)
    return caught.value.refusal.value


# --- uploads --------------------------------------------------------------------------------------


def test_a_pdf_application_is_read_as_paragraph_text(tmp_path: Path):
    upload = read(application_pdf(tmp_path / "ansokan.pdf"))
    assert upload.name == "ansokan.pdf" and upload.pages == 1
    assert "laddstationer för elbilar" in upload.text and "Ansökan: Laddinfrastruktur" in upload.text


def test_unreadable_pdfs_get_a_reason_the_ui_can_word(tmp_path: Path):
    assert upload_code(pdf_factory.encrypted_pdf(tmp_path)) == "encrypted"
    assert upload_code(pdf_factory.image_only_pdf(tmp_path)) == "no_text_layer"
    assert upload_code(pdf_factory.empty_file(tmp_path)) == "empty"
    assert upload_code(pdf_factory.not_a_pdf(tmp_path)) == "wrong_format"
    assert upload_code(pdf_factory.truncated_pdf(tmp_path)) in ("damaged", "no_text_layer")


def test_docx_and_text_uploads(tmp_path: Path):
    import docx

    document = docx.Document()
    document.add_heading("Projektansökan", level=1)
    document.add_paragraph("Vi bygger laddstationer i inlandets byar.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Budget"
    table.rows[0].cells[1].text = "2 miljoner kronor"
    document.save(tmp_path / "ansokan.docx")
    upload = read(tmp_path / "ansokan.docx")
    assert upload.pages is None
    assert "Projektansökan" in upload.text and "laddstationer" in upload.text and "2 miljoner kronor" in upload.text

    (tmp_path / "ansokan.txt").write_text("Rad ett.\n\nRad två om renar.", encoding="utf-8")
    assert read(tmp_path / "ansokan.txt").text == "Rad ett.\n\nRad två om renar."


def test_bad_uploads_are_refused_with_reasons(tmp_path: Path):
    (tmp_path / "fake.docx").write_text("not a zip")
    assert upload_code(tmp_path / "fake.docx") == "wrong_format"
    (tmp_path / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    assert upload_code(tmp_path / "old.docx") == "wrong_format"
    (tmp_path / "bild.png").write_bytes(b"\x89PNG")
    assert upload_code(tmp_path / "bild.png") == "unsupported_type"
    (tmp_path / "stor.txt").write_text("x" * 2000)
    with pytest.raises(DocumentRefused) as caught:
        read(tmp_path / "stor.txt", max_bytes=1000)
    assert caught.value.refusal == Refusal.TOO_LARGE and caught.value.params["limit"] == "1000 B"
    (tmp_path / "binar.txt").write_bytes(b"abc\x00def")
    assert upload_code(tmp_path / "binar.txt") == "not_text"
    (tmp_path / "tom.txt").write_text("   \n")
    assert upload_code(tmp_path / "tom.txt") in ("empty", "no_text")


def test_every_refusal_has_words_in_both_languages():
    """The UI words a refused file from ingest's code alone: every code has a Swedish and an English text."""
    for refusal in Refusal:
        assert all(f"upload_{refusal.value}" in TEXTS[lang] for lang in ("sv", "en")), refusal


def test_truncate_cuts_at_a_sentence_end():
    text = "Första meningen är här. " * 30
    cut = truncate(text, 100)
    assert len(cut) <= 100 and cut.endswith(".")
    assert truncate("kort", 100) == "kort"


# --- rendering ------------------------------------------------------------------------------------


def test_highlighting_escapes_text_and_marks_spans():
    out = render.highlighted("<b>a</b> trygga passager för renar.", [(9, 34)])
    assert out == "&lt;b&gt;a&lt;/b&gt; <mark>trygga passager för renar</mark>."
    assert render.highlighted("abc", [(0, 2), (1, 3)]) == "<mark>ab</mark><mark>c</mark>"


def test_paragraph_needles_are_marked_inside_section_text():
    text = "Ett stycke.\n\nHär står trygga passager för renar i texten."
    out = render.paragraphs(text, ["trygga passager för renar"])
    assert out.count("<p>") == 2 and "<mark>trygga passager för renar</mark>" in out


# --- handlers without an index: friendly messages, never a traceback -----------------------------


@pytest.fixture
def no_index_ui(tmp_path: Path):
    from ui.app import RusUI
    from ui.context import UIContext

    settings = Settings(index_dir=tmp_path / "missing", eval_reports_dir=tmp_path / "reports")
    return RusUI(UIContext(IndexHolder(settings.index_dir), settings))


def test_handlers_explain_empty_input_and_a_missing_index(no_index_ui, tmp_path: Path):
    empty = no_index_ui.on_ask("   ", "sv")
    assert "Skriv en fråga" in empty and "Traceback" not in empty
    assert "Type a question" in no_index_ui.on_ask("", "en")
    missing = no_index_ui.on_ask("Vilken delprioritering tar upp renar?", "sv")
    assert "Sökindexet är inte laddat" in missing and "rus index build" in missing
    assert "projektbeskrivning" in no_index_ui.on_match("", 3, "sv")
    html, download, download_docx = no_index_ui.on_align("", None, "sv")
    assert "ansökningstext" in html and download["visible"] is False and download_docx["visible"] is False
    browse, _ = no_index_ui.on_browse("rus|3.1", "en")
    assert "search index is not loaded" in browse


def test_alignment_upload_errors_are_worded_for_the_user(no_index_ui, tmp_path: Path):
    html, *_ = no_index_ui.on_align("", str(pdf_factory.encrypted_pdf(tmp_path)), "sv")
    assert "lösenordsskyddad" in html and "krypterad.pdf" in html
    html, *_ = no_index_ui.on_align("", str(pdf_factory.image_only_pdf(tmp_path)), "en")
    assert "contains no text" in html and "OCR" in html
    big = tmp_path / "stor.txt"
    big.write_text("renar " * 5000)
    no_index_ui.settings = no_index_ui.settings.model_copy(update={"ui_max_upload_bytes": 1000})
    html, *_ = no_index_ui.on_align("", str(big), "sv")
    assert "gränsen är 1000 B" in html


def test_unexpected_errors_are_logged_not_shown(no_index_ui, monkeypatch, caplog):
    def broken():
        raise RuntimeError("secret internals")

    monkeypatch.setattr(no_index_ui.ctx, "corpus", broken)  # every tab reads the corpus through the context
    html = no_index_ui.on_ask("renar", "sv")
    assert "Något gick fel" in html and "secret internals" not in html and "Traceback" not in html
    assert "secret internals" in caplog.text


# --- evaluation view ------------------------------------------------------------------------------


def _png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def test_evaluation_view_shows_the_report_and_its_plots(no_index_ui, tmp_path: Path):
    choices, markdown, plots = no_index_ui.eval_view(None, "sv")
    assert "Ingen utvärderingsrapport" in markdown and plots == ""
    report = tmp_path / "reports" / "dev"
    report.mkdir(parents=True)
    markdown = "# Retrieval evaluation\n\n| a |\n|---|\n| 1 |\n\n## Plots\n\n![hitk.png](hitk.png)\n"
    (report / "report.md").write_text(markdown)
    _png(report / "hitk.png")
    choices, markdown, plots = no_index_ui.eval_view(None, "sv")
    assert choices["value"] == "dev" and "# Retrieval evaluation" in markdown
    assert "![" not in markdown and "## Plots" not in markdown
    assert 'src="data:image/png;base64,' in plots and "hitk" in plots


def test_evaluation_run_without_gold_says_so(no_index_ui, tmp_path: Path):
    no_index_ui.settings = no_index_ui.settings.model_copy(update={"eval_gold": tmp_path / "none.jsonl"})
    status, *_ = no_index_ui.on_eval_run("hybrid", "en")
    assert "gold questions are missing" in status or "not available" in status


def test_default_report_prefers_dev(tmp_path: Path):
    for name in ("dev", "extra"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.md").write_text(f"# {name}\n")
    assert evaluation.default_report(tmp_path).name == "dev"
    assert evaluation.default_report(tmp_path / "nothing") is None


# --- the body limit under /ui ---------------------------------------------------------------------


def test_the_ui_path_gets_room_for_uploads_and_the_api_keeps_its_limits():
    settings = Settings(ui_max_upload_bytes=1_000_000)
    limits = with_ui(Limits.from_settings(settings), settings)
    assert isinstance(limits, UILimits)
    assert limits.body_limit("/ui/gradio_api/upload") > 4_000_000
    assert limits.body_limit("/v1/ask") == settings.max_body_bytes
    assert limits.body_limit("/uix") == settings.max_body_bytes
    off = Settings(ui_enabled=False)
    assert not isinstance(with_ui(Limits.from_settings(off), off), UILimits)


# --- with the real corpus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_ui(corpus_index: Path, tmp_path_factory):
    from ui.app import RusUI
    from ui.context import UIContext

    settings = Settings(index_dir=corpus_index, eval_reports_dir=tmp_path_factory.mktemp("reports"))
    holder = IndexHolder(corpus_index)
    holder.load()
    return RusUI(UIContext(holder, settings))


@pytest.mark.slow
def test_the_ask_tab_cites_the_reindeer_need_and_expands_its_section(corpus_ui):
    html = corpus_ui.on_ask("Which sub-priority covers reindeer crossings?", "sv")
    assert "3.1 Samverkanskraft" in html
    assert "<mark>" in html and "trygga passager för renar" in html
    assert 'class="rus-citation" id="ask-cite-1"' in html and "s. 42" in html
    assert "<details" in html and "Visa hela avsnittet" in html and "Viktiga aktörer" in html
    assert "Säkerhet: hög" in html and "Inofficiell" not in html  # in Swedish: a confidence word, Swedish text
    english = corpus_ui.on_ask("Which sub-priority covers reindeer crossings?", "en")
    assert "Confidence: high" in english and "Unofficial translation" in english and "Swedish original" in english
    assert "reindeer" in english.lower() and "trygga passager för renar" in english  # the original one click away
    too_long = corpus_ui.on_ask("r" * 3000, "sv")
    assert "3000 tecken" in too_long and "gränsen är 2000" in too_long


@pytest.mark.slow
def test_the_ui_calls_the_service_functions(corpus_ui, monkeypatch):
    from service.answering import answers, matching

    calls = []
    real_ask, real_match, real_align = answers.ask, matching.match, matching.align

    def spy(name, real):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(answers, "ask", spy("ask", real_ask))
    monkeypatch.setattr(matching, "match", spy("match", real_match))
    monkeypatch.setattr(matching, "align", spy("align", real_align))
    corpus_ui.on_ask("Vilken delprioritering tar upp våld i nära relationer?", "sv")
    corpus_ui.on_match("Laddstationer för elbilar i inlandet.", 2, "sv")
    html, download, download_docx = corpus_ui.on_align("Vi bygger laddstationer för elbilar i byarna.", None, "en")
    assert calls == ["ask", "match", "align"]
    assert "Inriktningar" in html and download["visible"] is True and download_docx["visible"] is True
    assert Path(download["value"]).read_text(encoding="utf-8").startswith("# Avstämning")
    assert Path(download_docx["value"]).name == "avstamning-rus.docx"


@pytest.mark.slow
def test_the_alignment_tab_offers_the_word_report_named_after_the_upload(corpus_ui, tmp_path: Path):
    """An uploaded application gets a .docx next to the .md, in the application's language, named by its file."""
    import docx

    html, markdown, word = corpus_ui.on_align("", str(application_pdf(tmp_path / "laddning-e12.pdf")), "en")
    assert "rus-alignment" in html and markdown["visible"] and word["visible"]
    assert Path(markdown["value"]).suffix == ".md" and Path(word["value"]).suffix == ".docx"
    assert Path(word["value"]).parent == Path(markdown["value"]).parent
    text = "\n".join(p.text for p in docx.Document(word["value"]).paragraphs)
    assert "Ansökan: laddning-e12.pdf" in text and "Huvudsaklig delprioritering" in text
    main = text.split("Huvudsaklig delprioritering", 1)[1].split("\n")[1]
    assert main in Path(markdown["value"]).read_text(encoding="utf-8")  # the same first sub-priority in both


@pytest.mark.slow
def test_a_low_confidence_answer_lists_its_closest_subpriorities(corpus_ui):
    html = corpus_ui.on_ask("laddstationer för elbilar och lastbilar", "sv")
    assert "Osäkert svar" in html and "Säkerhet: medel" in html
    closest = html.split("Närmaste delprioriteringar", 1)[1].split("</ul>", 1)[0]
    titles = re.findall(r"<li><b>(\d\.\d [^<]+)</b>", closest)
    assert 2 <= len(titles) <= 3 and len(set(titles)) == len(titles)
    assert "Se även" not in html and "“" in html  # the passage is quoted, not an empty "see also"


@pytest.mark.slow
def test_match_and_browse_render(corpus_ui):
    html = corpus_ui.on_match("Vi vill bygga laddstationer för elbilar i inlandets byar.", 3, "sv")
    assert html.count('class="rus-card rus-match"') == 3 and "Behov" in html
    assert re.search(r"Säkerhet: (hög|medel|låg)", html) and not re.search(r"likhet \d|\b0\.\d{3}\b", html)
    english = corpus_ui.on_match("We want to build charging stations for electric cars in inland villages.", 3, "en")
    assert re.search(r"Confidence: (high|medium|low)", english) and "similarity 0." not in english
    assert "Unofficial translation" in english.split("Needs the project answers", 1)[1]  # the needs in English
    load = corpus_ui.on_load("sv")
    banner, tree = load[0], load[1]
    assert "rus-ready" in banner and 'data-section="' in tree and "3.1 Samverkanskraft" in tree
    key = next(value for label, value in load[2]["choices"] if value.endswith("|3.1"))
    detail, _ = corpus_ui.on_browse(key, "sv")
    for part in ("Mål och beskrivning", "Utmaningar", "Identifierade behov", "Relaterade strategier och planer"):
        assert part in detail
    priority = key.replace("|3.1", "|P 3")
    assert (
        "Delprioriteringar" in corpus_ui.on_browse(priority, "en")[0]
        or "Sub-priorities" in (corpus_ui.on_browse(priority, "en")[0])
    )


@pytest.mark.slow
def test_the_blocks_build_and_mount(corpus_index: Path):
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    with TestClient(create_app(Settings(index_dir=corpus_index))) as client:
        response = client.get("/", follow_redirects=False)
        assert response.status_code == 307 and response.headers["location"] == "/ui/"
        page = client.get("/ui/")
        assert page.status_code == 200 and "fonts.googleapis" not in page.text
        assert client.get("/ui/config").json()["title"] == "RUS Search"


def test_citation_card_shows_document_section_path_and_page(monkeypatch):
    citation = Citation(
        doc_id="d",
        doc_title="Strategin",
        doc_kind="strategi",
        doc_year=2020,
        section_id="3.1",
        heading_path=["Prioritering 3", "Delprioritering 3.1"],
        kind="needs",
        item="Behov 4",
        page_start=42,
        page_end=42,
        chunk_id="c",
        passage="Ett <citat> här.",
        spans=[Span(start=4, end=11, text="<citat>")],
    )
    monkeypatch.setattr(render, "section_detail", lambda *args: None)
    monkeypatch.setattr(render, "source_href", lambda corpus, doc_id, page: f"/v1/documents/{doc_id}/file#page={page}")
    html = render.citation_card(None, citation, 1, "x", "sv")
    assert "Strategin · strategi · 2020" in html and "Behov 4" in html and "s. 42" in html
    assert 'href="/v1/documents/d/file#page=42"' in html and "Öppna källan, s. 42" in html  # opens the source
    assert "Prioritering 3" in html and "<mark>&lt;citat&gt;</mark>" in html


def english_citation(text_en: str | None) -> Citation:
    passage = "Behovet är stort. Renar behöver trygga passager."
    spans = [Span(start=18, end=len(passage), text=passage[18:])]
    spans_en = [Span(start=17, end=len(text_en), text=text_en[17:])] if text_en else []
    return Citation(
        doc_id="d", doc_title="Strategin", section_id="3.1", heading_path=["Prioritering 3"], kind="needs",
        page_start=42, page_end=42, chunk_id="c", passage=passage, spans=spans, spans_en=spans_en, text_en=text_en,
    )


def test_the_english_interface_shows_the_rendering_first_and_the_swedish_original_behind_a_click(monkeypatch):
    monkeypatch.setattr(render, "section_detail", lambda *args: None)
    monkeypatch.setattr(render, "source_href", lambda *args: None)
    citation = english_citation("The need is big. Reindeer need safe crossings.")
    html = render.citation_card(None, citation, 1, "x", "en")
    label, english, original = html.index("Unofficial translation"), html.index("Reindeer"), html.index("Renar")
    assert label < english < original  # the label, the English text, then the Swedish
    swedish_mark = "<mark>Renar behöver trygga passager.</mark>"
    assert "<mark>Reindeer need safe crossings.</mark>" in html and swedish_mark in html
    summary = "<details class=\"rus-original\"><summary>Swedish original</summary>"
    assert re.search(re.escape(summary) + r"<blockquote[^>]*lang=\"sv\"", html)
    swedish = render.citation_card(None, citation, 1, "x", "sv")
    assert "Reindeer" not in swedish and "Inofficiell" not in swedish and "<details" not in swedish
    untranslated = render.citation_card(None, english_citation(None), 1, "x", "en")  # e.g. a plan without a memory
    assert "Unofficial translation" not in untranslated and swedish_mark in untranslated


def test_feedback_and_copy_link_buttons_draw_svg_icons_not_emoji():
    buttons = feedback.feedback_html(
        endpoint="/v1/feedback", element_id="f", kind="ask", question="q", answer_state="answer",
        top_sections=["3.1"], options=[("3.1", "3.1 Samverkanskraft")], lang="en",
    ) + feedback.share_html("q", "renar", "sv")
    assert not re.search("[\U0001F300-\U0001FAFF\u2600-\u27BF]", buttons)  # no emoji needing an emoji font
    assert buttons.count("<svg") == 3 and buttons.count('aria-hidden="true" focusable="false"') == 3
    for name in ("Yes, right (thumbs up)", "No, wrong (thumbs down)", "Kopiera en länk till det här svaret"):
        assert f'aria-label="{name}"' in buttons
