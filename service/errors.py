"""Errors the service functions raise, and the one JSON error shape the API answers with.

Every error response looks like ``{"error": {"code": "...", "message": "...", "field": "..."}}``
(``field`` only when one input field is at fault). The domain modules raise `ServiceError`
subclasses so the API and the Gradio UI report problems the same way.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("rus.service")

BUILD_HINT = "build it with `rus index build` (or `make index`)"


class ServiceError(Exception):
    """A problem with a request or with the service's state that the caller can act on.

    A subclass names its HTTP status and error code as class keywords, e.g.
    ``class NotFound(ServiceError, status=404, code="not_found")``; one it leaves out is inherited.
    """

    status: int = 400
    code: str = "bad_request"

    def __init_subclass__(cls, status: int | None = None, code: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers: dict[str, str] = {}  # added to the HTTP response (e.g. Retry-After)
        self.details: dict[str, Any] = {}  # added to the JSON error (e.g. the ingest refusal code)


class InvalidInput(ServiceError, status=422, code="invalid_input"):
    """Input that breaks a rule of the request; `field` names it when one input is at fault."""


class EmptyInput(InvalidInput, code="empty_input"):
    def __init__(self, field: str) -> None:
        super().__init__(f"'{field}' must not be empty or only whitespace", field)


class InputTooLong(ServiceError, status=413, code="input_too_long"):
    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(f"'{field}' is {length} characters long; the limit is {limit} characters", field)
        self.limit = limit


class NotFound(ServiceError, status=404, code="not_found"):
    """What the request names does not exist."""


class EncoderBusy(ServiceError, status=503, code="busy"):
    """Too many queries are waiting for the query encoder (index.microbatch.QueueFull)."""


class Busy(ServiceError, status=503, code="busy"):
    """Every slot for this kind of work is taken; the client should retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers["Retry-After"] = str(max(1, int(retry_after)))


class OverTimeBudget(ServiceError, status=503, code="over_time_budget"):
    """A request ran past its time budget of `seconds` and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the request took longer than its time budget of {seconds:g} s and was stopped; "
            "try a shorter text or try again later"
        )
        self.seconds = seconds


class IndexUnavailable(ServiceError, status=503, code="index_unavailable"):
    """No index is loaded (none built yet, or it cannot be read)."""


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    error.update(extra)
    return {"error": error}


def error_response(status: int, code: str, message: str, field: str | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, field, **extra), status_code=status)


# control characters other than whitespace (tab, line feed, vertical tab, form feed, carriage return, NEL)
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def require_text(value: str | None, field: str, limit: int) -> str:
    """The stripped text, or EmptyInput / InputTooLong / InvalidInput (control characters) naming the field."""
    text = (value or "").strip()
    if not text:
        raise EmptyInput(field)
    if len(text) > limit:
        raise InputTooLong(field, len(text), limit)
    if CONTROL.search(text):
        raise InvalidInput(f"'{field}' contains control characters (such as NUL); send plain text", field)
    if SURROGATE.search(text):
        raise InvalidInput(f"'{field}' is not valid Unicode (unpaired surrogate)", field)
    return text


def require_k(k: int, limit: int, field: str = "k") -> int:
    if not 1 <= k <= limit:
        raise InvalidInput(f"'{field}' must be between 1 and {limit}, got {k}", field)
    return k


def _field_of(location: tuple | list) -> str | None:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to the JSON error shape; only genuine bugs become a 500."""

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        response = error_response(exc.status, exc.code, exc.message, exc.field, **exc.details)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        field = _field_of(first.get("loc", ()))
        message = first.get("msg", "invalid request")
        if first.get("type") == "missing":
            message = f"'{field}' is required"
        elif first.get("type") == "json_invalid":
            field, message = None, "the request body is not valid JSON"
        elif field:
            message = f"'{field}': {message}"
        details = [{"field": _field_of(e.get("loc", ())), "message": e.get("msg")} for e in errors]
        return error_response(422, "invalid_input", message, field, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "input_too_long"}
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        response = error_response(exc.status_code, codes.get(exc.status_code, "http_error"), message)
        response.headers.update(exc.headers or {})  # e.g. Allow on 405
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
