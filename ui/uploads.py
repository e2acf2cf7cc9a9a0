"""Read an uploaded application (PDF, DOCX, TXT/MD) into plain text, with reasons the UI can show.

PDFs go through ingest's own reader (`open_pdf`, `read_lines`, header/footer cleanup and paragraph joining)
under ingest's resource limits (decompressed streams, pages, extracted text, time), so an encrypted, damaged,
image-only or oversized PDF fails with the same IngestError reasons as `rus index build`; those reasons are
mapped to an `UploadError` code that the UI words in Swedish or English.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ingest.clean import drop_artifacts, paragraphs_from_lines
from ingest.errors import IngestError
from ingest.formats import APPLICATION_SUFFIXES
from ingest.limits import IngestLimits, pdf_limits
from ingest.pdf import open_pdf, read_lines
from ingest.text import read_text

OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old .doc files and password-protected Office files


class UploadError(Exception):
    """An upload that cannot be used; `code` picks the message (texts.py: "upload_<code>")."""

    def __init__(self, code: str, name: str, **params: object) -> None:
        super().__init__(f"{name}: {code} {params or ''}".strip())
        self.code = code
        self.name = name
        self.params = params


@dataclass
class Upload:
    name: str
    kind: str  # "pdf", "docx" or "text"
    text: str
    pages: int | None = None


def human_size(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):.1f} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:.0f} kB"
    return f"{n_bytes} B"


def read_upload(
    path: Path | str, max_bytes: int, name: str | None = None, limits: IngestLimits | None = None
) -> Upload:
    """The text of an uploaded file, or UploadError saying why it cannot be read."""
    path = Path(path)
    limits = limits or IngestLimits()  # the app passes the server's RUS_MAX_* limits
    max_bytes = min(max_bytes, limits.max_file_bytes)
    name = name or path.name
    suffix = path.suffix.lower()
    if suffix not in APPLICATION_SUFFIXES:
        raise UploadError("unsupported", name, suffix=suffix or "(ingen)")
    size = path.stat().st_size
    if size > max_bytes:
        raise UploadError("too_large", name, size=human_size(size), limit=human_size(max_bytes))
    if size == 0:
        raise UploadError("empty", name)
    if suffix == ".pdf":
        upload = _read_pdf(path, name, limits)
    elif suffix == ".docx":
        upload = _read_docx(path, name)
    else:
        upload = _read_plain(path, name)
    upload.text = upload.text.strip()
    if not upload.text:
        raise UploadError("no_text", name)
    return upload


def _ingest_code(error: IngestError) -> tuple[str, dict]:
    reason = error.reason.casefold()
    if "encrypted" in reason:
        return "encrypted", {}
    if "no text layer" in reason or "image-only" in reason:
        return "image_only", {}
    if "empty" in reason:
        return "empty", {}
    if "not a pdf" in reason:
        return "not_pdf", {}
    if "binary" in reason:
        return "not_text", {}
    if "the limit" in reason or "too long" in reason:
        return "over_limit", {"detail": error.reason}
    return "damaged", {"detail": error.reason}


def _read_pdf(path: Path, name: str, limits: IngestLimits) -> Upload:
    try:
        with pdf_limits(limits):
            reader = open_pdf(path)
            n_pages = len(reader.pages)
            limits.check_pages(path, n_pages)
            lines = drop_artifacts(read_lines(reader, path, limits.deadline(), limits.max_document_chars), n_pages)
    except IngestError as error:
        code, params = _ingest_code(error)
        raise UploadError(code, name, **params) from error
    paragraphs = paragraphs_from_lines(lines)
    return Upload(name, "pdf", "\n\n".join(p.text for p in paragraphs), n_pages)


def _read_docx(path: Path, name: str) -> Upload:
    with path.open("rb") as handle:
        if handle.read(4) == OLE_MAGIC:
            raise UploadError("not_docx", name)
    try:
        import docx  # python-docx
        from docx.opc.exceptions import PackageNotFoundError

        document = docx.Document(str(path))
    except ImportError as error:  # pragma: no cover - python-docx is a dependency
        raise UploadError("damaged", name, detail=f"python-docx is not installed: {error}") from error
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UploadError("not_docx", name) from error
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = list(dict.fromkeys(cell.text.strip() for cell in row.cells if cell.text.strip()))
            if cells:
                paragraphs.append(" – ".join(cells))
    text = "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
    return Upload(name, "docx", text)


def _read_plain(path: Path, name: str) -> Upload:
    try:
        text = read_text(path)
    except IngestError as error:
        code, params = _ingest_code(error)
        raise UploadError(code, name, **params) from error
    pages = text.count("\f") + 1 if "\f" in text else None
    return Upload(name, "text", text.replace("\r\n", "\n").replace("\f", "\n\n"), pages)


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
