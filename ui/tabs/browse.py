"""The Browse tab: the strategy's tree (service.answering.sections) and the chosen section in full."""

from __future__ import annotations

import gradio as gr

from service.answering import sections
from service.models import SectionTreeResponse
from ui import render
from ui.context import PRIVATE, UIContext, error_html, lang_of
from ui.render import placeholder
from ui.texts import t

TREE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-section]');
  if (button) trigger('click', {section: button.dataset.section});
});
"""


class BrowseTab:
    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def section_tree(self) -> SectionTreeResponse:
        return sections.section_tree(self.ctx.corpus())

    def on_browse(self, key: str | None, lang: str):
        """(the chosen section's detail, the tree with it marked)."""
        lang = lang_of(lang)
        try:
            tree = self.section_tree()
            tree_html = render.tree_html(tree, lang, key)
            if not key:
                return placeholder(t("browse_placeholder", lang)), tree_html
            return render.browse_html(self.ctx.corpus(), tree, key, lang), tree_html
        except Exception as error:
            return error_html(error, lang), gr.update()

    @staticmethod
    def on_tree_click(evt: gr.EventData):
        key = getattr(evt, "_data", {}).get("section") if evt is not None else None
        return gr.update(value=key) if key else gr.update()

    def layout(self, lang: str) -> None:
        L = self.ctx.label
        with L(gr.Tab(t("tab_browse", lang), id="browse", elem_id="tab-browse"), label="tab_browse"):
            L(gr.Markdown(t("browse_intro", lang), elem_classes=["rus-intro"]), value="intro:browse_intro")
            with gr.Row():
                with gr.Column(scale=2, min_width=300):
                    self.tree = gr.HTML("", elem_id="rus-tree", js_on_load=TREE_JS)
                with gr.Column(scale=3):
                    self.choice = L(
                        gr.Dropdown(
                            choices=[],
                            value=None,
                            label=t("choose_section", lang),
                            elem_id="browse-choice",
                            filterable=True,
                        ),
                        label="choose_section",
                    )
                    self.detail = gr.HTML(placeholder(t("browse_placeholder", lang)), elem_id="browse-detail")

    def wire(self, language: gr.Radio) -> None:
        self.choice.change(self.on_browse, [self.choice, language], [self.detail, self.tree], **PRIVATE)
        self.tree.click(self.on_tree_click, None, [self.choice], **PRIVATE)
