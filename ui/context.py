"""What every tab shares: the service objects (`UIContext`), the interface language, the relabelling that the
language switch uses, and the friendly wording of any failure."""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr

from service.errors import Busy, EmptyInput, IndexUnavailable, InputTooLong, NotFound, OverTimeBudget, ServiceError
from service.feedback import FeedbackStore
from service.library.uploads import UPLOAD_SUFFIXES, DocumentReader, DocumentRefused
from service.limits import HeavyWork, Limits
from service.settings import Settings
from service.state import Corpus, IndexHolder
from ui import render
from ui.examples import EXAMPLE_DESCRIPTIONS, EXAMPLE_QUESTIONS
from ui.render import esc, notice, placeholder
from ui.texts import DEFAULT_LANGUAGE, TEXTS, t

log = logging.getLogger("rus.ui")

PRIVATE = {"api_visibility": "private"}  # events are not part of an API: the HTTP API is the FastAPI one
EXAMPLES_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-example]');
  if (button) trigger('click', {example: button.dataset.example});
});
"""

Labelled = gr.components.Component | gr.blocks.BlockContext


class UIContext:
    """The service objects the tabs' handlers use (shared with the API when the UI is mounted in it) and the
    components whose texts follow the interface language.

    With `feedback_endpoint` (the API's POST /v1/feedback) every answer and match gets 👍/👎 controls."""

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
        self.relabel: list[tuple[Labelled, dict[str, str]]] = []

    def corpus(self) -> Corpus:
        return self.holder.get()

    def label(self, component, **keys: str):
        """Remember which texts a component shows (property → text key), so the language switch can relabel it."""
        self.relabel.append((component, keys))
        return component

    def button(self, key: str, lang: str, **options: Any) -> gr.Button:
        """A button reading the text `key`."""
        return self.label(gr.Button(t(key, lang), **options), value=key)

    def text_input(self, key: str, lang: str, **options: Any) -> gr.Textbox:
        """A text box labelled with the text `key`, its placeholder the text `<key>_placeholder`."""
        hint = f"{key}_placeholder"
        textbox = gr.Textbox(label=t(key, lang), placeholder=t(hint, lang), **options)
        return self.label(textbox, label=key, placeholder=hint)

    def file_input(self, key: str, lang: str, **options: Any) -> gr.File:
        """One file of a type the service reads (service.library.uploads), labelled with the text `key`."""
        upload = gr.File(label=t(key, lang), file_types=list(UPLOAD_SUFFIXES), type="filepath", file_count="single",
                         **options)  # fmt: skip
        return self.label(upload, label=key)

    def examples(self, tab: str, lang: str) -> gr.HTML:
        """The example list of the tab `tab` ("ask" or "match"); a click reports its example (on_example)."""
        key = f"examples:{tab}"
        return self.label(gr.HTML(text_for(key, lang), js_on_load=EXAMPLES_JS, elem_id=f"{tab}-examples"), value=key)

    def result(self, key: str, lang: str, **options: Any) -> gr.HTML:
        """Where a tab's result appears, showing the text `key` as a placeholder until then."""
        return self.label(gr.HTML(placeholder(t(key, lang)), **options), value=f"placeholder_html:{key}")

    def relabelled(self, lang: str) -> list[dict]:
        """One update per remembered component with its texts in `lang`."""
        return [gr.update(**{prop: text_for(key, lang) for prop, key in keys.items()}) for _, keys in self.relabel]


def lang_of(value: str | None) -> str:
    """The interface language chosen, Swedish unless it is one the UI knows."""
    return value if value in TEXTS else DEFAULT_LANGUAGE


def header_html(lang: str) -> str:
    return (
        f'<div><span class="rus-brand">Region Västerbotten · RUS 2020–2030</span>'
        f"<h1>{esc(t('title', lang))}</h1><p>{esc(t('subtitle', lang))}</p></div>"
    )


def text_for(key: str, lang: str) -> str:
    """The text a relabelled component shows for `key`: a plain text, or one of the composed ones named by a
    prefix (an intro, a heading, a placeholder, the examples, the header and the footer)."""
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


def on_example(evt: gr.EventData):
    """The example a click in an examples list chose, into the text box it fills."""
    text = getattr(evt, "_data", {}).get("example") if evt is not None else None
    return gr.update(value=text) if text else gr.update()


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
