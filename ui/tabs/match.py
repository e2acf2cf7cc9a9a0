"""The Find my sub-priority tab: a project description in, the best-matching sub-priorities out
(service.answering.matching.match, bounded by the heavy-work slots), with sharing and 👍/👎 per match."""

from __future__ import annotations

import gradio as gr

from service.answering import matching, sections
from service.errors import EmptyInput
from service.models import MatchResponse
from service.state import Corpus
from ui import feedback, render
from ui.context import PRIVATE, UIContext, error_html, lang_of, on_example
from ui.texts import t


class MatchTab:
    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def on_match(self, text: str | None, k: float | None, lang: str) -> str:
        lang = lang_of(lang)
        settings, heavy = self.ctx.settings, self.ctx.heavy
        try:
            if not (text or "").strip():
                raise EmptyInput("text")
            corpus = self.ctx.corpus()
            with heavy.slot(wait=heavy.budget_seconds) as budget:
                response = matching.match(corpus, text or "", int(k or settings.match_k), settings, budget=budget)
            text = (text or "").strip()
            head = feedback.share_html("match", text, lang)
            return render.match_html(corpus, response, lang, head, self._actions(corpus, response, text, lang))
        except Exception as error:
            return error_html(error, lang, text, "match_empty")

    def _actions(self, corpus: Corpus, response: MatchResponse, text: str, lang: str):
        """👍/👎 at the end of each match card (the judged sub-priority first in top_sections)."""
        if not self.ctx.feedback_endpoint:
            return None
        endpoint = self.ctx.feedback_endpoint
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

    def layout(self, lang: str) -> None:
        ctx, L = self.ctx, self.ctx.label
        with L(gr.Tab(t("tab_match", lang), id="match", elem_id="tab-match"), label="tab_match"):
            L(gr.Markdown(t("match_intro", lang), elem_classes=["rus-intro"]), value="intro:match_intro")
            self.description = ctx.text_input("description", lang, lines=5, max_lines=14, elem_id="match-text")
            with gr.Row(equal_height=True):
                self.n_matches = L(
                    gr.Slider(1, 10, value=ctx.settings.match_k, step=1, label=t("n_matches", lang), scale=3),
                    label="n_matches",
                )
                self.button = ctx.button("match_button", lang, variant="primary", scale=1, elem_id="match-button")
            self.examples = ctx.examples("match", lang)
            self.results = ctx.result(
                "match_placeholder_result", lang, elem_id="match-results", js_on_load=feedback.FEEDBACK_JS
            )

    def wire(self, language: gr.Radio, heavy: dict) -> None:
        """`heavy`: the event settings that share the alignment's bounded pool of workers."""
        inputs = [self.description, self.n_matches, language]
        self.button.click(self.on_match, inputs, [self.results], **heavy)
        self.examples.click(on_example, None, [self.description], **PRIVATE).then(
            self.on_match, inputs, [self.results], **heavy
        )
