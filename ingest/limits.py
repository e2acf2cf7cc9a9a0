"""Resource limits for reading one document (size, pages, decompressed streams, text, time).

The values are set in one place — `service.settings.Settings` (env RUS_MAX_*), turned into checks by
`service.limits` — and used by the API (uploads), the CLI (`rus index build`) and ingest alike.
Ingest takes an `IngestLimits`; when none is given it asks `service.limits` for the configured ones.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from pypdf import apply_configuration


@dataclass(frozen=True)
class IngestLimits:
    max_file_bytes: int
    max_pdf_pages: int
    max_stream_bytes: int
    max_document_chars: int
    max_extract_seconds: float

    def deadline(self) -> float:
        return time.monotonic() + self.max_extract_seconds


def default_limits() -> IngestLimits:
    from service.limits import current_limits  # the configured values (Settings)

    return current_limits().ingest


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
