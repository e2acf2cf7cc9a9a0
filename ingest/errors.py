"""The one error type ingest raises for a file it cannot read, with a machine-readable code.

Callers (the API, the UI, the CLI) choose their own words from `IngestError.code`; the message (`reason`) is for
people and logs, and nothing parses it.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class Refusal(StrEnum):
    """Why a file was not read."""

    NOT_FOUND = "not_found"  # no such file
    UNREADABLE = "unreadable"  # the file is there but cannot be opened (permissions)
    UNSUPPORTED_TYPE = "unsupported_type"  # a suffix no reader handles
    EMPTY = "empty"  # zero bytes, or only whitespace
    TOO_LARGE = "too_large"  # over max_file_bytes
    UNPACKS_TOO_LARGE = "unpacks_too_large"  # a zip or stream bomb: over max_unpacked_bytes / max_stream_bytes
    TOO_MANY_PAGES = "too_many_pages"  # over max_pdf_pages
    TOO_MUCH_TEXT = "too_much_text"  # over max_document_chars
    TOO_SLOW = "too_slow"  # reading took longer than max_extract_seconds
    ENCRYPTED = "encrypted"  # a password-protected PDF
    NO_TEXT_LAYER = "no_text_layer"  # an image-only (scanned) PDF
    WRONG_FORMAT = "wrong_format"  # the bytes are not what the suffix says (not a PDF, an old .doc as .docx)
    NOT_TEXT = "not_text"  # binary data in a text file
    DAMAGED = "damaged"  # a broken file of the right type
    NO_TEXT = "no_text"  # nothing left after removing headers, footers, links and debris


class IngestError(Exception):
    """A file could not be ingested; `code` says why, the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str, code: Refusal) -> None:
        self.path = Path(path)
        self.reason = reason
        self.code = Refusal(code)
        super().__init__(f"{self.path.name}: {reason}")
