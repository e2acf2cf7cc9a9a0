"""The file types the project reads, defined together: documents to index, and applications checked in the UI.

Documents (`rus index build`, POST /v1/documents, rebuilds of the corpus directory) are PDF, TXT or MD; an
application uploaded in the UI's alignment tab may also be a Word file (DOCX), which ui/uploads.py reads itself.
"""

from __future__ import annotations

SUPPORTED_SUFFIXES: tuple[str, ...] = (".pdf", ".txt", ".md")
APPLICATION_SUFFIXES: tuple[str, ...] = (".pdf", ".docx", ".txt", ".md")


def describe(suffixes: tuple[str, ...] = SUPPORTED_SUFFIXES) -> str:
    """The types for a message: (".pdf", ".txt", ".md") → "PDF, TXT or MD"."""
    names = [suffix.lstrip(".").upper() for suffix in suffixes]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
