"""The UI in a real browser: Playwright drives Debian's headless Chromium against `rus serve` on loopback.

Every page records its requests and must not reach any host but the server's (no fonts, CDNs, analytics).
Screenshots of each tab go to test-artifacts/ui/, and the time the UI takes to show the reindeer answer
(measured in the page with performance.now()) to test-artifacts/timings.json (and stdout with -s).
`make test` installs Chromium (apt) and Playwright; without them these tests skip, loudly.
"""

from __future__ import annotations

import json
import re
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import docx
import pdf_factory
import pytest

from bench.hostile_uploads import attach_upload
from bench.server import running

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"
SHOTS = ARTIFACTS / "ui"
TIMINGS = ARTIFACTS / "timings.json"
REINDEER = "Which sub-priority covers reindeer crossings?"
CITED = "trygga passager för renar"
UPLOAD_LIMIT = 200_000  # the test server's RUS_UI_MAX_UPLOAD_BYTES, small so "file too large" is cheap to test
WAIT = 60_000  # ms


def _skip_loudly(reason: str) -> None:
    message = f"BROWSER TESTS SKIPPED: {reason}. Run `make test` (it installs Debian's chromium and playwright)."
    warnings.warn(message, stacklevel=2)
    print(f"\n{'!' * 100}\n{message}\n{'!' * 100}", file=sys.stderr)
    pytest.skip(message)


def _record_timing(name: str, value: float) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    data = json.loads(TIMINGS.read_text()) if TIMINGS.is_file() else {}
    data[name] = round(value, 1)
    TIMINGS.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(f"\n[timing] {name}: {value:.0f} ms")


@pytest.fixture(scope="module")
def playwright_browser():
    if not CHROMIUM.exists():
        _skip_loudly(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_loudly("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def ui_server(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory):
    """`rus serve` with the session's corpus index on a free loopback port (API + UI)."""
    workdir = tmp_path_factory.mktemp("ui-server")
    env = {
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "RUS_EVAL_REPORTS_DIR": str(workdir / "reports"),
        "RUS_UI_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
    }
    with running(corpus_index, workdir / "server.log", env, cwd=workdir) as server:
        yield {"base": server.base, "host": server.host, "log": server.log, "workdir": workdir}
    log = server.log.read_text()
    assert "Traceback" not in log, log


@pytest.fixture
def page(playwright_browser, ui_server):
    """A fresh page on the UI that records every request; afterwards none may have left the server."""
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("websocket", lambda socket: requests.append(socket.url))
    page.set_default_timeout(WAIT)
    page.goto(ui_server["base"] + "/", wait_until="load")
    assert urlsplit(page.url).path == "/ui/"  # / redirects to the UI
    page.locator("#rus-banner .rus-ready").wait_for(state="attached")  # the load event found the index
    yield page
    foreign = [
        url for url in requests if urlsplit(url).scheme in ("http", "https", "ws", "wss")
        and urlsplit(url).netloc != ui_server["host"]
    ]  # fmt: skip
    assert requests and not foreign, f"the page reached other hosts: {foreign}"
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error" not in page.locator(".toast-body").all_inner_texts()
    context.close()


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


ANSWER_TIMER = """
([question, cited]) => new Promise((resolve) => {
  const box = document.querySelector('#ask-question textarea, #ask-question input');
  box.value = question;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  const shown = () => [...document.querySelectorAll('#ask-answer mark')].some((m) => m.innerText.includes(cited));
  const start = performance.now();
  const observer = new MutationObserver(() => {
    if (shown()) { observer.disconnect(); resolve(performance.now() - start); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  document.querySelector('#ask-button').click();
})
"""


def test_ask_the_reindeer_question(page, ui_server):
    _record_timing("page_ready_ms", page.evaluate("performance.now()"))  # navigation start → index found
    elapsed = page.evaluate(ANSWER_TIMER, [REINDEER, CITED])
    _record_timing("reindeer_answer_ms", elapsed)
    answer = page.locator("#ask-answer")
    assert answer.locator(".rus-answer-title").inner_text().startswith("3.1 ")
    assert answer.get_by_text("3.1 Samverkanskraft", exact=False).first.is_visible()
    cited = answer.locator(".rus-citation mark", has_text=CITED).first
    assert cited.is_visible()
    card = answer.locator("#ask-cite-1")
    assert "s. 42" in card.inner_text() and "Identifierade behov" in card.locator(".rus-path").inner_text()
    assert "Regional utvecklingsstrategi" in card.locator(".rus-doc").inner_text()
    card.locator("details.rus-section > summary").click()  # a citation expands to its full section
    section = card.locator(".rus-section-body")
    assert section.is_visible() and "Viktiga aktörer" in section.inner_text()
    assert section.locator("mark", has_text=CITED).first.is_visible()
    _shot(page, "1-ask")

    start = time.perf_counter()  # a second question, for the warm time
    page.locator("#ask-question textarea, #ask-question input").first.fill(
        "Vilken delprioritering tar upp våld i nära relationer?"
    )
    page.locator("#ask-button").click()
    page.locator("#ask-answer .rus-answer-title", has_text="5.2").wait_for()
    _record_timing("second_answer_wall_ms", (time.perf_counter() - start) * 1000)


def test_ask_without_a_question_explains(page):
    page.locator("#ask-button").click()
    notice = page.locator("#ask-answer .rus-notice-empty")
    notice.wait_for()
    assert "Skriv en fråga" in notice.inner_text()


def test_find_my_subpriority(page):
    _tab(page, "Hitta delprioritering")
    page.locator("#match-text textarea").fill(
        "Vi vill bygga laddstationer för elbilar i inlandets byar så att fler kan resa hållbart."
    )
    page.locator("#match-button").click()
    cards = page.locator("#match-results .rus-match")
    cards.first.wait_for()
    assert cards.count() == 3
    titles = page.locator("#match-results .rus-card-title h2").all_inner_texts()
    assert any(title.startswith(("3.2", "3.3")) for title in titles), titles
    first = cards.first
    assert "Behov" in first.locator(".rus-items").inner_text()  # its matching needs
    assert first.locator(".rus-citation mark").count() >= 1  # and evidence with the sentence highlighted
    _shot(page, "2-match")


def test_alignment_check_with_an_uploaded_pdf(page, tmp_path: Path):
    pdf = tmp_path / "ansokan.pdf"
    pdf.write_bytes(
        pdf_factory._simple_pdf_bytes(
            [
                [
                    "Ansökan: Laddinfrastruktur i inlandet",
                    "Projektet bygger laddstationer för elbilar i byarna längs E12.",
                    "Målet är hållbara resor och transporter för boende och besökare.",
                    "Vi samverkar med kommunerna och lokala företag i hela länet.",
                ]
            ],
            "Ansökan",
        )
    )
    _tab(page, "Kontrollera förenlighet")
    attach_upload(page, pdf, wait_ms=WAIT)
    page.locator("#align-button").click()
    report = page.locator("#align-report")
    report.locator(".rus-alignment").first.wait_for()
    assert "ansokan.pdf" in report.locator(".rus-notice").first.inner_text()
    assert report.locator(".rus-alignment").count() == 3
    assert "Identifierade behov" in report.inner_text() and "Utmaningar" in report.inner_text()
    table = report.locator(".rus-table")
    assert "Sammanhållen utveckling" in table.inner_text() and "Föregångare i omställning" in table.inner_text()
    download_button = page.locator("#align-download")
    download_button.wait_for()
    with page.expect_download() as download_info:
        download_button.click()
    markdown = Path(download_info.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith("# Avstämning") and "## Inriktningar" in markdown
    assert download_info.value.suggested_filename.endswith(".md")
    word_button = page.locator("#align-download-docx")  # the Word report, offered next to the Markdown
    word_button.wait_for()
    with page.expect_download() as word_info:
        word_button.click()
    assert word_info.value.suggested_filename == "avstamning-rus.docx"
    word = [paragraph.text for paragraph in docx.Document(word_info.value.path()).paragraphs]
    assert "Ansökan: ansokan.pdf" in word and "Huvudsaklig delprioritering" in word
    main = word[word.index("Huvudsaklig delprioritering") + 1]
    assert main == report.locator(".rus-alignment .rus-card-title h2").first.inner_text().strip()
    _shot(page, "3-align")


def test_alignment_check_error_states(page, tmp_path: Path):
    _tab(page, "Kontrollera förenlighet")
    report = page.locator("#align-report")
    page.locator("#align-button").click()
    report.locator(".rus-notice-empty").wait_for()
    assert "Klistra in" in report.inner_text()

    encrypted = pdf_factory.encrypted_pdf(tmp_path)
    attach_upload(page, encrypted, wait_ms=WAIT)
    page.locator("#align-button").click()
    report.locator(".rus-notice-error", has_text="lösenordsskyddad").wait_for()

    page.reload(wait_until="load")
    page.locator("#rus-banner .rus-ready").wait_for(state="attached")
    _tab(page, "Kontrollera förenlighet")
    big = tmp_path / "stor.txt"
    big.write_text("Renar och vägar. " * (UPLOAD_LIMIT // 10), encoding="utf-8")
    attach_upload(page, big, wait_ms=WAIT)
    page.locator("#align-button").click()
    message = report.locator(".rus-notice-error", has_text="gränsen är")
    message.wait_for()
    assert "stor.txt" in message.inner_text()
    _shot(page, "3b-align-errors")


def test_browse_the_strategy_tree(page):
    _tab(page, "Bläddra")
    page.locator('#rus-tree button[data-section$="|3.1"]').click()
    detail = page.locator("#browse-detail")
    detail.locator(".rus-browse-head h2", has_text="3.1").wait_for()
    text = detail.inner_text().casefold()  # (section headings are styled upper-case)
    for part in ("Mål och beskrivning", "Utmaningar", "Identifierade behov", "Relaterade strategier och planer"):
        assert part.casefold() in text
    assert "sidor 41–43" in text
    assert page.locator('#rus-tree button[aria-current="true"]').inner_text().startswith("3.1")
    _shot(page, "4-browse")


def test_evaluation_tab_runs_the_dev_set(page, ui_server, dev_gold: Path):
    _tab(page, "Utvärdering")
    assert "Ingen utvärderingsrapport" in page.locator("#eval-report").inner_text()
    if not dev_gold.is_file():
        pytest.skip(f"the dev set is missing: {dev_gold}")
    page.locator("#eval-run").click()
    page.locator("#eval-status .rus-notice", has_text="Klart").wait_for(timeout=300_000)
    assert page.locator("#eval-plots img").count() >= 3
    assert "Retrieval evaluation" in page.locator("#eval-report").inner_text()
    assert (ui_server["workdir"] / "reports" / "dev-ui-hybrid" / "report.md").is_file()
    _shot(page, "5-eval")


def test_english_switch_relabels_the_interface(page):
    from playwright.sync_api import expect

    page.get_by_text("English", exact=True).click()
    page.get_by_role("tab", name="Ask").wait_for()
    for name in ("Find my sub-priority", "Alignment check", "Browse", "Evaluation"):
        expect(page.get_by_role("tab", name=name)).to_be_visible()  # Gradio relabels the tabs one by one
    expect(page.locator("#ask-button")).to_have_text("Get answer")
    example = page.locator("#ask-examples [data-example]", has_text="Vilken delprioritering tar upp våld")
    example.click()  # an example question fills the box and is asked
    answer = page.locator("#ask-answer")
    answer.locator(".rus-answer-title", has_text="5.2").wait_for()
    shown = answer.inner_text().upper()  # (headings are styled upper-case)
    assert "SOURCES" in shown and "SUB-PRIORITY" in shown and "SHOW THE WHOLE SECTION" in shown
    assert page.locator("#ask-question").get_by_text("Question").first.is_visible()  # labels stay English
    assert "EXAMPLE QUESTIONS" in page.locator("#ask-examples").inner_text().upper()
    _shot(page, "6-ask-english")


EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf]"


def test_the_english_interface_shows_the_translation_with_the_swedish_original_one_click_away(page):
    from playwright.sync_api import expect

    page.get_by_text("English", exact=True).click()
    page.get_by_role("tab", name="Ask").wait_for()
    expect(page.locator("#ask-button")).to_have_text("Get answer")
    page.locator("#ask-question textarea, #ask-question input").first.fill(REINDEER)
    page.locator("#ask-button").click()
    answer = page.locator("#ask-answer")
    answer.locator(".rus-answer-title", has_text="3.1").wait_for()
    assert "Confidence: high" in answer.locator(".rus-confidence").text_content()  # a word, not a number
    need = answer.locator(".rus-answer .rus-bilingual").first
    assert need.locator(".rus-unofficial").text_content() == "Unofficial translation"
    assert need.locator(".rus-unofficial").is_visible()
    assert "safe crossings for reindeer" in need.locator("blockquote").first.inner_text()  # English first
    original = need.locator("details.rus-original")
    assert not original.locator("blockquote").is_visible()  # the Swedish is one click away …
    original.locator("summary").focus()
    page.keyboard.press("Enter")  # … and the keyboard opens it
    assert original.locator("blockquote").is_visible() and CITED in original.locator("blockquote").inner_text()
    assert original.locator("blockquote").get_attribute("lang") == "sv"
    card = answer.locator("#ask-cite-1")  # the cited passage: the English sentence marked, then the Swedish one
    assert card.locator(".rus-passage mark", has_text="safe crossings for reindeer").first.is_visible()
    card.locator("details.rus-original > summary").click()
    assert card.locator("details.rus-original mark", has_text=CITED).first.is_visible()
    buttons = answer.locator(".rus-copy-link, .rus-fb-button")  # icons drawn without an emoji font
    assert buttons.count() >= 1
    for i in range(buttons.count()):
        button = buttons.nth(i)
        assert not re.search(EMOJI, button.inner_text()) and button.get_attribute("aria-label")
        assert button.locator("svg").bounding_box()["width"] > 8
    assert not re.search(r"(likhet|similarity) \d", answer.inner_text())
    _shot(page, "7-ask-english-translation")
