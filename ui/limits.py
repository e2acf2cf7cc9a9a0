"""Request-body limits for the mounted UI (no gradio import here: the API app imports this early).

The API refuses bodies over `max_body_bytes` (64 kB) before parsing them. Under the UI's path Gradio
carries file uploads (an application PDF) and pasted text, and Gradio enforces its own upload cap
(`max_file_size`, set by ui.app.mount_options); the UI then checks sizes and lengths itself and answers
with a friendly message instead of a bare 413. So paths under the UI get a limit that fits the largest
upload Gradio accepts; every other path keeps the API's limits unchanged. Gradio keeps each uploaded file for an
hour or two, so the space its upload folder may take is bounded too (`UploadSpaceMiddleware`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread

from service.library.uploads import human_size
from service.limits import MULTIPART_OVERHEAD, Limits, send_error
from service.settings import Settings

UPLOAD_HARD_CAP = 4  # Gradio refuses uploads over this many times ui_max_upload_bytes before they reach the UI


def ui_upload_cap(settings: Settings) -> int:
    """The largest file Gradio accepts (the UI reads only up to ui_max_upload_bytes and explains the rest)."""
    return settings.ui_max_upload_bytes * UPLOAD_HARD_CAP


def ui_body_limit(settings: Settings) -> int:
    """The largest request body under the UI's path: Gradio's upload cap plus the multipart framing."""
    return ui_upload_cap(settings) + MULTIPART_OVERHEAD


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
    return UILimits(**fields, ui_prefix=settings.ui_prefix(), ui_body_bytes=ui_body_limit(settings))


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under `folder` (0 when it does not exist); files deleted meanwhile are skipped."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name), follow_symlinks=False).st_size
            except OSError:
                continue
    return total


class UploadSpaceMiddleware:
    """Refuse a file sent to Gradio's upload route when the UI's upload folder, with the uploads under way, would
    hold more than `budget` bytes: 507 with the JSON error shape, before Gradio writes anything. Gradio deletes an
    upload only after an hour or two (ui.app's delete_cache), so without a bound anonymous uploads could fill the
    disk. An upload under way counts with its declared size (at most the UI's body limit, which it counts when the
    upload declares none) until its response is sent; the event loop runs the check and the reservation without a
    pause between them."""

    def __init__(self, app, folder: Path, budget: int, upload_path: str, undeclared_size: int) -> None:
        self.app = app
        self.folder = folder
        self.budget = budget
        self.upload_path = upload_path
        self.undeclared_size = undeclared_size
        self._under_way = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != self.upload_path:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"").strip()
        # a declared size over the body limit is the body limit's to refuse (413), not this space's
        size = min(int(declared), self.undeclared_size) if declared.isdigit() else self.undeclared_size
        stored = await anyio.to_thread.run_sync(folder_bytes, self.folder)
        if stored + self._under_way + size > self.budget:
            message = (f"the upload space is full ({human_size(stored)} of {human_size(self.budget)} in use); uploaded "
                       "files are removed one to two hours after they arrive, so try again later")
            await send_error(send, 507, "upload_space_full", message)
            return
        self._under_way += size
        try:
            await self.app(scope, receive, send)
        finally:
            self._under_way -= size
