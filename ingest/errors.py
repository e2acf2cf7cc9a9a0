"""The one error type ingest raises for a file it cannot read."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file could not be ingested; the message names the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")
