"""The Alignment check tab: an application (pasted or uploaded, read by service.library.uploads) in, the alignment
report
(service.answering.matching.align) out, with its Markdown and Word downloads."""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import gradio as gr

from service.answering import matching
from service.answering.word_report import alignment_docx, application_name, report_filename
from service.errors import EmptyInput
from service.limits import Budget
from service.models import AlignResponse
from ui import render
from ui.context import UIContext, error_html, lang_of
from ui.render import esc
from ui.texts import t
from ui.uploads import truncate

DOWNLOADS = Path(tempfile.gettempdir()) / "rus-ui-downloads"
DOWNLOAD_MAX_AGE = 3600.0


def _prune_downloads() -> None:
    if not DOWNLOADS.is_dir():
        return
    cutoff = time.time() - DOWNLOAD_MAX_AGE
    for folder in DOWNLOADS.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def write_downloads(report: AlignResponse, name: str) -> tuple[Path, Path]:
    """The report as Markdown and as a Word document (service/answering/word_report.py, dated today), in a fresh
    folder under the temp dir (gradio serves files from there)."""
    _prune_downloads()
    folder = DOWNLOADS / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / report_filename(report.language, ".md")
    markdown.write_text(report.markdown, encoding="utf-8")
    word = folder / report_filename(report.language, ".docx")
    word.write_bytes(alignment_docx(report, name, date.today()))
    return markdown, word


class AlignTab:
    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def on_align(self, text: str | None, upload: str | None, lang: str):
        """The report's HTML and its two downloads (Markdown and Word), both hidden when there is no report."""
        lang = lang_of(lang)
        hidden = gr.update(value=None, visible=False)
        heavy = self.ctx.heavy
        try:
            with heavy.slot(wait=heavy.budget_seconds) as budget:
                return self._align(text, upload, lang, budget)
        except Exception as error:
            return error_html(error, lang, text, "align_empty"), hidden, hidden

    def _align(self, text: str | None, upload: str | None, lang: str, budget: Budget):
        """The alignment report for the uploaded file (read by the service) or the pasted text, with its downloads."""
        settings = self.ctx.settings
        notes: list[str] = []
        name: str | None = None
        if upload:
            path = Path(upload)
            document = self.ctx.reader.application_text(path, path.name, settings.ui_max_upload_bytes)
            name = document.name
            if (text or "").strip():
                notes.append(esc(t("align_file_wins", lang)))
            source = document.text
            page_note = ""
            if document.pages:
                page_note = t("page_suffix" if document.pages == 1 else "pages_suffix", lang, n=document.pages)
            notes.append(
                t(
                    "align_source_file",
                    lang,
                    chars=f"{len(source):,}".replace(",", " "),
                    name=esc(document.name),
                    pages=esc(page_note),
                )
            )
            limit = settings.max_text_chars
            if len(source) > limit:
                checked = truncate(source, limit)
                tail = " ".join(checked[-60:].split())
                notes.append(esc(t("align_truncated", lang, chars=len(source), limit=limit, cut=f"“…{tail}”")))
                source = checked
        else:
            if not (text or "").strip():
                raise EmptyInput("text")
            source = text or ""
            notes.append(esc(t("align_source_text", lang, chars=len(source.strip()))))
        corpus = self.ctx.corpus()
        report = matching.align(corpus, source, None, settings, budget=budget)
        markdown, word = write_downloads(report, application_name(source, name, report.language))
        shown = (gr.update(value=str(markdown), visible=True), gr.update(value=str(word), visible=True))
        return render.align_html(report, lang, notes), *shown

    def layout(self, lang: str) -> None:
        ctx, L = self.ctx, self.ctx.label
        with L(gr.Tab(t("tab_align", lang), id="align", elem_id="tab-align"), label="tab_align"):
            L(gr.Markdown(t("align_intro", lang), elem_classes=["rus-intro"]), value="intro:align_intro")
            with gr.Row():
                with gr.Column(scale=3):
                    self.application = ctx.text_input("application", lang, lines=10, max_lines=24, elem_id="align-text")
                with gr.Column(scale=2):
                    self.upload = ctx.file_input("upload", lang, elem_id="align-upload", height=150)
                    self.button = ctx.button("align_button", lang, variant="primary", elem_id="align-button")
                    self.download = L(
                        gr.DownloadButton(t("download", lang), visible=False, elem_id="align-download"),
                        label="download",
                    )
                    self.download_docx = L(
                        gr.DownloadButton(t("download_docx", lang), visible=False, elem_id="align-download-docx"),
                        label="download_docx",
                    )
            self.report = ctx.result("align_placeholder_result", lang, elem_id="align-report")

    def wire(self, language: gr.Radio, heavy: dict) -> None:
        """`heavy`: the event settings that share the match's bounded pool of workers."""
        self.button.click(
            self.on_align,
            [self.application, self.upload, language],
            [self.report, self.download, self.download_docx],
            **heavy,
        )
