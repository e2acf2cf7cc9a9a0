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
