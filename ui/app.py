"""The Gradio Blocks UI: Ask, Find my sub-priority, Alignment check, Browse, Library and Evaluation.

Every tab calls the same domain functions as the HTTP API (service.answers.ask, service.matching.match/align,
service.sections.*) on the corpus held by the app's `IndexHolder`; ui.render only lays the results out.
`mount_ui(app, holder, settings, reader, heavy)` mounts it in the FastAPI app (at settings.ui_path, default /ui);
`python -m ui` runs it alone.

Offline by construction: analytics off (GRADIO_ANALYTICS_ENABLED=False, set before gradio is imported),
system fonts only (no Google Fonts), no footer links, no run history, no PWA, no SSR.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_RUN_HISTORY", "False")

import logging
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from service import answers, library, matching, sections
from service.admin import check_api_key
from service.align_report_docx import alignment_docx, application_name, report_filename
from service.errors import Busy, EmptyInput, IndexUnavailable, InputTooLong, NotFound, OverTimeBudget, ServiceError
from service.feedback import FeedbackStore, tally
from service.limits import Budget, HeavyWork, Limits
from service.models import AlignResponse, AskResponse, MatchResponse
from service.settings import Settings, get_settings
from service.state import Corpus, IndexHolder
from service.texts import DEFAULT_LANGUAGE, LANGUAGES, t
from service.uploads import UPLOAD_SUFFIXES, DocumentReader, DocumentRefused
from ui import evaluation, feedback, render
from ui.examples import EXAMPLE_DESCRIPTIONS, EXAMPLE_QUESTIONS
from ui.limits import ui_upload_cap
from ui.render import esc, notice, placeholder
from ui.uploads import truncate

log = logging.getLogger("rus.ui")

CSS_PATH = Path(__file__).with_name("style.css")
SYSTEM_FONTS = (
    "system-ui",
    "-apple-system",
    "Segoe UI",
    "Roboto",
    "Noto Sans",
    "Liberation Sans",
    "Helvetica Neue",
    "Arial",
    "sans-serif",
)
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace")
DOWNLOADS = Path(tempfile.gettempdir()) / "rus-ui-downloads"
DOWNLOAD_MAX_AGE = 3600.0
EVAL_RETRIEVERS = ("hybrid", "dense", "bm25", "all")
EXAMPLES_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-example]');
  if (button) trigger('click', {example: button.dataset.example});
});
"""
SET_PAGE_LANGUAGE_JS = "(lang) => { document.documentElement.lang = lang; }"
FEEDBACK_ENDPOINT = "/v1/feedback"  # the API route the feedback controls post to (service/feedback_api.py)
READY = '<span class="rus-ready" hidden></span>'  # the banner once the page's load event found the index
TREE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-section]');
  if (button) trigger('click', {section: button.dataset.section});
});
"""


def theme() -> gr.themes.Base:
    """The UI theme: Gradio's Soft theme with system fonts (nothing is fetched from a font service)
    and darker teal buttons and accents, for contrast."""
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.teal,
        secondary_hue=gr.themes.colors.teal,
        neutral_hue=gr.themes.colors.slate,
        font=SYSTEM_FONTS,
        font_mono=MONO_FONTS,
        radius_size=gr.themes.sizes.radius_md,
    ).set(
        color_accent="*primary_700",
        color_accent_soft="*primary_50",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_text_color="white",
        button_primary_background_fill_dark="*primary_600",
        button_primary_background_fill_hover_dark="*primary_500",
        button_primary_text_color_dark="white",
        # WCAG 2.1 AA contrast (4.5:1 for text), checked with axe-core in tests/test_ui_feedback_browser.py
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_300",
        block_label_text_color="*primary_800",
        block_label_text_color_dark="*primary_100",
        block_title_text_color="*primary_800",
        block_title_text_color_dark="*primary_100",
        block_info_text_color="*neutral_600",
        block_info_text_color_dark="*neutral_300",
        checkbox_label_background_fill_selected="*primary_700",
        checkbox_label_background_fill_selected_dark="*primary_700",
        checkbox_label_text_color_selected="white",
        checkbox_label_text_color_selected_dark="white",
        link_text_color="*primary_700",
        link_text_color_hover="*primary_800",
        link_text_color_visited="*primary_800",
        link_text_color_active="*primary_800",
        link_text_color_dark="*primary_300",
        link_text_color_hover_dark="*primary_200",
        link_text_color_visited_dark="*primary_300",
        link_text_color_active_dark="*primary_200",
        input_placeholder_color="*neutral_500",
        input_placeholder_color_dark="*neutral_400",
    )


def css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


# --- errors ---------------------------------------------------------------------------------------


def error_html(error: Exception, lang: str, text: str | None = None, empty_key: str | None = None) -> str:
    """A friendly message for any failure (never a traceback); unexpected errors are logged. A refused file is
    worded from ingest's refusal code, never from the message."""
    if isinstance(error, DocumentRefused):
        params = {"detail": error.reason, **error.params}
        params = {key: esc(str(value)) for key, value in params.items()}
        return notice(t(f"upload_{error.refusal.value}", lang, name=esc(error.filename), **params), "error")
    if isinstance(error, Busy):
        return notice(esc(t("error_busy", lang, seconds=error.headers.get("Retry-After", "5"))), "error")
    if isinstance(error, OverTimeBudget):
        return notice(esc(t("error_over_budget", lang, seconds=f"{error.seconds:g}")), "error")
    if isinstance(error, EmptyInput):
        return notice(esc(t(empty_key or "ask_empty", lang)), "empty")
    if isinstance(error, InputTooLong):
        length = len((text or "").strip())
        return notice(esc(t("error_too_long", lang, length=length, limit=error.limit)), "error")
    if isinstance(error, IndexUnavailable):
        return notice(t("error_index", lang) + f"<br><small>{esc(error.message)}</small>", "error")
    if isinstance(error, NotFound):
        return notice(esc(t("error_not_found", lang)), "error")
    if isinstance(error, ServiceError):
        return notice(esc(t("error_invalid", lang, message=error.message)), "error")
    log.exception("UI handler failed", exc_info=error)
    return notice(esc(t("error_unexpected", lang)), "error")


def _lang(value: str | None) -> str:
    return value if value in ("sv", "en") else DEFAULT_LANGUAGE


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
    """The report as Markdown and as a Word document (service/align_report_docx.py, dated today), in a fresh
    folder under the temp dir (gradio serves files from there)."""
    _prune_downloads()
    folder = DOWNLOADS / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True, exist_ok=True)
    markdown = folder / report_filename(report.language, ".md")
    markdown.write_text(report.markdown, encoding="utf-8")
    word = folder / report_filename(report.language, ".docx")
    word.write_bytes(alignment_docx(report, name, date.today()))
    return markdown, word


# --- the UI ---------------------------------------------------------------------------------------


class RusUI:
    """Builds the Blocks and holds the handlers (each takes the interface language as its last input).

    With `feedback_endpoint` (the API's POST /v1/feedback, when the UI is mounted in the API app) every
    answer and match gets 👍/👎 controls; the Evaluation tab summarises the feedback store either way."""

    def __init__(
        self,
        holder: IndexHolder,
        settings: Settings,
        feedback_endpoint: str | None = None,
        reader: DocumentReader | None = None,
        heavy: HeavyWork | None = None,
    ) -> None:
        self.holder = holder
        self.settings = settings
        self.feedback_endpoint = feedback_endpoint
        # shared with the API when mounted in it: files read a few at once, alignment and match a few at once
        self.reader = reader or DocumentReader(Limits.from_settings(settings), settings.max_concurrent_uploads)
        self.heavy = heavy or HeavyWork.from_settings(settings)
        self.feedback_store = FeedbackStore(settings.feedback_file())
        self.relabel: list[tuple[gr.components.Component | gr.blocks.BlockContext, dict[str, str]]] = []

    def corpus(self) -> Corpus:
        return self.holder.get()

    # --- handlers ---------------------------------------------------------------------------------

    def on_ask(self, question: str | None, lang: str) -> str:
        lang = _lang(lang)
        try:
            if not (question or "").strip():
                raise EmptyInput("question")
            corpus = self.corpus()
            response = answers.ask(corpus, question or "", settings=self.settings)
            return render.ask_html(corpus, response, lang, self._ask_actions(corpus, response, lang))
        except Exception as error:  # every failure becomes a message
            return error_html(error, lang, question, "ask_empty")

    def on_match(self, text: str | None, k: float | None, lang: str) -> str:
        lang = _lang(lang)
        try:
            if not (text or "").strip():
                raise EmptyInput("text")
            corpus = self.corpus()
            with self.heavy.slot(wait=self.heavy.budget_seconds) as budget:
                response = matching.match(corpus, text or "", int(k or self.settings.match_k), self.settings,
                                          budget=budget)
            text = (text or "").strip()
            head = feedback.share_html("match", text, lang)
            return render.match_html(corpus, response, lang, head, self._match_actions(corpus, response, text, lang))
        except Exception as error:
            return error_html(error, lang, text, "match_empty")

    def on_align(self, text: str | None, upload: str | None, lang: str):
        """The report's HTML and its two downloads (Markdown and Word), both hidden when there is no report."""
        lang = _lang(lang)
        hidden = gr.update(value=None, visible=False)
        try:
            with self.heavy.slot(wait=self.heavy.budget_seconds) as budget:
                return self._align(text, upload, lang, budget)
        except Exception as error:
            return error_html(error, lang, text, "align_empty"), hidden, hidden

    def _align(self, text: str | None, upload: str | None, lang: str, budget: Budget):
        """The alignment report for the uploaded file (read by the service) or the pasted text, with its downloads."""
        notes: list[str] = []
        name: str | None = None
        if upload:
            path = Path(upload)
            document = self.reader.application_text(path, path.name, self.settings.ui_max_upload_bytes)
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
            limit = self.settings.max_text_chars
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
        corpus = self.corpus()
        report = matching.align(corpus, source, None, self.settings, budget=budget)
        markdown, word = write_downloads(report, application_name(source, name, report.language))
        shown = (gr.update(value=str(markdown), visible=True), gr.update(value=str(word), visible=True))
        return render.align_html(report, lang, notes), *shown

    # --- feedback and sharing --------------------------------------------------------------------

    def _ask_actions(self, corpus: Corpus, response: AskResponse, lang: str) -> str:
        """The copy-link button and (when the API is there) 👍/👎 for an answer."""
        share = feedback.share_html("q", response.question, lang)
        if not self.feedback_endpoint:
            return f'<div class="rus-actions">{share}</div>'
        shown = response.citations if response.covered else response.related
        top = [response.subpriority.section_id] if response.subpriority else []
        top += [c.section_id for c in shown]
        controls = feedback.feedback_html(
            endpoint=self.feedback_endpoint,
            element_id="ask-feedback",
            kind="ask",
            question=response.question,
            answer_state=response.answer_type,
            top_sections=list(dict.fromkeys(top)),
            options=feedback.subpriority_options(sections.section_tree(corpus)),
            lang=lang,
        )
        return f'<div class="rus-actions">{controls}{share}</div>'

    def _match_actions(self, corpus: Corpus, response: MatchResponse, text: str, lang: str):
        """👍/👎 at the end of each match card (the judged sub-priority first in top_sections)."""
        if not self.feedback_endpoint:
            return None
        endpoint = self.feedback_endpoint
        options = feedback.subpriority_options(sections.section_tree(corpus))
        ranked = [m.subpriority.section_id for m in response.matches]

        def actions(rank: int, match) -> str:
            judged = match.subpriority.section_id
            return feedback.feedback_html(
                endpoint=endpoint,
                element_id=f"match-{rank}-feedback",
                kind="match",
                question=text,
                answer_state="match",
                top_sections=[judged, *(s for s in ranked if s != judged)],
                options=options,
                lang=lang,
            )

        return actions

    def _tree(self):
        return sections.section_tree(self.corpus())

    def on_browse(self, key: str | None, lang: str):
        lang = _lang(lang)
        try:
            tree = self._tree()
            tree_html = render.tree_html(tree, lang, key)
            if not key:
                return placeholder(t("browse_placeholder", lang)), tree_html
            return render.browse_html(self.corpus(), tree, key, lang), tree_html
        except Exception as error:
            return error_html(error, lang), gr.update()

    # --- library ----------------------------------------------------------------------------------

    def on_library_view(self, lang: str):
        """The library table and the remove choices."""
        lang = _lang(lang)
        try:
            corpus = self.corpus()
            listing = library.documents(corpus)
            choices = gr.update(choices=render.library_choices(listing), value=None)
            return render.library_html(corpus, listing, lang), choices
        except Exception as error:
            return error_html(error, lang), gr.update()

    def on_library_add(self, upload: str | None, title: str | None, kind: str | None, year: str | None,
                       key: str | None, lang: str):
        """Add the uploaded file (the API key is checked as the API checks it); (status, table, choices)."""
        lang = _lang(lang)
        try:
            check_api_key(self.settings, key)
            if not upload:
                return (notice(esc(t("library_no_file", lang)), "empty"), *self.on_library_view(lang))
            path = Path(upload)
            with path.open("rb") as handle:
                added = library.add_upload(
                    self.holder, self.settings, self.reader, handle, path.name, title, kind or None,
                    library.parse_year(year),
                )
            message = t("library_added", lang, title=added.title, chunks=added.n_chunks)
            return (notice(esc(message), "info"), *self.on_library_view(lang))
        except Exception as error:
            return (error_html(error, lang), *self.on_library_view(lang))

    def on_library_remove(self, doc_id: str | None, key: str | None, lang: str):
        """Remove the chosen document; (status, table, choices)."""
        lang = _lang(lang)
        try:
            check_api_key(self.settings, key)
            if not doc_id:
                return (notice(esc(t("library_no_choice", lang)), "empty"), *self.on_library_view(lang))
            library.remove(self.holder, self.settings, doc_id)
            return (notice(esc(t("library_removed", lang, doc=doc_id)), "info"), *self.on_library_view(lang))
        except Exception as error:
            return (error_html(error, lang), *self.on_library_view(lang))

    def on_example(self, evt: gr.EventData):
        text = getattr(evt, "_data", {}).get("example") if evt is not None else None
        return gr.update(value=text) if text else gr.update()

    def on_tree_click(self, evt: gr.EventData):
        key = getattr(evt, "_data", {}).get("section") if evt is not None else None
        return gr.update(value=key) if key else gr.update()

    def on_load(self, lang: str, request: gr.Request | None = None):
        """Page load: the index banner, the tree and its choices, the evaluation report and feedback summary;
        and a shared link's result: /ui/?q=… asks the question, /ui/?match=… matches the description."""
        lang = _lang(lang)
        banner, tree_html, dropdown = READY, "", gr.update(choices=[], value=None)
        try:
            tree = self._tree()
            tree_html = render.tree_html(tree, lang)
            dropdown = gr.update(choices=render.section_choices(tree), value=None)
        except Exception as error:
            banner = error_html(error, lang)
        shared = self.shared_result(dict(request.query_params) if request is not None else {}, lang)
        return (banner, tree_html, dropdown, *self.eval_view(None, lang), self.feedback_summary(lang), *shared)

    def shared_result(self, params: dict[str, str], lang: str):
        """(question, answer, description, matches, selected tab) for a shared link's ?q= or ?match=."""
        keep = gr.update()
        question, description = (params.get("q") or "").strip(), (params.get("match") or "").strip()
        if question:
            return question, self.on_ask(question, lang), keep, keep, gr.update(selected="ask")
        if description:
            matches = self.on_match(description, self.settings.match_k, lang)
            return keep, keep, description, matches, gr.update(selected="match")
        return keep, keep, keep, keep, keep

    def feedback_summary(self, lang: str) -> str:
        """Feedback counts and the share of 👎 by question type and language (Evaluation tab)."""
        lang = _lang(lang)
        try:
            entries = self.feedback_store.entries()
        except sqlite3.Error as error:
            log.warning("cannot read the feedback store %s: %s", self.feedback_store.path, error)
            return t("fb_failed", lang) + f" {error}"
        return feedback.summary_markdown(tally(entries), lang)

    # --- evaluation -------------------------------------------------------------------------------

    def eval_view(self, chosen: str | None, lang: str):
        """(report choices, report markdown, plots) for the chosen report folder, or the default one."""
        lang = _lang(lang)
        root = Path(self.settings.eval_reports_dir)
        dirs = evaluation.report_dirs(root)
        if not dirs:
            message = t("eval_none", lang, path=root / "dev")
            return gr.update(choices=[], value=None), message, ""
        names = [d.name for d in dirs]
        directory = root / chosen if chosen in names else evaluation.default_report(root)
        report = evaluation.load_report(directory)
        if report is None:
            return gr.update(choices=names, value=None), t("eval_none", lang, path=directory), ""
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(report.modified))
        heading = f"*{directory} · {stamp}*\n\n"
        plots = render.plots_html([(p.stem.replace("_", " "), p.read_bytes()) for p in report.plots])
        return gr.update(choices=names, value=directory.name), heading + report.markdown, plots

    def on_eval_run(self, retriever: str | None, lang: str):
        lang = _lang(lang)
        retriever = retriever if retriever in EVAL_RETRIEVERS else "hybrid"
        gold = Path(self.settings.eval_gold)
        out = Path(self.settings.eval_reports_dir) / f"dev-ui-{retriever}"
        try:
            api = evaluation.eval_api()
            if isinstance(api, ImportError):
                return (notice(esc(t("eval_unavailable", lang, error=api)), "warning"), *self.eval_view(None, lang))
            if not gold.is_file():
                return (notice(esc(t("eval_no_gold", lang, path=gold)), "error"), *self.eval_view(None, lang))
            corpus = self.corpus()
            outcome = evaluation.run_dev_eval(corpus.index, self.holder.index_dir, gold, out, retriever)
            message = notice(esc(t("eval_done", lang, n=outcome.n_items, seconds=outcome.seconds, path=out)), "info")
            return (message, *self.eval_view(out.name, lang))
        except evaluation.EvalBusy:
            return (notice(esc(t("eval_busy", lang)), "warning"), *self.eval_view(None, lang))
        except Exception as error:
            if isinstance(error, ServiceError):
                return (error_html(error, lang), *self.eval_view(None, lang))
            log.exception("evaluation from the UI failed")
            return (notice(esc(t("eval_failed", lang, error=error)), "error"), *self.eval_view(None, lang))

    # --- language ---------------------------------------------------------------------------------

    def _label(self, component, **keys: str):
        """Remember which texts a component shows, so the language switch can relabel it."""
        self.relabel.append((component, keys))
        return component

    def on_language(self, lang: str, browse_key: str | None):
        lang = _lang(lang)
        updates = []
        for _component, keys in self.relabel:
            updates.append(gr.update(**{prop: self._text(key, lang) for prop, key in keys.items()}))
        detail, tree_html = self.on_browse(browse_key, lang)
        return (*updates, detail, tree_html)

    @staticmethod
    def _text(key: str, lang: str) -> str:
        if key == "header":
            return header_html(lang)
        if key == "footer":
            return f'<div class="rus-footer">{t("footer", lang)}</div>'
        if key.startswith("intro:"):
            return t(key.removeprefix("intro:"), lang)
        if key == "examples:ask":
            return render.examples_html(t("examples", lang), EXAMPLE_QUESTIONS)
        if key == "examples:match":
            return render.examples_html(t("examples", lang), EXAMPLE_DESCRIPTIONS)
        if key.startswith("heading:"):
            return f"### {t(key.removeprefix('heading:'), lang)}"
        if key.startswith("placeholder_html:"):
            return placeholder(t(key.removeprefix("placeholder_html:"), lang))
        return t(key, lang)

    # --- layout -----------------------------------------------------------------------------------

    def build(self) -> gr.Blocks:
        lang = DEFAULT_LANGUAGE
        L = self._label
        settings = self.settings
        with gr.Blocks(title="RUS Search", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
            with gr.Row(elem_id="rus-header", equal_height=False):
                header = L(gr.HTML(header_html(lang), elem_classes=["rus-title"]), value="header")
                language = gr.Radio(
                    choices=list(LANGUAGES),
                    value=lang,
                    label=t("language", lang),
                    elem_id="rus-lang",
                    container=True,
                    scale=0,
                    min_width=300,
                )
                L(language, label="language")
            banner = gr.HTML("", elem_id="rus-banner")
            with gr.Tabs(elem_id="rus-tabs") as tabs:
                # Ask
                with L(gr.Tab(t("tab_ask", lang), id="ask", elem_id="tab-ask"), label="tab_ask"):
                    L(gr.Markdown(t("ask_intro", lang), elem_classes=["rus-intro"]), value="intro:ask_intro")
                    with gr.Row(equal_height=True):
                        question = L(
                            gr.Textbox(
                                label=t("question", lang),
                                placeholder=t("question_placeholder", lang),
                                lines=1,
                                max_lines=4,
                                scale=5,
                                elem_id="ask-question",
                                autofocus=True,
                            ),
                            label="question",
                            placeholder="question_placeholder",
                        )
                        ask_button = L(
                            gr.Button(t("ask_button", lang), variant="primary", scale=1, elem_id="ask-button"),
                            value="ask_button",
                        )
                    ask_examples = L(
                        gr.HTML(self._text("examples:ask", lang), js_on_load=EXAMPLES_JS, elem_id="ask-examples"),
                        value="examples:ask",
                    )
                    ask_out = L(
                        gr.HTML(
                            placeholder(t("ask_placeholder_result", lang)),
                            elem_id="ask-answer",
                            js_on_load=feedback.FEEDBACK_JS,
                        ),
                        value="placeholder_html:ask_placeholder_result",
                    )
                # Find my sub-priority
                with L(gr.Tab(t("tab_match", lang), id="match", elem_id="tab-match"), label="tab_match"):
                    L(gr.Markdown(t("match_intro", lang), elem_classes=["rus-intro"]), value="intro:match_intro")
                    description = L(
                        gr.Textbox(
                            label=t("description", lang),
                            placeholder=t("description_placeholder", lang),
                            lines=5,
                            max_lines=14,
                            elem_id="match-text",
                        ),
                        label="description",
                        placeholder="description_placeholder",
                    )
                    with gr.Row(equal_height=True):
                        n_matches = L(
                            gr.Slider(1, 10, value=settings.match_k, step=1, label=t("n_matches", lang), scale=3),
                            label="n_matches",
                        )
                        match_button = L(
                            gr.Button(t("match_button", lang), variant="primary", scale=1, elem_id="match-button"),
                            value="match_button",
                        )
                    match_examples = L(
                        gr.HTML(self._text("examples:match", lang), js_on_load=EXAMPLES_JS, elem_id="match-examples"),
                        value="examples:match",
                    )
                    match_out = L(
                        gr.HTML(
                            placeholder(t("match_placeholder_result", lang)),
                            elem_id="match-results",
                            js_on_load=feedback.FEEDBACK_JS,
                        ),
                        value="placeholder_html:match_placeholder_result",
                    )
                # Alignment check
                with L(gr.Tab(t("tab_align", lang), id="align", elem_id="tab-align"), label="tab_align"):
                    L(gr.Markdown(t("align_intro", lang), elem_classes=["rus-intro"]), value="intro:align_intro")
                    with gr.Row():
                        with gr.Column(scale=3):
                            application = L(
                                gr.Textbox(
                                    label=t("application", lang),
                                    placeholder=t("application_placeholder", lang),
                                    lines=10,
                                    max_lines=24,
                                    elem_id="align-text",
                                ),
                                label="application",
                                placeholder="application_placeholder",
                            )
                        with gr.Column(scale=2):
                            upload = L(
                                gr.File(
                                    label=t("upload", lang),
                                    file_types=list(UPLOAD_SUFFIXES),
                                    type="filepath",
                                    file_count="single",
                                    elem_id="align-upload",
                                    height=150,
                                ),
                                label="upload",
                            )
                            align_button = L(
                                gr.Button(t("align_button", lang), variant="primary", elem_id="align-button"),
                                value="align_button",
                            )
                            download = L(
                                gr.DownloadButton(t("download", lang), visible=False, elem_id="align-download"),
                                label="download",
                            )
                            download_docx = L(
                                gr.DownloadButton(
                                    t("download_docx", lang), visible=False, elem_id="align-download-docx"
                                ),
                                label="download_docx",
                            )
                    align_out = L(
                        gr.HTML(placeholder(t("align_placeholder_result", lang)), elem_id="align-report"),
                        value="placeholder_html:align_placeholder_result",
                    )
                # Browse
                with L(gr.Tab(t("tab_browse", lang), id="browse", elem_id="tab-browse"), label="tab_browse"):
                    L(gr.Markdown(t("browse_intro", lang), elem_classes=["rus-intro"]), value="intro:browse_intro")
                    with gr.Row():
                        with gr.Column(scale=2, min_width=300):
                            tree = gr.HTML("", elem_id="rus-tree", js_on_load=TREE_JS)
                        with gr.Column(scale=3):
                            browse_choice = L(
                                gr.Dropdown(
                                    choices=[],
                                    value=None,
                                    label=t("choose_section", lang),
                                    elem_id="browse-choice",
                                    filterable=True,
                                ),
                                label="choose_section",
                            )
                            browse_out = gr.HTML(placeholder(t("browse_placeholder", lang)), elem_id="browse-detail")
                # Library
                with L(gr.Tab(t("tab_library", lang), id="library", elem_id="tab-library"), label="tab_library"):
                    L(gr.Markdown(t("library_intro", lang), elem_classes=["rus-intro"]), value="intro:library_intro")
                    library_table = gr.HTML("", elem_id="library-table")
                    library_status = gr.HTML("", elem_id="library-status")
                    with gr.Row():
                        with gr.Column(scale=3):
                            L(gr.Markdown(f"### {t('library_add_heading', lang)}"), value="heading:library_add_heading")
                            library_file = L(
                                gr.File(
                                    label=t("library_file_input", lang),
                                    file_types=list(UPLOAD_SUFFIXES),
                                    type="filepath",
                                    file_count="single",
                                    elem_id="library-upload",
                                    height=120,
                                ),
                                label="library_file_input",
                            )
                            with gr.Row():
                                library_title = L(
                                    gr.Textbox(label=t("library_title_input", lang), elem_id="library-title", scale=3),
                                    label="library_title_input",
                                )
                                library_kind = L(
                                    gr.Dropdown(
                                        choices=["", *library.document_kinds()],
                                        value="",
                                        label=t("library_kind_input", lang),
                                        elem_id="library-kind", scale=1,
                                    ),
                                    label="library_kind_input",
                                )
                                library_year = L(
                                    gr.Textbox(label=t("library_year_input", lang), elem_id="library-year", scale=1),
                                    label="library_year_input",
                                )
                            library_add = L(
                                gr.Button(t("library_add_button", lang), variant="primary", elem_id="library-add"),
                                value="library_add_button",
                            )
                        with gr.Column(scale=2):
                            L(gr.Markdown(f"### {t('library_remove_heading', lang)}"),
                              value="heading:library_remove_heading")
                            library_choice = L(
                                gr.Dropdown(choices=[], value=None, label=t("library_remove_choice", lang),
                                            elem_id="library-choice"),
                                label="library_remove_choice",
                            )
                            library_remove = L(
                                gr.Button(t("library_remove_button", lang), variant="stop", elem_id="library-remove"),
                                value="library_remove_button",
                            )
                            library_key = L(
                                gr.Textbox(label=t("library_key_input", lang), type="password", elem_id="library-key"),
                                label="library_key_input",
                            )
                # Evaluation
                with L(gr.Tab(t("tab_eval", lang), id="eval", elem_id="tab-eval"), label="tab_eval"):
                    L(gr.Markdown(t("eval_intro", lang), elem_classes=["rus-intro"]), value="intro:eval_intro")
                    with gr.Row(equal_height=False, elem_id="eval-controls"):
                        with gr.Column(scale=3):
                            report_choice = L(
                                gr.Dropdown(
                                    choices=[], value=None, label=t("eval_choose", lang), elem_id="eval-choice"
                                ),
                                label="eval_choose",
                            )
                            refresh = L(gr.Button(t("eval_refresh", lang), size="sm"), value="eval_refresh")
                        with gr.Column(scale=2):
                            retriever = L(
                                gr.Radio(list(EVAL_RETRIEVERS), value="hybrid", label=t("eval_retriever", lang)),
                                label="eval_retriever",
                            )
                            run_eval = L(
                                gr.Button(t("eval_run", lang), variant="secondary", size="sm", elem_id="eval-run"),
                                value="eval_run",
                            )
                    eval_status = gr.HTML("", elem_id="eval-status")
                    feedback_md = gr.Markdown("", elem_id="eval-feedback")
                    plots = gr.HTML("", elem_id="eval-plots")
                    report_md = gr.Markdown("", elem_id="eval-report")
            L(gr.HTML(f'<div class="rus-footer">{t("footer", lang)}</div>'), value="footer")

            # events (api_visibility="private": the HTTP API is the FastAPI one, not gradio's)
            private = {"api_visibility": "private"}
            # alignment and match share one pool of max_heavy_jobs workers; more requests wait in Gradio's queue
            heavy = {**private, "concurrency_limit": self.heavy.slots, "concurrency_id": "heavy"}
            ask_button.click(self.on_ask, [question, language], [ask_out], **private)
            question.submit(self.on_ask, [question, language], [ask_out], **private)
            match_button.click(self.on_match, [description, n_matches, language], [match_out], **heavy)
            # an example fills the box and runs it
            ask_examples.click(self.on_example, None, [question], **private).then(
                self.on_ask, [question, language], [ask_out], **private
            )
            match_examples.click(self.on_example, None, [description], **private).then(
                self.on_match, [description, n_matches, language], [match_out], **heavy
            )
            align_button.click(
                self.on_align, [application, upload, language], [align_out, download, download_docx], **heavy
            )
            browse_choice.change(self.on_browse, [browse_choice, language], [browse_out, tree], **private)
            tree.click(self.on_tree_click, None, [browse_choice], **private)
            refresh.click(self.eval_view, [report_choice, language], [report_choice, report_md, plots], **private)
            refresh.click(self.feedback_summary, [language], [feedback_md], **private)
            report_choice.input(self.eval_view, [report_choice, language], [report_choice, report_md, plots], **private)
            run_eval.click(
                lambda lang: notice(esc(t("eval_run", _lang(lang)) + " …"), "info"),
                [language],
                [eval_status],
                **private,
            ).then(self.on_eval_run, [retriever, language], [eval_status, report_choice, report_md, plots], **private)
            language.change(
                self.on_language,
                [language, browse_choice],
                [*(c for c, _ in self.relabel), browse_out, tree],
                **private,
            )
            language.change(self.feedback_summary, [language], [feedback_md], **private)
            for event in (language.change, demo.load):  # screen readers read the page in the chosen language
                event(None, [language], None, js=SET_PAGE_LANGUAGE_JS, **private)
            demo.load(
                self.on_load,
                [language],
                [banner, tree, browse_choice, report_choice, report_md, plots, feedback_md,
                 question, ask_out, description, match_out, tabs],
                **private,
            )  # fmt: skip
            library_outputs = [library_status, library_table, library_choice]
            library_add.click(
                self.on_library_add,
                [library_file, library_title, library_kind, library_year, library_key, language],
                library_outputs,
                **private,
            )
            library_remove.click(
                self.on_library_remove, [library_choice, library_key, language], library_outputs, **private
            )
            demo.load(self.on_library_view, [language], [library_table, library_choice], **private)
        self.components = {"header": header, "question": question}
        return demo


def header_html(lang: str) -> str:
    return (
        f'<div><span class="rus-brand">Region Västerbotten · RUS 2020–2030</span>'
        f"<h1>{esc(t('title', lang))}</h1><p>{esc(t('subtitle', lang))}</p></div>"
    )


def build_ui(
    holder: IndexHolder,
    settings: Settings | None = None,
    feedback_endpoint: str | None = None,
    reader: DocumentReader | None = None,
    heavy: HeavyWork | None = None,
) -> gr.Blocks:
    return RusUI(holder, settings or get_settings(), feedback_endpoint, reader, heavy).build()


def mount_options(settings: Settings) -> dict:
    """The keyword arguments shared by mount_gradio_app and launch: offline theme and CSS, no extras."""
    return {
        "theme": theme(),
        "css": css(),
        "footer_links": [],
        "max_file_size": ui_upload_cap(settings),
        "show_error": False,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
    }


def mount_ui(
    app: FastAPI, holder: IndexHolder, settings: Settings, reader: DocumentReader, heavy: HeavyWork
) -> FastAPI:
    """Mount the UI on the API's FastAPI app at settings.ui_path, sharing its index holder, its file reader and its
    bound on heavy work."""
    blocks = build_ui(holder, settings, FEEDBACK_ENDPOINT, reader, heavy)
    path = "/" + settings.ui_path.strip("/")

    # Gradio's page links its web manifest at the site root, and browsers ask the root for a favicon
    @app.get("/manifest.json", include_in_schema=False)
    def manifest() -> RedirectResponse:
        return RedirectResponse(f"{path}/manifest.json")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse(f"{path}/favicon.ico")

    return gr.mount_gradio_app(app, blocks, path=path, run_history=False, **mount_options(settings))


def launch(settings: Settings | None = None, on_start: Callable[[str], None] | None = None) -> None:
    """Run the UI alone (no HTTP API) with its own index holder: `python -m ui`."""
    settings = settings or get_settings()
    holder = IndexHolder(settings.index_dir, settings.embedder, settings.embedding_cache_size)
    holder.load()
    if holder.error:
        log.warning("starting the UI without an index: %s", holder.error)
    blocks = build_ui(holder, settings)
    if on_start:
        on_start(f"http://{settings.host}:{settings.port}/")
    blocks.queue().launch(
        server_name=settings.host, server_port=settings.port, share=False, inbrowser=False, **mount_options(settings)
    )
