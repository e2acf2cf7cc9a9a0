"""HTTP routes of the document library (service.library.documents): list, original files (open), add and remove
(API key).

* ``GET /v1/documents`` — the documents with title, kind, year, pages and chunks;
* ``GET /v1/documents/{doc_id}/file`` — the original file (PDFs open in the browser; ``#page=N`` works);
  text types are served with ``Content-Security-Policy: sandbox`` so an uploaded HTML file cannot run scripts
  on this origin, DOCX as a download;
* ``POST /v1/documents/library`` — add a file with optional title, kind and year (multipart form; API key); the
  older path ``POST /v1/documents`` is an alias of the same handler (service.limits gives both the upload body
  limit, RUS_MAX_FILE_BYTES + 64 KiB);
* ``DELETE /v1/documents/{doc_id}`` — remove a document (API key).
Library writes are refused (409) while a background rebuild runs: that rebuild would replace their result.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.types import Message, Receive, Scope, Send

from ingest.formats import FORMATS_IN_WORDS
from service.api.admin import ADMIN_ERRORS, require_api_key
from service.library import documents as library
from service.limits import LIBRARY_UPLOAD_ALIAS, LIBRARY_UPLOAD_PATH, send_error
from service.models import DocumentInfo, DocumentsResponse, ErrorResponse
from service.state import Corpus

ATTACHMENT_TYPES = {".docx"}  # browsers cannot show these: offered for saving
SANDBOXED_TYPES = {".html", ".htm", ".md", ".markdown", ".txt"}


def _error(description: str) -> dict:
    return {"model": ErrorResponse, "description": description}


# Starlette's FileResponse answers a Range header it cannot serve itself, as text: these are its statuses
RANGE_REFUSALS = {400: "invalid_range", 416: "range_not_satisfiable"}


class DocumentFileResponse(FileResponse):
    """A kept original file; a Range header it cannot serve gets the API's JSON error, not Starlette's text."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused: list[Message] = []  # the start of Starlette's refusal, held back until its body says why

        async def send_json_refusal(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in RANGE_REFUSALS:
                refused.append(message)
            elif refused and message["type"] == "http.response.body":
                await _send_range_refusal(send, refused[0], message.get("body", b""))
            elif not refused:
                await send(message)

        await super().__call__(scope, receive, send_json_refusal)


async def _send_range_refusal(send: Send, start: Message, reason: bytes) -> None:
    """Starlette's refusal of a Range header (its start message and text body) sent as the API's JSON error."""
    status = start["status"]
    content_range = [(name, value) for name, value in start["headers"] if name.lower() == b"content-range"]
    if status == 416:  # Starlette says the file's size in Content-Range ("bytes */1234") and nothing in the body
        size = content_range[0][1].decode("latin-1").rpartition("/")[2] if content_range else "?"
        message = f"the requested range is outside the file, which has {size} bytes"
    else:
        message = f"the Range header cannot be read: {reason.decode('utf-8', 'replace').strip() or 'malformed'}"
    await send_error(send, status, RANGE_REFUSALS[status], message, headers=content_range, field="Range")


def _corpus(request: Request) -> Corpus:
    return request.app.state.holder.get()


def _no_rebuild_running(request: Request) -> None:
    job = getattr(request.app.state, "rebuild_job", None)
    if job is not None and job.state == "running":
        raise library.Conflict("a rebuild of the index is running; change the library when it has finished")


def install_library(app: FastAPI) -> None:
    """Mount the library routes on the app (its state holds `settings`, `holder` and the rebuild job)."""
    app.include_router(open_router())
    app.include_router(admin_router())


def open_router() -> APIRouter:
    router = APIRouter(tags=["library"])

    @router.get("/v1/documents", response_model=DocumentsResponse, responses={503: _error("No index loaded")})
    def list_documents(request: Request) -> DocumentsResponse:
        """The documents in the index: title, kind, year, pages, chunks and where their original file is served."""
        return library.documents(_corpus(request))

    @router.get(
        "/v1/documents/{doc_id}/file",
        response_class=DocumentFileResponse,
        responses={
            200: {"description": "The original file", "content": {"application/pdf": {}, "text/plain": {}}},
            400: _error("The Range header cannot be read"),
            404: _error("No such document, or no original file kept for it"),
            416: _error("The Range header asks for bytes outside the file"),
            503: _error("No index loaded"),
        },
    )
    def document_file(doc_id: str, request: Request) -> DocumentFileResponse:
        """The document's original file as it was added (append `#page=N` to open a PDF at a page)."""
        found = library.document_file(_corpus(request), doc_id)
        suffix = found.path.suffix.lower()
        headers = {"X-Content-Type-Options": "nosniff"}
        if suffix in SANDBOXED_TYPES:
            headers["Content-Security-Policy"] = "sandbox"
        return DocumentFileResponse(
            found.path,
            media_type=found.media_type,
            filename=found.filename,
            headers=headers,
            content_disposition_type="attachment" if suffix in ATTACHMENT_TYPES else "inline",
        )

    return router


def admin_router() -> APIRouter:
    router = APIRouter(tags=["library"], dependencies=[Depends(require_api_key)])

    responses = {
        **ADMIN_ERRORS,
        409: _error("The file is already in the library, or a rebuild is running"),
        413: _error("The file is over the size limit (RUS_MAX_FILE_BYTES)"),
        415: _error(f"Not {FORMATS_IN_WORDS}"),
        422: _error("Bad kind or year, an empty file or a document that cannot be read (the reason is given, and "
                    "ingest's code as `refusal`)"),
        503: _error("No index loaded, or every reading slot is taken (see Retry-After)"),
    }

    def add_document(
        request: Request,
        file: Annotated[UploadFile, File(description=f"a document: {FORMATS_IN_WORDS}")],
        title: Annotated[str | None, Form(description="the title (default: the document's own)")] = None,
        kind: Annotated[str | None, Form(description="strategi, plan, program, agenda or annat")] = None,
        year: Annotated[str | None, Form(description="a four-digit year")] = None,
    ) -> DocumentInfo:
        """Add a document to the library: only its text is embedded, and the server serves the new index
        when this returns; needs the API key."""
        _no_rebuild_running(request)
        state = request.app.state
        return library.add_upload(
            state.holder, state.settings, state.reader, file.file, file.filename, title, kind,
            library.parse_year(year),
        )

    for path, in_schema in ((LIBRARY_UPLOAD_PATH, True), (LIBRARY_UPLOAD_ALIAS, False)):  # the alias: older path
        router.add_api_route(
            path, add_document, methods=["POST"], response_model=DocumentInfo, status_code=201, responses=responses,
            include_in_schema=in_schema, name="add_document" if in_schema else "add_document_alias",
        )

    @router.delete(
        "/v1/documents/{doc_id}",
        response_model=DocumentsResponse,
        responses={
            **ADMIN_ERRORS,
            404: _error("No such document"),
            409: _error("It is the only document, or a rebuild is running"),
        },
    )
    def remove_document(doc_id: str, request: Request) -> DocumentsResponse:
        """Remove a document from the library; returns the documents left. Needs the API key."""
        _no_rebuild_running(request)
        return library.remove(request.app.state.holder, request.app.state.settings, doc_id)

    return router
