"""The Evaluation tab: the saved evaluation reports (ui.evaluation), a dev evaluation run from the page, and the
summary of the users' feedback."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import gradio as gr

from service.errors import ServiceError
from service.feedback import tally
from ui import evaluation, feedback, render
from ui.context import PRIVATE, UIContext, error_html, lang_of
from ui.render import esc, notice
from ui.texts import t

log = logging.getLogger("rus.ui")

EVAL_RETRIEVERS = ("hybrid", "dense", "bm25", "all")


class EvaluationTab:
    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def feedback_summary(self, lang: str) -> str:
        """Feedback counts and the share of 👎 by question type and language."""
        lang = lang_of(lang)
        store = self.ctx.feedback_store
        try:
            entries = store.entries()
        except sqlite3.Error as error:
            log.warning("cannot read the feedback store %s: %s", store.path, error)
            return t("fb_failed", lang) + f" {error}"
        return feedback.summary_markdown(tally(entries), lang)

    def eval_view(self, chosen: str | None, lang: str):
        """(report choices, report markdown, plots) for the chosen report folder, or the default one."""
        lang = lang_of(lang)
        root = Path(self.ctx.settings.eval_reports_dir)
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
        lang = lang_of(lang)
        retriever = retriever if retriever in EVAL_RETRIEVERS else "hybrid"
        settings = self.ctx.settings
        gold = Path(settings.eval_gold)
        out = Path(settings.eval_reports_dir) / f"dev-ui-{retriever}"
        try:
            api = evaluation.eval_api()
            if isinstance(api, ImportError):
                return (notice(esc(t("eval_unavailable", lang, error=api)), "warning"), *self.eval_view(None, lang))
            if not gold.is_file():
                return (notice(esc(t("eval_no_gold", lang, path=gold)), "error"), *self.eval_view(None, lang))
            corpus = self.ctx.corpus()
            outcome = evaluation.run_dev_eval(corpus.index, self.ctx.holder.index_dir, gold, out, retriever)
            message = notice(esc(t("eval_done", lang, n=outcome.n_items, seconds=outcome.seconds, path=out)), "info")
            return (message, *self.eval_view(out.name, lang))
        except evaluation.EvalBusy:
            return (notice(esc(t("eval_busy", lang)), "warning"), *self.eval_view(None, lang))
        except Exception as error:
            if isinstance(error, ServiceError):
                return (error_html(error, lang), *self.eval_view(None, lang))
            log.exception("evaluation from the UI failed")
            return (notice(esc(t("eval_failed", lang, error=error)), "error"), *self.eval_view(None, lang))

    def layout(self, lang: str) -> None:
        L = self.ctx.label
        with L(gr.Tab(t("tab_eval", lang), id="eval", elem_id="tab-eval"), label="tab_eval"):
            L(gr.Markdown(t("eval_intro", lang), elem_classes=["rus-intro"]), value="intro:eval_intro")
            with gr.Row(equal_height=False, elem_id="eval-controls"):
                with gr.Column(scale=3):
                    self.choice = L(
                        gr.Dropdown(choices=[], value=None, label=t("eval_choose", lang), elem_id="eval-choice"),
                        label="eval_choose",
                    )
                    self.refresh = self.ctx.button("eval_refresh", lang, size="sm")
                with gr.Column(scale=2):
                    self.retriever = L(
                        gr.Radio(list(EVAL_RETRIEVERS), value="hybrid", label=t("eval_retriever", lang)),
                        label="eval_retriever",
                    )
                    self.run = self.ctx.button("eval_run", lang, variant="secondary", size="sm", elem_id="eval-run")
            self.status = gr.HTML("", elem_id="eval-status")
            self.feedback = gr.Markdown("", elem_id="eval-feedback")
            self.plots = gr.HTML("", elem_id="eval-plots")
            self.report = gr.Markdown("", elem_id="eval-report")

    def wire(self, language: gr.Radio) -> None:
        view = [self.choice, self.report, self.plots]
        self.refresh.click(self.eval_view, [self.choice, language], view, **PRIVATE)
        self.refresh.click(self.feedback_summary, [language], [self.feedback], **PRIVATE)
        self.choice.input(self.eval_view, [self.choice, language], view, **PRIVATE)
        self.run.click(
            lambda lang: notice(esc(t("eval_run", lang_of(lang)) + " …"), "info"),
            [language],
            [self.status],
            **PRIVATE,
        ).then(self.on_eval_run, [self.retriever, language], [self.status, *view], **PRIVATE)
