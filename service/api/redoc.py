"""/redoc served offline: ReDoc's script from the fastapi-offline package, without its one request to a CDN.

The bundled ReDoc always shows a "Redocly" logo loaded from cdn.redoc.ly in its side menu; the script is
served here with that address replaced by an empty data: URL (the image then hides itself), so the page
reaches no other host. /docs (Swagger UI) needs no change: FastAPIOffline serves it from the same package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, Response

REDOC_JS = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"
CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
SCRIPT_PATH = "/docs-assets/redoc.standalone.js"
FAVICON = "/static-offline-docs/favicon.png"  # mounted by FastAPIOffline


@cache
def redoc_script() -> str:
    """The packaged ReDoc bundle with the CDN logo address emptied (read once, about 1 MB)."""
    return REDOC_JS.read_text(encoding="utf-8").replace(CDN_LOGO, "data:,")


def install_redoc(app: FastAPI, path: str = "/redoc") -> None:
    """GET `path`: ReDoc on the app's OpenAPI document, every asset from this server."""

    @app.get(SCRIPT_PATH, include_in_schema=False)
    def redoc_js() -> Response:
        return Response(redoc_script(), media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get(path, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - ReDoc",
            redoc_js_url=SCRIPT_PATH,
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )
