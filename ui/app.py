"""The Gradio Blocks UI: Ask, Find my sub-priority, Alignment check, Browse, Library and Evaluation.

Every tab calls the same domain functions as the HTTP API (service.answering: answers.ask,
matching.match/align, sections.*) on the corpus held by the app's `IndexHolder`; ui.render only lays the results out.
`mount_ui(app, holder, settings, reader, heavy)` mounts it in the FastAPI app (at settings.ui_path, default /ui);
`python -m ui` serves it alone in `standalone_app`, behind the same guards.

Offline by construction: analytics off (GRADIO_ANALYTICS_ENABLED=False, set in ui/__init__.py before gradio is
imported), system fonts only (no Google Fonts), no footer links, no run history, no PWA, no SSR.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from gradio.utils import get_upload_folder

from service.library.uploads import DocumentReader
from service.limits import BodyLimitMiddleware, HeavyWork, Limits
from service.settings import Settings
from service.state import IndexHolder
from ui import render
from ui.context import PRIVATE, UIContext, error_html, header_html, lang_of, text_for
from ui.limits import UploadSpaceMiddleware, ui_body_limit, ui_upload_cap, with_ui
from ui.tabs.align import AlignTab
from ui.tabs.ask import AskTab
from ui.tabs.browse import BrowseTab
from ui.tabs.evaluation import EvaluationTab
from ui.tabs.library import LibraryTab
from ui.tabs.match import MatchTab
from ui.texts import DEFAULT_LANGUAGE, LANGUAGES, t

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
SET_PAGE_LANGUAGE_JS = "(lang) => { document.documentElement.lang = lang; }"
FEEDBACK_ENDPOINT = "/v1/feedback"  # the API route the feedback controls post to (service/api/feedback.py)
READY = '<span class="rus-ready" hidden></span>'  # the banner once the page's load event found the index


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

# --- the UI ---------------------------------------------------------------------------------------


class RusUI:
    """Composes the tabs (ui/tabs/, one module each with its layout, handlers and events) around the context they
    share (`ctx`: the service objects, the relabelling) into the Blocks, and owns what spans them: the header and
    language switch, the page load and a shared link's result.

    Each handler takes the interface language as its last input. The tabs' handlers are exposed here too
    (`on_ask`, `on_match`, `on_align`, `on_browse`, `eval_view`, `on_eval_run`) for callers that drive the UI
    without a browser."""

    def __init__(self, ctx: UIContext) -> None:
        self.ctx = ctx
        self.ask, self.match, self.align = AskTab(self.ctx), MatchTab(self.ctx), AlignTab(self.ctx)
        self.browse, self.library, self.evaluation = BrowseTab(self.ctx), LibraryTab(self.ctx), EvaluationTab(self.ctx)
        self.on_ask, self.on_match, self.on_align = self.ask.on_ask, self.match.on_match, self.align.on_align
        self.on_browse, self.eval_view, self.on_eval_run = (
            self.browse.on_browse, self.evaluation.eval_view, self.evaluation.on_eval_run
        )  # fmt: skip

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.ctx.settings = settings

    @property
    def heavy(self) -> HeavyWork:
        return self.ctx.heavy

    def on_load(self, lang: str, request: gr.Request | None = None):
        """Page load: the index banner, the tree and its choices, the evaluation report and feedback summary;
        and a shared link's result: /ui/?q=… asks the question, /ui/?match=… matches the description."""
        lang = lang_of(lang)
        banner, tree_html, dropdown = READY, "", gr.update(choices=[], value=None)
        try:
            tree = self.browse.section_tree()
            tree_html = render.tree_html(tree, lang)
            dropdown = gr.update(choices=render.section_choices(tree), value=None)
        except Exception as error:
            banner = error_html(error, lang)
        shared = self.shared_result(dict(request.query_params) if request is not None else {}, lang)
        evaluation = self.evaluation
        return (banner, tree_html, dropdown, *evaluation.eval_view(None, lang), evaluation.feedback_summary(lang),
                *shared)  # fmt: skip

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

    def on_language(self, lang: str, browse_key: str | None):
        """Every remembered component's texts in the new language, and the Browse tab redrawn in it."""
        lang = lang_of(lang)
        detail, tree_html = self.on_browse(browse_key, lang)
        return (*self.ctx.relabelled(lang), detail, tree_html)

    def build(self) -> gr.Blocks:
        lang = DEFAULT_LANGUAGE
        L = self.ctx.label
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
                for tab in (self.ask, self.match, self.align, self.browse, self.library, self.evaluation):
                    tab.layout(lang)
            L(gr.HTML(text_for("footer", lang)), value="footer")
            self._wire(demo, language, banner, tabs)
        self.components = {"header": header, "question": self.ask.question}
        return demo

    def _wire(self, demo: gr.Blocks, language: gr.Radio, banner: gr.HTML, tabs: gr.Tabs) -> None:
        """The tabs' own events, then those spanning tabs: the language switch and the page load."""
        # alignment and match share one pool of max_heavy_jobs workers; more requests wait in Gradio's queue
        heavy = {**PRIVATE, "concurrency_limit": self.heavy.slots, "concurrency_id": "heavy"}
        self.ask.wire(language)
        self.match.wire(language, heavy)
        self.align.wire(language, heavy)
        self.browse.wire(language)
        self.evaluation.wire(language)
        browse, evaluation = self.browse, self.evaluation
        language.change(
            self.on_language,
            [language, browse.choice],
            [*(c for c, _ in self.ctx.relabel), browse.detail, browse.tree],
            **PRIVATE,
        )
        language.change(evaluation.feedback_summary, [language], [evaluation.feedback], **PRIVATE)
        for event in (language.change, demo.load):  # screen readers read the page in the chosen language
            event(None, [language], None, js=SET_PAGE_LANGUAGE_JS, **PRIVATE)
        demo.load(
            self.on_load,
            [language],
            [banner, browse.tree, browse.choice, evaluation.choice, evaluation.report, evaluation.plots,
             evaluation.feedback, self.ask.question, self.ask.answer, self.match.description, self.match.results,
             tabs],
            **PRIVATE,
        )  # fmt: skip
        self.library.wire(language)
        demo.load(self.library.on_library_view, [language], [self.library.table, self.library.choice], **PRIVATE)


def build_ui(
    holder: IndexHolder,
    settings: Settings,
    feedback_endpoint: str | None = None,
    reader: DocumentReader | None = None,
    heavy: HeavyWork | None = None,
) -> gr.Blocks:
    return RusUI(UIContext(holder, settings, feedback_endpoint, reader, heavy)).build()


def mount_options(settings: Settings) -> dict:
    """The keyword arguments of mount_gradio_app: offline theme and CSS, the upload cap, no extras."""
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
    app: FastAPI,
    holder: IndexHolder,
    settings: Settings,
    reader: DocumentReader,
    heavy: HeavyWork,
    feedback_endpoint: str | None = FEEDBACK_ENDPOINT,
) -> FastAPI:
    """Mount the UI on a FastAPI app (the API's, or `standalone_app`'s) at settings.ui_path, sharing its index
    holder, its file reader and its bound on heavy work; feedback controls post to `feedback_endpoint` (None: none)."""
    blocks = build_ui(holder, settings, feedback_endpoint, reader, heavy)
    path = settings.ui_prefix()

    # Gradio's page links its web manifest at the site root, and browsers ask the root for a favicon
    @app.get("/manifest.json", include_in_schema=False)
    def manifest() -> RedirectResponse:
        return RedirectResponse(f"{path}/manifest.json")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse(f"{path}/favicon.ico")

    # Gradio's upload route may fill its folder only up to settings.ui_upload_space_bytes (ui/limits.py)
    app.add_middleware(
        UploadSpaceMiddleware, folder=Path(get_upload_folder()), budget=settings.ui_upload_space_bytes,
        upload_path=f"{path}/gradio_api/upload", undeclared_size=ui_body_limit(settings),
    )
    return gr.mount_gradio_app(app, blocks, path=path, run_history=False, **mount_options(settings))


def standalone_app(settings: Settings, holder: IndexHolder | None = None) -> FastAPI:
    """The UI alone (no HTTP API, so no feedback controls) behind the guards of the mounted UI: the body limit, with
    room for Gradio's uploads under settings.ui_path, the bound on Gradio's upload folder, the sandboxed file reader
    and the bound on heavy work. The index is loaded at startup; / redirects to the UI."""
    settings = settings.model_copy(update={"ui_enabled": True})  # the UI's body limit applies under its path
    holder = holder or IndexHolder.from_settings(settings)
    app = FastAPI(lifespan=holder.serving, openapi_url=None, docs_url=None, redoc_url=None)
    limits = Limits.from_settings(settings)
    app.add_middleware(BodyLimitMiddleware, limits=with_ui(limits, settings))
    reader = DocumentReader(limits, settings.max_concurrent_uploads)
    mount_ui(app, holder, settings, reader, HeavyWork.from_settings(settings), feedback_endpoint=None)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(settings.ui_prefix() + "/")

    return app


def launch(settings: Settings, on_start: Callable[[str], None] | None = None) -> None:
    """Serve `standalone_app` with uvicorn: `python -m ui` (which reads the settings)."""
    import uvicorn

    app = standalone_app(settings)
    if on_start:
        on_start(f"http://{settings.host}:{settings.port}{settings.ui_prefix()}/")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
