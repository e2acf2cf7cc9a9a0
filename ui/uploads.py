"""Fitting an uploaded application's text to what the alignment check reads.

The file itself is read by the service (service.library.uploads.DocumentReader: ingest's reader for its format, in a
sandboxed child, under the document limits); the UI only shortens the text to the check's character limit.
"""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at the last sentence or line end when there is one
    in the last third (the service checks at most `limit` characters)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = [m.end() for m in SENTENCE_END.finditer(head)]
    cut = ends[-1] if ends and ends[-1] >= limit * 2 // 3 else limit
    return head[:cut].strip()
