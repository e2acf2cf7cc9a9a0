"""The file types the project reads, in one table: suffixes, media type, reader and the limits it runs into.

Every way a file comes in reads it through `read_file` — `rus index build`, the library (`rus docs add`, the API's
POST /v1/documents/library, the UI's library tab) and an application uploaded in the UI's alignment tab — so each
format has one reader and every reader works under the same `IngestLimits`. Refusals carry an
`ingest.errors.Refusal` code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import IngestError, Refusal
from ingest.html_reader import read_html
from ingest.limits import IngestLimits
from ingest.models import Extracted
from ingest.pdf import read_pdf
from ingest.text import read_text_document
from ingest.word import MEDIA_TYPE as DOCX_MEDIA_TYPE
from ingest.word import read_docx

Reader = Callable[[Path, IngestLimits, float], Extracted]  # (path, limits, monotonic deadline) → lines, title, pages
# the limits every format can run into: file bytes, extracted characters, reading time
EVERY_FORMAT = ("max_file_bytes", "max_document_chars", "max_extract_seconds")


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]  # lower case, with the dot
    media_type: str  # how the original file is served (GET /v1/documents/{id}/file)
    read: Reader
    limits: tuple[str, ...]  # the IngestLimits fields a file of this format can run into (tested per format)


FORMATS: tuple[Format, ...] = (
    Format("PDF", (".pdf",), "application/pdf", read_pdf, (*EVERY_FORMAT, "max_pdf_pages", "max_stream_bytes")),
    Format(
        "DOCX",
        (".docx",),
        DOCX_MEDIA_TYPE,
        read_docx,
        (*EVERY_FORMAT, "max_unpacked_bytes"),
    ),
    Format("HTML", (".html", ".htm"), "text/html; charset=utf-8", read_html, EVERY_FORMAT),
    Format("Markdown", (".md", ".markdown"), "text/markdown; charset=utf-8", read_text_document, EVERY_FORMAT),
    Format("plain text", (".txt",), "text/plain; charset=utf-8", read_text_document, EVERY_FORMAT),
)
BY_SUFFIX: dict[str, Format] = {suffix: fmt for fmt in FORMATS for suffix in fmt.suffixes}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(BY_SUFFIX)
FORMATS_IN_WORDS = "PDF, DOCX, HTML, Markdown (.md) or plain text (.txt)"


def format_of(suffix: str) -> Format | None:
    """The format a file suffix (with its dot, any case) names; None when no reader handles it."""
    return BY_SUFFIX.get(suffix.lower())


def is_supported(suffix: str) -> bool:
    """Whether a file suffix (with its dot, any case) names a document type that can be ingested."""
    return format_of(suffix) is not None


def media_type(suffix: str) -> str:
    """The media type to serve a file with this suffix as (octet-stream for anything unknown)."""
    fmt = format_of(suffix)
    return fmt.media_type if fmt else "application/octet-stream"


def read_file(path: Path, limits: IngestLimits) -> Extracted:
    """Read one file with its format's reader under `limits`; IngestError with a `Refusal` code otherwise.

    The checks every format shares are made here (the file exists, its type, its size, that it opens, then the
    text and time of what the reader gives); the readers check pages, what is packed, text and time as they go.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "no such file", Refusal.NOT_FOUND)
    fmt = format_of(path.suffix)
    if fmt is None:
        raise IngestError(
            path, f"unsupported file type {path.suffix.lower() or '(none)'}; use {FORMATS_IN_WORDS}",
            Refusal.UNSUPPORTED_TYPE,
        )
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise IngestError(
            path, f"the file is {size:,} bytes; the limit is {limits.max_file_bytes:,} bytes", Refusal.TOO_LARGE
        )
    if size == 0:
        raise IngestError(path, "the file is empty", Refusal.EMPTY)
    try:
        path.open("rb").close()
    except OSError as error:
        raise IngestError(path, f"the file cannot be opened ({error.strerror or error})", Refusal.UNREADABLE) from None
    deadline = time.monotonic() + limits.max_extract_seconds
    extracted = fmt.read(path, limits, deadline)
    limits.check_chars(path, sum(len(line.text) for line in extracted.lines))
    limits.check_time(path, deadline, "the end")
    return extracted
