"""The file types the project reads, defined together: documents to index, and applications checked in the UI.

Documents (`rus index build`, `rus docs add`, POST /v1/documents) may be PDF, DOCX, HTML, Markdown or plain text;
an application uploaded in the UI's alignment tab is read by ui/uploads.py from its own, smaller list.
"""

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
APPLICATION_SUFFIXES: tuple[str, ...] = (".pdf", ".docx", ".txt", ".md")


def is_supported(suffix: str) -> bool:
    """Whether a file suffix (with its dot, any case) names a document type that can be ingested."""
    return suffix.lower() in DOCUMENT_FORMATS
