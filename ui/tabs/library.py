"""The Library tab: the documents searched with the strategy (service.library.documents), and adding or removing one
(with the API key, checked as the API checks it)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from service.api.admin import check_api_key
from service.library import documents as library
from ui import render
from ui.context import PRIVATE, UIContext, error_html, lang_of
from ui.render import esc, notice
from ui.texts import t


class LibraryTab:
    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx

    def on_library_view(self, lang: str):
        """The library table and the remove choices."""
        lang = lang_of(lang)
        try:
            corpus = self.ctx.corpus()
            listing = library.documents(corpus)
            choices = gr.update(choices=render.library_choices(listing), value=None)
            return render.library_html(corpus, listing, lang), choices
        except Exception as error:
            return error_html(error, lang), gr.update()

    def on_library_add(self, upload: str | None, title: str | None, kind: str | None, year: str | None, key: str | None,
               lang: str):
        """Add the uploaded file (the API key is checked as the API checks it); (status, table, choices)."""
        lang = lang_of(lang)
        ctx = self.ctx
        try:
            check_api_key(ctx.settings, key)
            if not upload:
                return (notice(esc(t("library_no_file", lang)), "empty"), *self.on_library_view(lang))
            path = Path(upload)
            with path.open("rb") as handle:
                added = library.add_upload(
                    ctx.holder, ctx.settings, ctx.reader, handle, path.name, title, kind or None,
                    library.parse_year(year),
                )
            message = t("library_added", lang, title=added.title, chunks=added.n_chunks)
            return (notice(esc(message), "info"), *self.on_library_view(lang))
        except Exception as error:
            return (error_html(error, lang), *self.on_library_view(lang))

    def on_library_remove(self, doc_id: str | None, key: str | None, lang: str):
        """Remove the chosen document; (status, table, choices)."""
        lang = lang_of(lang)
        try:
            check_api_key(self.ctx.settings, key)
            if not doc_id:
                return (notice(esc(t("library_no_choice", lang)), "empty"), *self.on_library_view(lang))
            library.remove(self.ctx.holder, self.ctx.settings, doc_id)
            return (notice(esc(t("library_removed", lang, doc=doc_id)), "info"), *self.on_library_view(lang))
        except Exception as error:
            return (error_html(error, lang), *self.on_library_view(lang))

    def layout(self, lang: str) -> None:
        L = self.ctx.label
        with L(gr.Tab(t("tab_library", lang), id="library", elem_id="tab-library"), label="tab_library"):
            L(gr.Markdown(t("library_intro", lang), elem_classes=["rus-intro"]), value="intro:library_intro")
            self.table = gr.HTML("", elem_id="library-table")
            self.status = gr.HTML("", elem_id="library-status")
            with gr.Row():
                with gr.Column(scale=3):
                    self._add_layout(lang)
                with gr.Column(scale=2):
                    L(gr.Markdown(f"### {t('library_remove_heading', lang)}"), value="heading:library_remove_heading")
                    self.choice = L(
                        gr.Dropdown(
                            choices=[], value=None, label=t("library_remove_choice", lang), elem_id="library-choice"
                        ),
                        label="library_remove_choice",
                    )
                    self.remove = self.ctx.button(
                        "library_remove_button", lang, variant="stop", elem_id="library-remove"
                    )
                    self.key = L(
                        gr.Textbox(label=t("library_key_input", lang), type="password", elem_id="library-key"),
                        label="library_key_input",
                    )

    def _add_layout(self, lang: str) -> None:
        """The add form: the file, its title, kind and year, and the button."""
        L = self.ctx.label
        L(gr.Markdown(f"### {t('library_add_heading', lang)}"), value="heading:library_add_heading")
        self.file = self.ctx.file_input("library_file_input", lang, elem_id="library-upload", height=120)
        with gr.Row():
            self.title = L(
                gr.Textbox(label=t("library_title_input", lang), elem_id="library-title", scale=3),
                label="library_title_input",
            )
            self.kind = L(
                gr.Dropdown(
                    choices=["", *library.document_kinds()],
                    value="",
                    label=t("library_kind_input", lang),
                    elem_id="library-kind",
                    scale=1,
                ),
                label="library_kind_input",
            )
            self.year = L(
                gr.Textbox(label=t("library_year_input", lang), elem_id="library-year", scale=1),
                label="library_year_input",
            )
        self.add = self.ctx.button("library_add_button", lang, variant="primary", elem_id="library-add")

    def wire(self, language: gr.Radio) -> None:
        outputs = [self.status, self.table, self.choice]
        inputs = [self.file, self.title, self.kind, self.year, self.key, language]
        self.add.click(self.on_library_add, inputs, outputs, **PRIVATE)
        self.remove.click(self.on_library_remove, [self.choice, self.key, language], outputs, **PRIVATE)
