"""The API's error handlers: every failure answered with the one JSON error shape (service.errors.error_body)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import ServiceError, error_body

log = logging.getLogger("rus.service")
BODY_PARSE_ERROR = "There was an error parsing the body"


def error_response(status: int, code: str, message: str, field: str | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(code, message, field, **extra), status_code=status)


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
        kind = first.get("type")
        if kind == "missing":
            message = f"'{field}' is required" if field else "the request needs a JSON body"
        elif kind == "json_invalid":
            field, message = None, "the request body is not valid JSON"
        elif kind == "extra_forbidden":
            message = f"'{field}' is not a field of this request"
        elif field is None and kind in ("model_attributes_type", "dict_type"):
            message = "the request body must be a JSON object (send it with Content-Type: application/json)"
        elif field:
            message = f"'{field}': {message}"
        details = [
            {"field": None if e.get("type") == "json_invalid" else _field_of(e.get("loc", ())), "message": e.get("msg")}
            for e in errors
        ]
        return error_response(422, "invalid_input", message, field, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:  # FastAPI's words for a body it cannot decode
            return error_response(422, "invalid_input", "the request body is not valid JSON in UTF-8")
        codes = {404: "not_found", 405: "method_not_allowed", 413: "input_too_long"}
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        response = error_response(exc.status_code, codes.get(exc.status_code, "http_error"), message)
        response.headers.update(exc.headers or {})  # e.g. Allow on 405
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")
