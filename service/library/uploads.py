"""Files that come in over the network, read safely through ingest's one format table (ingest/formats.py).

Both kinds of upload go through a `DocumentReader`: a document added to the library (the API's
POST /v1/documents/library, the UI's library tab) and an application uploaded in the UI's alignment tab.

* The client's file name is only used for its extension (ingest.formats.SUPPORTED_SUFFIXES); names with
  directories, control characters or NUL are refused.
* The body is copied while counting bytes against the limit (413 past it; nothing more is read).
* The file is then read once with ingest's reader in a child process with a hard time limit and a memory cap,
  so a PDF or zip bomb can neither hang nor swell the server; at most `concurrency` children run at once, and
  a request finding every slot taken gets 503 with Retry-After.
* Ingest's `Refusal` code decides the answer (413 too large, 415 type, 422 the rest) and travels in the JSON
  error as `refusal`; the UI words the same code in Swedish or English (ui/locales/<language>.toml "upload_<code>").

`python -m service.library.uploads document|text FILE` is that child: it prints one JSON line with the document's
description (or its text) or the refusal, using the limits in its environment (RUS_MAX_*).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import BinaryIO, Literal

from ingest.errors import Refusal
from ingest.formats import FORMATS_IN_WORDS, SUPPORTED_SUFFIXES, is_supported
from service.errors import Busy, InvalidInput, ServiceError
from service.limits import Limits

CHECK_MEMORY_BYTES = 2 * 1024**3  # address-space cap of the reading child
COPY_BLOCK = 1 << 20
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
MAX_NAME_BYTES = 255  # the upload is checked under its own name, and file systems stop there (NAME_MAX)
RETRY_AFTER_SECONDS = 5
STATUS = {Refusal.TOO_LARGE: 413, Refusal.UNSUPPORTED_TYPE: 415}  # every other refusal: 422
CODE = {413: "input_too_long", 415: "unsupported_type", 422: "unreadable_document"}  # the API's error codes
EMPTY_CODE = "invalid_input"  # an empty file is bad input rather than an unreadable document
Mode = Literal["document", "text"]
UPLOAD_SUFFIXES: tuple[str, ...] = SUPPORTED_SUFFIXES  # what the UI's file pickers offer: every format ingest reads


class DocumentRefused(ServiceError):
    """A file that will not be read; `refusal` is ingest's code, `params` what the words for it may show."""

    def __init__(self, refusal: Refusal, filename: str, reason: str, **params: object) -> None:
        super().__init__(f"{filename}: {reason}", "file")
        self.refusal = Refusal(refusal)
        self.filename = filename
        self.reason = reason
        self.params = params
        self.status = STATUS.get(self.refusal, 422)
        self.code = EMPTY_CODE if self.refusal == Refusal.EMPTY else CODE[self.status]
        self.details["refusal"] = self.refusal.value


@dataclass(frozen=True)
class DocumentCheck:
    """A document the child could read: its title (None when it has none), pages and sections."""

    title: str | None
    n_pages: int | None
    n_sections: int


@dataclass(frozen=True)
class ApplicationText:
    """An uploaded application's text (paragraphs separated by blank lines) and its page count."""

    name: str
    text: str
    pages: int | None


def human_size(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):.1f} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:.0f} kB"
    return f"{n_bytes} B"


def safe_extension(filename: str | None) -> str:
    """The lower-case suffix of an uploaded file name, or a 4xx explaining what is wrong with the name."""
    name = filename or ""
    if not name.strip():
        raise InvalidInput("the upload has no file name", "file")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise InvalidInput(f"the file name is longer than {MAX_NAME_BYTES} bytes (UTF-8); rename the file", "file")
    if UNSAFE_NAME.search(name):
        raise InvalidInput(
            "the file name must be a plain name: no directories ('/' or '\\'), control characters or NUL", "file"
        )
    if name.strip(". ") == "" or re.match(r"^[A-Za-z]:", name):
        raise InvalidInput("the file name must be a plain name, not a path", "file")
    suffix = Path(name).suffix.lower()
    if not is_supported(suffix):
        raise DocumentRefused(
            Refusal.UNSUPPORTED_TYPE, name, f"unsupported file type {suffix or '(none)'}; upload {FORMATS_IN_WORDS}",
            suffix=suffix or "(none)",
        )
    return suffix


def copy_limited(source: BinaryIO, target: Path, limit: int, filename: str) -> tuple[int, str]:
    """Copy `source` to a new file `target`, refused (413) past `limit` bytes; (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as handle:
        while block := source.read(COPY_BLOCK):
            size += len(block)
            if size > limit:
                raise too_large(filename, size, limit, at_least=True)
            digest.update(block)
            handle.write(block)
    return size, digest.hexdigest()


def too_large(filename: str, size: int, limit: int, at_least: bool = False) -> DocumentRefused:
    return DocumentRefused(
        Refusal.TOO_LARGE, filename, f"the file is {'over ' if at_least else ''}{size:,} bytes; the limit is "
        f"{limit:,} bytes", size=human_size(size), limit=human_size(limit),
    )


class DocumentReader:
    """Reads uploaded files in a sandboxed child under `limits`, at most `concurrency` at once."""

    def __init__(self, limits: Limits, concurrency: int = 2) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    def check_document(self, path: Path, filename: str) -> DocumentCheck:
        """Read `path` as a library document would be read; DocumentRefused (4xx) when it cannot be."""
        result = self._read(path, filename, "document", self.limits)
        return DocumentCheck(result.get("title"), result.get("n_pages"), int(result.get("n_sections") or 0))

    def application_text(self, path: Path, filename: str, max_bytes: int) -> ApplicationText:
        """The text of an application uploaded for the alignment check, read under the document limits with the
        file size capped at `max_bytes`; DocumentRefused when it cannot be read."""
        safe_extension(filename)
        limit = min(max_bytes, self.limits.max_file_bytes)
        size = Path(path).stat().st_size
        if size > limit:
            raise too_large(filename, size, limit)
        result = self._read(path, filename, "text", replace(self.limits, max_file_bytes=limit))
        return ApplicationText(filename, str(result["text"]), result.get("n_pages"))

    def _read(self, path: Path, filename: str, mode: Mode, limits: Limits) -> dict:
        if not self._slots.acquire(blocking=False):
            raise Busy("too many uploaded files are being read; try again shortly", RETRY_AFTER_SECONDS)
        try:
            result = read_in_child(path, mode, limits)
        finally:
            self._slots.release()
        if not result.get("ok"):
            raise DocumentRefused(Refusal(result["refusal"]), filename, str(result.get("reason", "cannot be read")))
        return result


def read_in_child(path: Path, mode: Mode, limits: Limits) -> dict:
    """Read `path` with ingest in a child process with a hard time limit and a memory cap; its JSON answer."""
    timeout = limits.max_extract_seconds + 15
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service.library.uploads", mode, str(path)],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, **limit_env(limits)},  # the child reads exactly these limits
            check=False,
        )
    except subprocess.TimeoutExpired:
        return refused(Refusal.TOO_SLOW, f"reading the document took longer than {timeout:.0f} s")
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        if done.returncode < 0 or b"MemoryError" in done.stderr:
            return refused(Refusal.UNPACKS_TOO_LARGE, "reading the document exceeded the memory or time limit")
        return refused(Refusal.DAMAGED, "the document could not be read")


def refused(refusal: Refusal, reason: str) -> dict:
    return {"ok": False, "refusal": refusal.value, "reason": reason}


def limit_env(limits: Limits) -> dict[str, str]:
    """The document limits as RUS_* variables, for a child process (upload check, `rus index build`)."""
    ingest = limits.ingest
    return {f"RUS_{field.name.upper()}": str(getattr(ingest, field.name)) for field in fields(ingest)}


def _child_main(mode: str, path: str) -> int:
    """The child: cap memory, read the file with the configured limits, print one JSON line."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY_BYTES, CHECK_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    from ingest.errors import IngestError
    from ingest.load import load_document, plain_text
    from service.limits import Limits
    from service.settings import get_settings

    limits = Limits.from_settings(get_settings()).ingest  # the child's own composition point: the env it was given
    try:
        if mode == "text":
            text, n_pages = plain_text(Path(path), limits)
            result = {"ok": True, "text": text, "n_pages": n_pages}
        else:
            document = load_document(Path(path), limits=limits)
            result = {"ok": True, "title": document.title, "n_pages": document.n_pages,
                      "n_sections": len(document.sections)}
    except IngestError as error:
        result = refused(error.code, error.reason)
    except MemoryError:
        result = refused(Refusal.UNPACKS_TOO_LARGE, "reading the document exceeded the memory limit")
    except RecursionError:
        result = refused(Refusal.DAMAGED, "the document is nested too deeply to read")
    except Exception as exc:  # anything else a parser may raise on hostile input
        result = refused(Refusal.DAMAGED, f"the document could not be read ({type(exc).__name__})")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("document", "text"):
        print("usage: python -m service.library.uploads document|text FILE", file=sys.stderr)
        sys.exit(2)
    sys.exit(_child_main(sys.argv[1], sys.argv[2]))
