"""Resource limits for reading one document: bytes, unpacked bytes, pages, characters and time.

Every reader of ingest/formats.py's table works under the same `IngestLimits`; the table names which of them a
format can run into (a text file has no pages and nothing packed).

The default values live here, and only here: `service.settings.Settings` reads its RUS_MAX_* defaults from
`IngestLimits()`, and the entry points (`rus index build`, uploads, the UI) pass the configured limits down
as arguments. Ingest and index never look the configuration up themselves; without limits they use these defaults.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pypdf import apply_configuration

from ingest.errors import IngestError, Refusal


@dataclass(frozen=True)
class IngestLimits:
    max_file_bytes: int = 50_000_000  # a document to ingest or upload (the shared PDF is 0.25 MB; plans 1–20 MB)
    max_pdf_pages: int = 400  # the strategy has 93
    max_stream_bytes: int = 25_000_000  # one decompressed PDF stream (pypdf stops there: PDF bombs)
    max_unpacked_bytes: int = 100_000_000  # a DOCX package's parts together, unpacked (zip bombs)
    max_document_chars: int = 5_000_000  # text extracted from one document
    max_extract_seconds: float = 60.0  # reading one document (checked between pages; a hard kill for uploads)

    def deadline(self) -> float:
        return time.monotonic() + self.max_extract_seconds

    def check_pages(self, path: Path, n_pages: int) -> None:
        """Refuse a PDF with more pages than the limit (IngestError naming both numbers)."""
        if n_pages > self.max_pdf_pages:
            raise IngestError(
                path, f"the PDF has {n_pages} pages; the limit is {self.max_pdf_pages} pages", Refusal.TOO_MANY_PAGES
            )

    def check_time(self, path: Path, deadline: float, where: str) -> None:
        """Refuse a document whose reading has passed `deadline` (IngestError saying where it stopped)."""
        if time.monotonic() > deadline:
            raise IngestError(
                path, f"reading the text took longer than {self.max_extract_seconds:g} s (stopped at {where})",
                Refusal.TOO_SLOW,
            )

    def check_chars(self, path: Path, n_chars: int) -> None:
        """Refuse a document holding more text than the limit."""
        if n_chars > self.max_document_chars:
            raise IngestError(
                path, f"the document holds more than {self.max_document_chars:,} characters of text (the limit)",
                Refusal.TOO_MUCH_TEXT,
            )


@contextlib.contextmanager
def pdf_limits(limits: IngestLimits) -> Iterator[None]:
    """Bound pypdf's work: every decompressed stream (zlib, LZW, run-length, …) stops at max_stream_bytes."""
    cap = limits.max_stream_bytes
    with apply_configuration(
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        brotli_maximum_output_length=cap,
        jbig2_maximum_output_length=cap,
        array_based_stream_maximum_output_length=cap,
        image_maximum_buffer_size=cap,
        stream_decoding_work_maximum_length=max(cap * 4, 1),
    ):
        yield
