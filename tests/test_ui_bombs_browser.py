"""A zip bomb through the UI's alignment tab, in a real browser against `rus serve` with its default limits: a
5.3 MB DOCX whose document inflates to 1.5 GB is refused with a message on the page within 30 s while the server's
RSS grows by less than 300 MB, and four at once are each refused while /healthz keeps answering.
(`python -m bench.hostile_uploads` measures the same and the library route; figures in docs/reliability.md.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.hostile_uploads import CHROMIUM, HealthPolls, RssPeak, docx_bomb, launch_browser, upload_in_alignment_tab
from bench.server import running

pytestmark = pytest.mark.slow

REFUSED = "packas upp till mycket mer data än den får"  # the Swedish words for Refusal.UNPACKS_TOO_LARGE


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing; `make test` installs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("BROWSER TESTS SKIPPED: playwright is not installed; `make test` installs it")
    with sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(corpus_index: Path, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("bomb-server")
    env = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "RUS_EVAL_REPORTS_DIR": str(workdir)}
    with running(corpus_index, workdir / "server.log", env, cwd=workdir) as live:
        yield live
    assert "Traceback" not in live.log.read_text()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("bombs")
    first = docx_bomb(folder / "ansokan.docx")  # 5.3 MB → 1.5 GB, about 10 s to write
    return [first] + [Path(shutil.copy(first, folder / f"ansokan-{n}.docx")) for n in (2, 3, 4)]


def test_a_docx_bomb_in_the_alignment_tab_is_refused_on_the_page(browser, server, bombs: list[Path]) -> None:
    rss = RssPeak(server.process.pid)
    with rss.watching():
        [(seconds, message)] = upload_in_alignment_tab(browser, server.base, bombs[:1])
    print(f"\none bomb: message after {seconds:.1f} s, server RSS +{rss.growth_mb:.0f} MB "
          f"(reading child peak {rss.children_peak / 2**20:.0f} MB)")
    assert REFUSED in message and "ansokan.docx" in message
    assert seconds < 30 and rss.growth_mb < 300


def test_four_bombs_at_once_are_each_refused_and_healthz_answers(browser, server, bombs: list[Path]) -> None:
    health = HealthPolls(server.base)
    with health.polling():
        results = upload_in_alignment_tab(browser, server.base, bombs)
    print(f"\nfour bombs: messages after {', '.join(f'{s:.1f}' for s, _ in results)} s; /healthz "
          f"{len(health.latencies)} polls, {health.failures} failed, slowest {max(health.latencies) * 1000:.0f} ms")
    assert all(REFUSED in message for _, message in results), results
    assert health.latencies and health.failures == 0 and max(health.latencies) < 5
