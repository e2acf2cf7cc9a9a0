"""The Ask tab: a question in, the cited answer out (service.answering.answers.ask), with sharing and 👍/👎."""

from __future__ import annotations

import gradio as gr

from service.answering import answers, sections
from service.errors import EmptyInput
from service.models import AskResponse
from service.state import Corpus
from ui import feedback, render
from ui.context import PRIVATE, UIContext, error_html, lang_of, on_example
from ui.texts import t


class AskTab:
    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def on_ask(self, question: str | None, lang: str) -> str:
        lang = lang_of(lang)
        try:
            if not (question or "").strip():
                raise EmptyInput("question")
            corpus = self.ctx.corpus()
            response = answers.ask(corpus, question or "", settings=self.ctx.settings)
            return render.ask_html(corpus, response, lang, self._actions(corpus, response, lang))
        except Exception as error:  # every failure becomes a message
            return error_html(error, lang, question, "ask_empty")

    def _actions(self, corpus: Corpus, response: AskResponse, lang: str) -> str:
        """The copy-link button and (when the API is there) 👍/👎 for an answer."""
        share = feedback.share_html("q", response.question, lang)
        if not self.ctx.feedback_endpoint:
            return f'<div class="rus-actions">{share}</div>'
        shown = response.citations if response.covered else response.related
        top = [response.subpriority.section_id] if response.subpriority else []
        top += [c.section_id for c in shown]
        controls = feedback.feedback_html(
            endpoint=self.ctx.feedback_endpoint,
            element_id="ask-feedback",
            kind="ask",
            question=response.question,
            answer_state=response.answer_type,
            top_sections=list(dict.fromkeys(top)),
            options=feedback.subpriority_options(sections.section_tree(corpus)),
            lang=lang,
        )
        return f'<div class="rus-actions">{controls}{share}</div>'

    def layout(self, lang: str) -> None:
        ctx, L = self.ctx, self.ctx.label
        with L(gr.Tab(t("tab_ask", lang), id="ask", elem_id="tab-ask"), label="tab_ask"):
            L(gr.Markdown(t("ask_intro", lang), elem_classes=["rus-intro"]), value="intro:ask_intro")
            with gr.Row(equal_height=True):
                self.question = ctx.text_input(
                    "question", lang, lines=1, max_lines=4, scale=5, elem_id="ask-question", autofocus=True
                )
                self.button = ctx.button("ask_button", lang, variant="primary", scale=1, elem_id="ask-button")
            self.examples = ctx.examples("ask", lang)
            self.answer = ctx.result(
                "ask_placeholder_result", lang, elem_id="ask-answer", js_on_load=feedback.FEEDBACK_JS
            )

    def wire(self, language: gr.Radio) -> None:
        self.button.click(self.on_ask, [self.question, language], [self.answer], **PRIVATE)
        self.question.submit(self.on_ask, [self.question, language], [self.answer], **PRIVATE)
        # an example fills the box and runs it
        self.examples.click(on_example, None, [self.question], **PRIVATE).then(
            self.on_ask, [self.question, language], [self.answer], **PRIVATE
        )
