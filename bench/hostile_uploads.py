"""Hostile uploads against a real `rus serve`: the figures behind docs/reliability.md "Every way a file comes in".

    .venv/bin/python -m bench.hostile_uploads [--index-dir data/index]

1. A DOCX zip bomb (5.3 MB whose word/document.xml inflates to 1.5 GB) uploaded in the UI's alignment tab
   ("Kontrollera förenlighet") in headless Chromium: seconds from the click to the message on the page, and the
   server's RSS before and at its peak (sampled every 20 ms; the reading child is a separate process, reported too).
2. Four such uploads at once (four pages): every one refused on its page, /healthz polled throughout.
3. The library route (POST /v1/documents/library): a 20 MB PDF plan added, the bomb refused — status and seconds.

The index is copied to a temporary directory first (the library route changes it). Needs Debian's chromium and
playwright (as the browser tests do). `tests/test_ui_bombs_browser.py` runs parts 1 and 2 with assertions.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import tempfile
import threading
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench.server import running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking"]
KEY = "hostile-uploads-key"
WAIT_MS = 120_000

DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/'
    '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCX_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
    b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
)
DOCX_PARAGRAPH = b"<w:p><w:r><w:t>Projektet bygger laddstationer i inlandets byar.</w:t></w:r></w:p>"


def docx_bomb(path: Path, inflated_bytes: int = 1_500_000_000) -> Path:
    """A well-formed Word document whose word/document.xml inflates to `inflated_bytes` of real paragraphs (a zip
    bomb: 1.5 GB from a 5.3 MB file by default, about 10 s to write); its sizes are declared honestly."""
    block = DOCX_PARAGRAPH * ((1 << 20) // len(DOCX_PARAGRAPH) + 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        package.writestr("_rels/.rels", DOCX_RELS)
        with package.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(DOCX_HEAD)
            written = 0
            while written < inflated_bytes:
                part.write(block)
                written += len(block)
            part.write(b"</w:body></w:document>")
    return path


PLAN_WORDS = (
    "kollektivtrafik laddinfrastruktur bredband kompetensförsörjning besöksnäring renskötsel skogsbruk vätgas "
    "pendling fjällvärlden kustlandet inlandet samverkan innovation klimatanpassning vattenkraft elflyg bostäder"
).split()


def plan_pdf(path: Path, target_bytes: int = 20_000_000) -> Path:
    """A plan as agencies publish them: numbered chapters of text, each page with a photograph (incompressible
    JPEG noise), about `target_bytes` in all."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    rng = random.Random(2030)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle("Regional transportplan för Testlänet 2026–2037")
    written, page = 0, 0
    while written < target_bytes:
        page += 1
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(60, 780, f"{page}. {rng.choice(PLAN_WORDS).capitalize()} i {rng.choice(PLAN_WORDS)}")
        canvas.setFont("Helvetica", 10)
        for line in range(18):
            words = " ".join(rng.choice(PLAN_WORDS) for _ in range(9))
            canvas.drawString(60, 750 - 14 * line, f"Regionen ska stärka {words}.")
        photo = Image.frombytes("RGB", (640, 480), rng.randbytes(640 * 480 * 3))
        jpeg = io.BytesIO()
        photo.save(jpeg, "JPEG", quality=95)
        canvas.drawImage(ImageReader(io.BytesIO(jpeg.getvalue())), 60, 60, width=480, height=360)
        canvas.showPage()
        written += jpeg.tell() * 5 // 4 + 2_000  # the photograph (stored ASCII85-encoded) and the page's text
    canvas.save()
    path.write_bytes(buffer.getvalue())
    return path


@dataclass
class RssPeak:
    """The RSS of a process (and, separately, of its children) sampled every 20 ms while a block runs."""

    pid: int
    start: int = 0
    peak: int = 0
    children_peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        process = psutil.Process(self.pid)
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, process.memory_info().rss)
                children = sum(c.memory_info().rss for c in process.children(recursive=True))
                self.children_peak = max(self.children_peak, children)
            except psutil.Error:
                pass
            time.sleep(0.02)

    @contextmanager
    def watching(self):
        self.start = self.peak = psutil.Process(self.pid).memory_info().rss
        sampler = threading.Thread(target=self._sample, daemon=True)
        sampler.start()
        try:
            yield self
        finally:
            self._stop.set()
            sampler.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 2**20


@dataclass
class HealthPolls:
    """/healthz polled every 100 ms from a thread while a block runs."""

    base: str
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _poll(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    ok = client.get(self.base + "/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.latencies.append(time.monotonic() - started)
                self.failures += not ok
                time.sleep(0.1)

    @contextmanager
    def polling(self):
        poller = threading.Thread(target=self._poll, daemon=True)
        poller.start()
        try:
            yield self
        finally:
            self._stop.set()
            poller.join()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def upload_in_alignment_tab(browser, base: str, files: list[Path]) -> list[tuple[float, str]]:
    """Upload each file in its own page's alignment tab, click all the buttons, and wait for each page's message;
    (seconds from its click to the message, the message) per file."""
    pages = []
    for file in files:
        page = browser.new_context(locale="sv-SE").new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(base + "/ui/", wait_until="load")
        page.locator("#rus-banner .rus-ready").wait_for(state="attached")
        page.get_by_role("tab", name="Kontrollera förenlighet").click()
        attach_upload(page, file)
        pages.append(page)
    clicked = []
    for page in pages:
        page.locator("#align-button").click()
        clicked.append(time.monotonic())
    results = []
    for page, started in zip(pages, clicked, strict=True):
        message = page.locator("#align-report .rus-notice-error")
        message.wait_for()
        results.append((time.monotonic() - started, message.inner_text()))
        page.context.close()
    return results


def attach_upload(page, file: Path, attempts: int = 3, wait_ms: float = WAIT_MS) -> None:
    """Choose `file` in the alignment tab's upload field and wait until the page shows it (on a loaded machine the
    browser's upload to Gradio now and then never starts: choose the file again), within `wait_ms` in all."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        page.locator("#align-upload input[type=file]").set_input_files(str(file))
        try:
            page.locator("#align-upload").get_by_text(file.name).first.wait_for(timeout=wait_ms / attempts)
            return
        except PlaywrightTimeout:
            if attempt == attempts:
                raise


def library_upload(base: str, path: Path) -> tuple[int, float, dict]:
    """POST a file to the library route; (status, seconds, JSON body)."""
    started = time.monotonic()
    with path.open("rb") as handle:
        response = httpx.post(base + "/v1/documents/library", files={"file": (path.name, handle)},
                              headers={"X-API-Key": KEY}, timeout=600)
    return response.status_code, time.monotonic() - started, response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, default=Path("data/index"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="rus-hostile-") as tmp:
        work = Path(tmp)
        index_dir = Path(shutil.copytree(args.index_dir.resolve(), work / "index", symlinks=True))
        started = time.monotonic()
        bomb = docx_bomb(work / "ansokan.docx")
        inflated = sum(info.file_size for info in zipfile.ZipFile(bomb).infolist())
        print(f"bomb: {bomb.stat().st_size / 1e6:.1f} MB inflating to {inflated / 1e9:.2f} GB "
              f"(written in {time.monotonic() - started:.0f} s)")
        plan = plan_pdf(work / "transportplan.pdf")
        print(f"plan: {plan.stat().st_size / 1e6:.1f} MB PDF")
        bombs = [bomb] + [Path(shutil.copy(bomb, work / f"ansokan-{n}.docx")) for n in (2, 3, 4)]
        env = {"RUS_API_KEY": KEY, "GRADIO_ANALYTICS_ENABLED": "False"}
        with running(index_dir, work / "server.log", env, cwd=work) as server, sync_playwright() as playwright:
            browser = launch_browser(playwright)
            rss = RssPeak(server.process.pid)
            with rss.watching():
                [(seconds, message)] = upload_in_alignment_tab(browser, server.base, bombs[:1])
            print(f"UI, one bomb: message after {seconds:.1f} s: {message!r}")
            print(f"  server RSS {rss.start / 2**20:.0f} → peak {rss.peak / 2**20:.0f} MB "
                  f"(+{rss.growth_mb:.0f} MB); reading child peak {rss.children_peak / 2**20:.0f} MB")
            rss4, health = RssPeak(server.process.pid), HealthPolls(server.base)
            with rss4.watching(), health.polling():
                four = upload_in_alignment_tab(browser, server.base, bombs)
            print(f"UI, four at once: messages after {', '.join(f'{s:.1f}' for s, _ in four)} s; "
                  f"server RSS +{rss4.growth_mb:.0f} MB; /healthz {len(health.latencies)} polls, "
                  f"{health.failures} failed, slowest {max(health.latencies) * 1000:.0f} ms")
            browser.close()
            status, seconds, body = library_upload(server.base, plan)
            print(f"library route, 20 MB plan: {status} in {seconds:.1f} s "
                  f"({body.get('n_pages')} pages, {body.get('n_chunks')} chunks)")
            status, seconds, body = library_upload(server.base, bomb)
            print(f"library route, the bomb: {status} in {seconds:.2f} s: {body['error']['message']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
