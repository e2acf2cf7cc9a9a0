"""The library in a real browser (Playwright + Debian's headless Chromium against `rus serve` on loopback): a cited
PDF opens at its page from an answer, and the library tab lists, adds and removes documents.

The server serves the session's `plan_library` index (the generated test strategy plus two test plans). Like
tests/test_ui_browser.py these tests skip, loudly, without Chromium or Playwright (`make test` installs both).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_ui_browser import playwright_browser  # noqa: F401 (the shared Chromium fixture; skips loudly without it)

from bench.server import running

pytestmark = pytest.mark.slow

KEY = "ui-library-key"
REINDEER = "Which sub-priority covers safe reindeer passages along the E12?"
WAIT = 120_000  # ms (library changes embed text on a shared machine)


@pytest.fixture(scope="module")
def server(plan_library: Path, tmp_path_factory: pytest.TempPathFactory):
    """`rus serve` (API + UI, API key set) on a copy of the library index."""
    import shutil

    workdir = tmp_path_factory.mktemp("ui-library")
    index_dir = Path(shutil.copytree(plan_library, workdir / "index", symlinks=True))
    env = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "RUS_API_KEY": KEY}
    with running(index_dir, workdir / "server.log", env, cwd=workdir) as live:
        yield live
    log = live.log.read_text()
    assert "Traceback" not in log, log


@pytest.fixture
def page(playwright_browser, server):  # noqa: F811 (the imported fixture)
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(server.base + "/ui/", wait_until="load")
    page.locator("#rus-banner .rus-ready").wait_for(state="attached")
    yield page
    assert "Traceback" not in page.locator("body").inner_text()
    context.close()


def test_a_cited_pdf_opens_at_its_page(page, server) -> None:
    page.locator("#ask-question textarea, #ask-question input").first.fill(REINDEER)
    page.locator("#ask-button").click()
    answer = page.locator("#ask-answer")
    answer.locator(".rus-answer-title", has_text="1.1").wait_for()  # answered from the strategy …
    card = answer.locator("#ask-cite-1")
    assert "strategi" in card.locator(".rus-doc").inner_text()
    link = card.locator("a.rus-source")
    href = link.get_attribute("href")
    assert href == "/v1/documents/strategi/file#page=4" and link.get_attribute("target") == "_blank"
    related = answer.locator("#ask-related-1")  # … with the transport plan's E12 passage as related
    assert "Länstransportplan för Testlänet 2022–2033 · plan · 2022" in related.locator(".rus-doc").inner_text()
    assert related.locator("a.rus-source").get_attribute("href") == "/v1/documents/lanstransportplan/file#page=2"

    with (
        page.context.expect_event("response", lambda r: "/v1/documents/strategi/file" in r.url) as response_info,
        page.context.expect_page() as opened,
    ):
        link.click()
    response = response_info.value  # the browser opens it in its PDF viewer
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert page.request.get(server.base + href.split("#")[0]).body().startswith(b"%PDF")
    tab = opened.value
    assert urlsplit(tab.url).path == "/v1/documents/strategi/file" and tab.url.endswith("#page=4")


def test_the_library_tab_lists_adds_and_removes(page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="Bibliotek").click()
    table = page.locator("#library-table table")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    transport = rows.filter(has_text="Länstransportplan").inner_text()
    assert "plan" in transport and "2022" in transport and "3" in transport
    assert table.locator("a.rus-source").first.get_attribute("href") == "/v1/documents/strategi/file"

    agenda = tmp_path / "digital-agenda.md"
    agenda.write_text("# Digital agenda för Testlänet\n\nTestdokument – fiktiv agenda om fiber i alla byar.\n",
                      encoding="utf-8")
    page.locator("#library-upload input[type=file]").set_input_files(str(agenda))
    page.locator("#library-upload").get_by_text("digital-agenda").first.wait_for()  # (name and suffix apart)
    page.locator("#library-year input, #library-year textarea").first.fill("2023")
    page.locator("#library-add").click()
    page.locator("#library-status .rus-notice-error", has_text="API").wait_for()  # no key: refused, says why
    page.locator("#library-key input").fill(KEY)
    page.locator("#library-add").click()
    page.locator("#library-status .rus-notice-info", has_text="Digital agenda").wait_for()
    assert rows.count() == 4 and "2023" in rows.filter(has_text="Digital agenda").inner_text()

    page.locator("#library-choice input").click()
    page.get_by_role("option", name="Digital agenda för Testlänet (digital-agenda)").click()
    page.locator("#library-remove").click()
    page.locator("#library-status .rus-notice-info", has_text="digital-agenda").wait_for()
    assert rows.count() == 3
