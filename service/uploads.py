"""Storing uploaded documents in the corpus directory, safely.

* The client's file name is only used for its extension (ingest.formats.SUPPORTED_SUFFIXES); names with directories,
  control characters or NUL are refused, and the file is stored as ``<uuid4>.<ext>`` inside
  ``Settings.corpus_dir`` and nowhere else.
* The body is copied to ``corpus_dir/.incoming/`` (not read by builds) while counting bytes against
  the upload limit, then read once with the ingest code in a child process that has a hard time limit
  and a memory cap (a PDF bomb cannot hang or swell the server), and only a readable document is moved
  into place (atomic rename). Anything else leaves the corpus directory as it was.

`python -m service.uploads FILE` is that child: it prints one JSON line describing the document or the reason
it cannot be read, using the configured limits.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import BinaryIO

from index.store import fsync_directory
from ingest.formats import FORMATS_IN_WORDS, SUPPORTED_SUFFIXES
from service.errors import InvalidInput, ServiceError
from service.limits import Limits

ALLOWED = {suffix: suffix.lstrip(".") for suffix in SUPPORTED_SUFFIXES}  # stored-file extension by upload suffix
INCOMING = ".incoming"
CHECK_MEMORY_BYTES = 2 * 1024**3  # address-space cap of the checking child
COPY_BLOCK = 1 << 20
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class UnsupportedType(ServiceError):
    status = 415
    code = "unsupported_type"


class UnreadableDocument(ServiceError):
    status = 422
    code = "unreadable_document"


class FileTooLarge(ServiceError):
    status = 413
    code = "input_too_long"


class Busy(ServiceError):
    status = 503
    code = "busy"


@dataclass
class StoredUpload:
    stored_as: str
    path: Path
    bytes: int
    sha256: str
    title: str
    n_pages: int | None
    n_sections: int


def safe_extension(filename: str | None) -> str:
    """The normalised extension of an uploaded file name, or a 4xx explaining what is wrong with the name."""
    name = filename or ""
    if not name.strip():
        raise InvalidInput("the upload has no file name", "file")
    if len(name) > 255:
        raise InvalidInput("the file name is longer than 255 characters", "file")
    if UNSAFE_NAME.search(name):
        raise InvalidInput(
            "the file name must be a plain name: no directories ('/' or '\\'), control characters or NUL", "file"
        )
    if name.strip(". ") == "" or re.match(r"^[A-Za-z]:", name):
        raise InvalidInput("the file name must be a plain name, not a path", "file")
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED:
        raise UnsupportedType(f"unsupported file type {suffix or '(none)'}; upload {FORMATS_IN_WORDS}", "file")
    return ALLOWED[suffix]


class UploadStore:
    """Validates and stores uploads in one corpus directory; at most `concurrency` are checked at once."""

    def __init__(self, corpus_dir: Path, limits: Limits, concurrency: int = 2) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.limits = limits
        self._slots = threading.BoundedSemaphore(max(1, concurrency))

    def store(self, source: BinaryIO, filename: str | None) -> StoredUpload:
        extension = safe_extension(filename)
        if not self._slots.acquire(timeout=30):
            raise Busy("too many uploads are being checked; try again shortly")
        try:
            return self._store(source, filename or "", extension)
        finally:
            self._slots.release()

    def _store(self, source: BinaryIO, filename: str, extension: str) -> StoredUpload:
        incoming = self.corpus_dir / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.{extension}"
        temporary = incoming / name
        try:
            size, digest = copy_limited(source, temporary, self.limits.max_file_bytes)
            if size == 0:
                raise InvalidInput(f"{filename}: the file is empty", "file")
            info = check_document(temporary, self.limits)
            if not info.get("ok"):
                raise UnreadableDocument(f"{filename}: {info.get('reason', 'cannot be read')}", "file")
            final = self.corpus_dir / name
            os.replace(temporary, final)
            fsync_directory(self.corpus_dir)
        finally:
            temporary.unlink(missing_ok=True)
        return StoredUpload(
            stored_as=name,
            path=final,
            bytes=size,
            sha256=digest,
            title=str(info.get("title"))
            if info.get("title") not in (None, "", Path(name).stem)
            else Path(filename).stem,
            n_pages=info.get("n_pages"),
            n_sections=int(info.get("n_sections") or 0),
        )


def copy_limited(source: BinaryIO, target: Path, limit: int) -> tuple[int, str]:
    """Copy `source` to a new file `target`, stopping with FileTooLarge (413) past `limit` bytes; (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as handle:
        while block := source.read(COPY_BLOCK):
            size += len(block)
            if size > limit:
                raise FileTooLarge(f"the file is over {limit:,} bytes (the limit)", "file")
            digest.update(block)
            handle.write(block)
    return size, digest.hexdigest()


def check_document(path: Path, limits: Limits) -> dict:
    """Read `path` with the ingest code in a child process with a hard time limit and a memory cap."""
    timeout = limits.max_extract_seconds + 15
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service.uploads", str(path)],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, **limit_env(limits)},  # the child reads exactly the server's limits
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "reason": f"reading the document took longer than {timeout:.0f} s"}
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        if done.returncode < 0 or b"MemoryError" in done.stderr:
            return {"ok": False, "reason": "reading the document exceeded the memory or time limit"}
        return {"ok": False, "reason": "the document could not be read"}


def limit_env(limits: Limits) -> dict[str, str]:
    """The document limits as RUS_* variables, for a child process (upload check, `rus index build`)."""
    ingest = limits.ingest
    return {f"RUS_{field.name.upper()}": str(getattr(ingest, field.name)) for field in fields(ingest)}


def _check_main(path: str) -> int:
    """The child: cap memory, read the document, print one JSON line."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHECK_MEMORY_BYTES, CHECK_MEMORY_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    from ingest.errors import IngestError
    from ingest.load import load_document
    from service.limits import current_limits

    try:
        document = load_document(Path(path), limits=current_limits().ingest)
    except IngestError as error:
        result = {"ok": False, "reason": error.reason}
    except MemoryError:
        result = {"ok": False, "reason": "reading the document exceeded the memory limit"}
    except RecursionError:
        result = {"ok": False, "reason": "the document is nested too deeply to read"}
    except Exception as exc:  # anything else pypdf may raise on hostile input
        result = {"ok": False, "reason": f"the document could not be read ({type(exc).__name__})"}
    else:
        result = {
            "ok": True,
            "title": document.title,
            "n_pages": document.n_pages,
            "n_sections": len(document.sections),
        }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m service.uploads FILE", file=sys.stderr)
        sys.exit(2)
    sys.exit(_check_main(sys.argv[1]))
