"""Settings from environment variables (prefix RUS_), shared by the CLI, the API and the UI.

Read once where the program is put together (service/cli/main.py's commands, service/api/app.py:create_app,
service/cli/serve.py, the UI's own entry, a child process's main) and passed down as `settings: Settings`."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.limits import IngestLimits

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "rus-vasterbotten-2030.pdf"
VERSION = version("rus-search")  # the installed package's (pyproject.toml), shown by `rus --version` and /docs
INGEST_DEFAULTS = IngestLimits()  # the document limits' defaults are defined (and explained) in ingest/limits.py


# limits and counts that must be at least 1 (RUS_MAX_K=0 is refused where it is read, with the variable's name)
AT_LEAST_ONE = (
    "max_query_chars", "max_text_chars", "max_k", "max_body_bytes", "ask_k", "match_k",
    "max_file_bytes", "max_pdf_pages", "max_stream_bytes", "max_unpacked_bytes", "max_document_chars",
    "max_concurrent_uploads", "max_heavy_jobs", "ui_max_upload_bytes", "ui_upload_space_bytes",
    "feedback_max_body_bytes", "feedback_burst",
)


class Settings(BaseSettings):
    """Where the index and corpus live, which embedder to use, and the service's limits."""

    model_config = SettingsConfigDict(env_prefix="RUS_", extra="ignore")

    index_dir: Path = REPO_ROOT / "data" / "index"
    # translation memories (<doc id>.en.po): the team's English rendering of the strategy (index/translation_memory.py)
    translations_dir: Path = REPO_ROOT / "data" / "translations"
    corpus: list[Path] = [DEFAULT_CORPUS]
    embedder: str = "e5"
    # the e5 engine (index/e5fast): "auto" (the fast build when usable), "fast" (no fallback) or "shipped"
    e5_engine: str = "auto"
    host: str = "127.0.0.1"
    port: int = 8000
    max_query_chars: int = 2000
    max_text_chars: int = 5000
    max_k: int = 50
    # --- API service (issue 4) ---
    max_body_bytes: int = 65_536  # requests with a larger body are refused with 413 before parsing
    ask_k: int = 10  # passages retrieved for /v1/ask
    match_k: int = 3  # sub-priorities returned by /v1/match and checked by /v1/align
    # /v1/ask's answer states: the model and cut-offs in service/answering/decision.py
    # (fitted by `python -m eval.calibrate`)
    # /v1/align: a need/challenge is "addressed" when a supporting sentence gives it at least this confidence
    # (service/answering/claims.py) and "possible" from the lower one; chosen on eval/align_gold_tune.jsonl with
    # `rus eval align` (docs/retrieval.md "Alignment")
    align_confidence_addressed: float = 0.38
    align_confidence_possible: float = 0.2
    # in the checked sub-priorities after the best-matching one a need is claimed from this confidence on (never
    # below align_confidence_addressed); None shows their needs as "possible" and claims none. The same threshold
    # as in the best-matching one since a claim's gap is taken against every need of the strategy (claims.py): on
    # eval/align_multi_tune.jsonl those claims were right 11 of 14 times at 0.38 (12 of 35 at 0.8 before);
    # docs/retrieval.md "Alignment"
    align_confidence_addressed_elsewhere: float | None = 0.38
    embedding_cache_size: int = 4096
    # --- reliability and access (issue 7); service/limits.py turns these into the checks API, CLI and ingest share
    max_file_bytes: int = INGEST_DEFAULTS.max_file_bytes
    max_pdf_pages: int = INGEST_DEFAULTS.max_pdf_pages
    max_stream_bytes: int = INGEST_DEFAULTS.max_stream_bytes
    max_unpacked_bytes: int = INGEST_DEFAULTS.max_unpacked_bytes
    max_document_chars: int = INGEST_DEFAULTS.max_document_chars
    max_extract_seconds: float = INGEST_DEFAULTS.max_extract_seconds
    max_concurrent_uploads: int = 2  # uploaded files read (each in its own child process) at once; more: 503
    # heavy work anyone may start (alignment and match, API and UI together): at most this many at once (the UI
    # queues the rest; an API request waits up to heavy_wait_seconds for a slot, then gets 503 with Retry-After),
    # each stopped (503) after its time budget
    max_heavy_jobs: int = 2
    heavy_wait_seconds: float = 2.0
    heavy_time_budget_seconds: float = 30.0
    heavy_retry_after_seconds: int = 5
    api_key: SecretStr | None = None  # RUS_API_KEY; without it uploads and rebuilds are switched off
    corpus_dir: Path = REPO_ROOT / "data" / "corpus"  # uploads land here (generated names); rebuilds include it
    rebuild_timeout_seconds: float = 1800.0
    cors_origins: list[str] = []  # CORS is off unless origins are listed (RUS_CORS_ORIGINS='["https://…"]')
    # --- Gradio UI (issue 5) ---
    ui_enabled: bool = True  # mount the UI in the API app (RUS_UI_ENABLED=false serves the API alone)
    ui_path: str = "/ui"
    ui_max_upload_bytes: int = 10_000_000  # an application uploaded in the alignment tab (PDF, DOCX, TXT)
    # Gradio keeps every uploaded file for one to two hours (ui.app delete_cache): past this many bytes in its upload
    # folder, uploads under way included, the next upload gets 507 (ui/limits.py UploadSpaceMiddleware)
    ui_upload_space_bytes: int = 2_000_000_000
    eval_reports_dir: Path = REPO_ROOT / "eval" / "reports"  # the Evaluation tab shows report.md + plots from here
    eval_gold: Path = REPO_ROOT.parent / "shared" / "eval" / "dev.jsonl"  # the dev set the Evaluation tab runs
    # --- user feedback (issue 14): service/feedback.py, POST /v1/feedback, `rus feedback`
    feedback_path: Path | None = None  # RUS_FEEDBACK_PATH; default <index_dir>/../feedback.sqlite3
    feedback_max_body_bytes: int = 20_000  # a 5,000-character match description in UTF-8 plus the other fields
    feedback_rate_per_minute: float = 60.0  # per process, all clients together (token bucket)
    feedback_burst: int = 20

    @field_validator("align_confidence_addressed_elsewhere", mode="before")
    @classmethod
    def _none_by_name(cls, value: object) -> object:
        """RUS_ALIGN_CONFIDENCE_ADDRESSED_ELSEWHERE=none: no claims outside the best-matching sub-priority."""
        return None if isinstance(value, str) and value.strip().lower() == "none" else value

    @field_validator(*AT_LEAST_ONE)
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        """A limit or count of 0 or less would refuse everything (or nothing) with nonsense messages."""
        if value < 1:
            raise ValueError(f"must be at least 1, got {value}")
        return value

    def ui_prefix(self) -> str:
        """Where the UI is mounted: ui_path with one leading slash and none after ("/ui", from "ui/" too)."""
        return "/" + self.ui_path.strip("/")

    def feedback_file(self) -> Path:
        """Where feedback is stored: RUS_FEEDBACK_PATH, or feedback.sqlite3 beside the index directory
        (outside it, so rebuilds, which swap builds inside it, keep the feedback)."""
        return self.feedback_path or Path(self.index_dir).resolve().parent / "feedback.sqlite3"


def get_settings() -> Settings:
    """The settings from the environment, read once by each composition point (the `rus` commands, the app, a
    child process) and passed down from there; nothing below those reads the environment."""
    return Settings()
