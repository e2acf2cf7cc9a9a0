"""Errors the service functions raise, the checks of their inputs, and the one JSON error shape (`error_body`).

Every error response looks like ``{"error": {"code": "...", "message": "...", "field": "..."}}``
(``field`` only when one input field is at fault). The domain modules raise `ServiceError`
subclasses so the API and the Gradio UI report problems the same way. Free of web-framework imports: the API's
handlers that turn these errors into responses are in service/api/errors.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

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
    """Too many queries are waiting: for the query encoder (index.microbatch.QueueFull) or for the threads that
    searches and answers run on (service.limits.QueryThreads)."""


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


# control characters other than whitespace (tab, line feed, vertical tab, form feed, carriage return, NEL)
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")


def no_such_document(doc: str, documents: Iterable[str]) -> str:
    """The words for a document id the index does not hold, listing the ids it does (`documents`)."""
    return f"no document {doc!r} in the index; the documents are: {', '.join(documents) or 'none'}"


def require_text(value: str | None, field: str, limit: int) -> str:
    """The stripped text, or EmptyInput / InputTooLong / InvalidInput (control characters, no letter or digit at
    all: invisible characters, undecodable bytes, punctuation) naming the field."""
    text = (value or "").strip()
    if not text:
        raise EmptyInput(field)
    if len(text) > limit:
        raise InputTooLong(field, len(text), limit)
    if CONTROL.search(text):
        raise InvalidInput(f"'{field}' contains control characters (such as NUL); send plain text", field)
    if SURROGATE.search(text):
        raise InvalidInput(f"'{field}' is not valid Unicode (unpaired surrogate)", field)
    if not any(character.isalnum() for character in text):
        undecoded = " (U+FFFD marks bytes that were not valid UTF-8)" if "\ufffd" in text else ""
        raise InvalidInput(f"'{field}' has no letters or digits{undecoded}; send text with words in it", field)
    return text


def require_k(k: int, limit: int, field: str = "k") -> int:
    if not 1 <= k <= limit:
        raise InvalidInput(f"'{field}' must be between 1 and {limit}, got {k}", field)
    return k
