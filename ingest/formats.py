"""The one list of document file types the project ingests (read by the CLI, the service and the UI)."""

from __future__ import annotations

# file suffix → the reader that handles it (see ingest.load.load_document)
DOCUMENT_FORMATS: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "text",
    ".markdown": "text",
    ".txt": "text",
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(DOCUMENT_FORMATS)
FORMATS_IN_WORDS = "PDF, DOCX, HTML, Markdown (.md) or plain text (.txt)"


def is_supported(suffix: str) -> bool:
    """Whether a file suffix (with its dot, any case) names a type that can be ingested."""
    return suffix.lower() in DOCUMENT_FORMATS
