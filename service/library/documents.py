"""The document library as the API and the UI use it: list the documents, add one, remove one, serve its file.

Writes go through index.library (only new text is embedded; the new build replaces the current one atomically)
and then the `IndexHolder` loads the new build before the call returns, so the next request already sees the
change. An upload is copied under the upload size limit, read once in a child process with the server's limits
(service.library.uploads.DocumentReader: a hostile file cannot hang or swell the server) and only then ingested.
Embedding uses the index's own embedder without the service's lock, so searches keep being answered meanwhile.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from index.library import (
    KINDS,
    AlreadyInLibrary,
    BadMetadata,
    LastDocument,
    LastStrategy,
    LibraryError,
    UnknownDocument,
    add_documents,
    check_metadata,
    remove_document,
)
from ingest.errors import Refusal
from ingest.formats import media_type
from service.errors import InvalidInput, NotFound, ServiceError, no_such_document, require_text
from service.library.uploads import DocumentReader, DocumentRefused, copy_limited, safe_extension
from service.limits import Limits
from service.models import DocumentInfo, DocumentsResponse
from service.settings import Settings
from service.state import Corpus, IndexHolder

INCOMING = ".library-incoming"  # inside the index directory: uploads being checked and ingested
MAX_TITLE_CHARS = 300  # a document title given with an upload (shown with every hit of the document)


class Conflict(ServiceError, status=409, code="conflict"):
    """The change clashes with the library's state (the document is there already, is the last one, or a rebuild
    is running)."""


class LibraryRefused(ServiceError, status=422, code="unreadable_document"):
    """The library would not take a document that could be read (index.library.LibraryError)."""


class LoadFailed(ServiceError, status=500, code="index_not_loaded"):
    """The library changed but the new build could not be loaded."""


@dataclass(frozen=True)
class DocumentFile:
    """A document's kept original file, how to serve it and the name to offer for saving it."""

    path: Path
    media_type: str
    filename: str


def file_url(doc_id: str) -> str:
    return f"/v1/documents/{doc_id}/file"


def documents(corpus: Corpus) -> DocumentsResponse:
    """The indexed documents with their library metadata (title, kind, year, pages, chunks, original file)."""
    manifest = corpus.index.manifest
    n_chunks: dict[str, int] = {}
    for chunk in corpus.chunks:
        n_chunks[chunk.doc_id] = n_chunks.get(chunk.doc_id, 0) + 1
    n_sections = {d["doc_id"]: len({s["section_id"] for s in d["sections"]}) for d in corpus.sections}
    return DocumentsResponse(
        documents=[
            DocumentInfo(
                doc_id=d["doc_id"],
                title=d["title"],
                kind=d.get("kind"),
                year=d.get("year"),
                source=d.get("source", ""),
                original_name=d.get("original_name"),
                n_pages=d.get("n_pages"),
                n_chunks=n_chunks.get(d["doc_id"], 0),
                n_sections=n_sections.get(d["doc_id"], 0),
                headings_from=d.get("headings_from"),
                file_url=file_url(d["doc_id"]) if d.get("file") else None,
            )
            for d in manifest.get("documents", [])
        ],
        embedder=manifest.get("embedder", {}).get("id", ""),
        built_at=manifest.get("built_at"),
    )


def document_file(corpus: Corpus, doc_id: str) -> DocumentFile:
    """The original file of an indexed document, from the build being served (NotFound when there is none)."""
    entry = corpus.index.documents.get(doc_id)
    if entry is None:
        raise NotFound(no_such_document(doc_id, corpus.index.documents), "doc_id")
    if not entry.get("file"):
        raise NotFound(f"the index keeps no original file for {doc_id!r}; rebuild the index to keep it", "doc_id")
    path = corpus.build / entry["file"]
    if not path.is_file():
        raise NotFound(f"the original file of {doc_id!r} is missing from the index build", "doc_id")
    suffix = path.suffix.lower()
    name = entry.get("original_name") or path.name
    return DocumentFile(path, media_type(suffix), name)


def document_kinds() -> tuple[str, ...]:
    """The kinds a library document may have (the choices the UI offers when adding one)."""
    return KINDS


def parse_year(value: str | int | None) -> int | None:
    """A year from a form field ("" or None: no year); a clear 422 for anything that is not a year."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"'year' must be a four-digit year, got {value!r}", "year") from None


def check_fields(kind: str | None, year: int | None) -> None:
    """InvalidInput (422) naming the field when the kind or the year is not acceptable."""
    for field, check in (("kind", lambda: check_metadata(kind, None)), ("year", lambda: check_metadata(None, year))):
        try:
            check()
        except BadMetadata as error:
            raise InvalidInput(str(error), field) from None


def add_upload(
    holder: IndexHolder,
    settings: Settings,
    reader: DocumentReader,
    source: BinaryIO,
    filename: str | None,
    title: str | None = None,
    kind: str | None = None,
    year: int | None = None,
) -> DocumentInfo:
    """Add an uploaded file to the library and serve the new build; returns the added document.

    The one way a file reaches the library over the network (the API's route and its alias, the UI's library
    tab): 415 for an unsupported type, 422 for a name that is a path or a document that cannot be read, 413 past
    the file limit, 503 with Retry-After while every reading slot is taken."""
    safe_extension(filename)
    name = str(filename)
    kind = (kind or "").strip() or None
    title = require_text(title, "title", MAX_TITLE_CHARS) if (title or "").strip() else None
    check_fields(kind, year)
    holder.get()  # 503 while there is no index to add to
    limits = Limits.from_settings(settings)
    folder = Path(settings.index_dir) / INCOMING / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        path = folder / name
        size, _ = copy_limited(source, path, limits.max_file_bytes, name)
        if size == 0:
            raise DocumentRefused(Refusal.EMPTY, name, "the file is empty")
        reader.check_document(path, name)
        change = _library_call(
            lambda: add_documents(
                Path(settings.index_dir), [path], title, kind, year, embedder=_embedder(holder),
                limits=limits.ingest,
            )
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    corpus = _serve_new_build(holder)
    return next(d for d in documents(corpus).documents if d.doc_id == change.doc_ids[0])


def remove(holder: IndexHolder, settings: Settings, doc_id: str) -> DocumentsResponse:
    """Remove a document from the library and serve the new build; returns the documents left."""
    corpus = holder.get()
    if doc_id not in corpus.index.documents:
        known = ", ".join(corpus.index.documents)
        raise NotFound(f"no document {doc_id!r} in the library; the documents are: {known}", "doc_id")
    limits = Limits.from_settings(settings)
    _library_call(
        lambda: remove_document(Path(settings.index_dir), doc_id, embedder=_embedder(holder), limits=limits.ingest)
    )
    return documents(_serve_new_build(holder))


def _embedder(holder: IndexHolder):
    """The serving index's embedder without the service wrapper's lock and caches (see the module docstring)."""
    embedder = holder.get().embedder
    return getattr(embedder, "inner", embedder)


def _library_call(call):
    """Run an index.library change, turning its errors into API errors."""
    try:
        return call()
    except UnknownDocument as error:
        raise NotFound(str(error), "doc_id") from None
    except (AlreadyInLibrary, LastDocument, LastStrategy) as error:
        raise Conflict(str(error), "file" if isinstance(error, AlreadyInLibrary) else "doc_id") from None
    except LibraryError as error:
        raise LibraryRefused(str(error), "file") from None


def _serve_new_build(holder: IndexHolder) -> Corpus:
    corpus = holder.load()
    if holder.error is not None or corpus is None:
        raise LoadFailed(f"the library changed but the new build could not be loaded: {holder.error}")
    return corpus
