"""Request-body limits for the mounted UI (no gradio import here: the API app imports this early).

The API refuses bodies over `max_body_bytes` (64 kB) before parsing them. Under the UI's path Gradio
carries file uploads (an application PDF) and pasted text, and Gradio enforces its own upload cap
(`max_file_size`, set by ui.app.mount_options); the UI then checks sizes and lengths itself and answers
with a friendly message instead of a bare 413. So paths under the UI get a limit that fits the largest
upload Gradio accepts; every other path keeps the API's limits unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.limits import MULTIPART_OVERHEAD, Limits
from service.settings import Settings

UPLOAD_HARD_CAP = 4  # Gradio refuses uploads over this many times ui_max_upload_bytes before they reach the UI


def ui_upload_cap(settings: Settings) -> int:
    """The largest file Gradio accepts (the UI reads only up to ui_max_upload_bytes and explains the rest)."""
    return settings.ui_max_upload_bytes * UPLOAD_HARD_CAP


@dataclass(frozen=True)
class UILimits(Limits):
    ui_prefix: str = "/ui"
    ui_body_bytes: int = 0

    def body_limit(self, path: str) -> int:
        if path == self.ui_prefix or path.startswith(self.ui_prefix + "/"):
            return max(self.ui_body_bytes, self.max_body_bytes)
        return super().body_limit(path)


def with_ui(limits: Limits, settings: Settings) -> Limits:
    """`limits` plus the UI's larger body limit under settings.ui_path (unchanged when the UI is off)."""
    if not settings.ui_enabled:
        return limits
    fields = {name: getattr(limits, name) for name in Limits.__dataclass_fields__}
    prefix = "/" + settings.ui_path.strip("/")
    return UILimits(**fields, ui_prefix=prefix, ui_body_bytes=ui_upload_cap(settings) + MULTIPART_OVERHEAD)
