"""The document library: add documents to the index, list them, remove them.

The library is the set of documents in the current build. Their metadata (title, kind, year, pages,
chunks, original file name) lives in the build's manifest and the original files in its files/ folder.
Every change ingests only the new files, reuses the ingested documents and the vectors of the current
build (so only new text is embedded) and writes a new build that replaces the current one atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.build import (
    ADDED_BY_BUILD,
    ADDED_TO_LIBRARY,
    DOCUMENTS_FILE,
    BuildReport,
    added_by,
    default_kind,
    document_from_json,
    index_documents,
    ingest_fingerprint,
    unique_doc_id,
)
from index.embedders import Embedder, get_embedder
from index.store import EmbedderMismatch, IndexNotFound, IndexProblem, current_build, read_extra, read_manifest
from ingest.errors import IngestError
from ingest.formats import FORMATS_IN_WORDS, is_supported
from ingest.limits import IngestLimits
from ingest.load import load_document
from ingest.models import Document

STRATEGY = "strategi"  # the kind of a strategy: its sub-priorities answer "which sub-priority" questions
KINDS = (STRATEGY, "plan", "program", "agenda", "annat")
YEARS = range(1900, 2101)
LOCK = ".library.lock"  # serialises library changes (each reads the current build, then writes a new one)


class LibraryError(IndexProblem):
    """A library request that cannot be carried out; the message says why and what to do."""


class BadMetadata(LibraryError):
    """A kind outside KINDS or an implausible year."""


class UnknownDocument(LibraryError):
    """No document with that id in the library."""


class AlreadyInLibrary(LibraryError):
    """A file whose text is already in the library."""


class LastDocument(LibraryError):
    """The only document cannot be removed: an index needs one."""


class LastStrategy(LibraryError):
    """The only strategy cannot be removed: its sub-priorities are what the service answers with."""


@dataclass
class LibraryChange:
    """What a library change did."""

    doc_ids: list[str]  # the documents added or removed
    build: BuildReport


def list_documents(index_dir: Path) -> list[dict]:
    """The documents in the current build with their metadata, in index order."""
    return list(read_manifest(Path(index_dir)).get("documents", []))


def check_metadata(kind: str | None, year: int | None) -> None:
    """LibraryError unless kind is one of KINDS and year a plausible four-digit year."""
    if kind is not None and kind not in KINDS:
        raise BadMetadata(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if year is not None and year not in YEARS:
        raise BadMetadata(f"year {year} is out of range; give a year from {YEARS.start} to {YEARS.stop - 1}")


def add_documents(
    index_dir: Path,
    paths: Sequence[Path],
    title: str | None = None,
    kind: str | None = None,
    year: int | None = None,
    embedder: Embedder | None = None,
    progress: bool = False,
    limits: IngestLimits | None = None,
) -> LibraryChange:
    """Ingest `paths` and add them to the library (an index is created when there is none yet)."""
    paths = [Path(p) for p in paths]
    check_metadata(kind, year)
    if not paths:
        raise LibraryError("no file given")
    if title is not None and (len(paths) != 1 or not title.strip()):
        raise LibraryError("--title names one document: give exactly one file and a non-empty title")
    for path in paths:
        if not path.is_file():
            raise LibraryError(f"{path}: no such file")
        if not is_supported(path.suffix):
            raise LibraryError(f"{path.name}: unsupported file type {path.suffix or '(none)'}; use {FORMATS_IN_WORDS}")
    limits = limits or IngestLimits()
    embedder = embedder or get_embedder()
    with _library_lock(Path(index_dir)):
        documents, metadata, originals, fingerprint = _current_library(Path(index_dir), limits, embedder)
        known = {d.content_hash: d.doc_id for d in documents}
        taken = {d.doc_id for d in documents}
        added: list[Document] = []
        for path in paths:
            try:
                document = load_document(path, limits=limits)
            except IngestError as error:
                raise LibraryError(str(error)) from error
            if document.content_hash in known:
                raise AlreadyInLibrary(f"{path.name} is already in the library as {known[document.content_hash]!r}")
            unique_doc_id(document, taken)
            known[document.content_hash] = document.doc_id
            if title:
                document.title = " ".join(title.split())
            metadata[document.doc_id] = {
                "kind": kind or default_kind(document),
                "year": year,
                "original_name": path.name,
                "added": ADDED_TO_LIBRARY,
            }
            originals[document.doc_id] = path
            added.append(document)
        report = index_documents(
            [*documents, *added], Path(index_dir), embedder, progress=progress, fingerprint=fingerprint,
            metadata=metadata, originals=originals, translations=_translations_of(Path(index_dir)),
        )
    return LibraryChange([d.doc_id for d in added], report)


def remove_document(
    index_dir: Path, doc_id: str, embedder: Embedder | None = None, limits: IngestLimits | None = None
) -> LibraryChange:
    """Remove one document from the library; its chunks leave the index in the same atomic switch."""
    if current_build(Path(index_dir)) is None:
        raise IndexNotFound(Path(index_dir))
    embedder = embedder or get_embedder()
    with _library_lock(Path(index_dir)):
        limits = limits or IngestLimits()
        documents, metadata, originals, fingerprint = _current_library(Path(index_dir), limits, embedder)
        ids = [d.doc_id for d in documents]
        if doc_id not in ids:
            raise UnknownDocument(f"no document {doc_id!r} in the library; the documents are: {', '.join(ids)}")
        if len(ids) == 1:
            raise LastDocument(f"{doc_id!r} is the only document; an index needs at least one")
        kinds = {d.doc_id: metadata.get(d.doc_id, {}).get("kind") or default_kind(d) for d in documents}
        if kinds[doc_id] == STRATEGY and list(kinds.values()).count(STRATEGY) == 1:
            raise LastStrategy(
                f"{doc_id!r} is the index's only strategy: questions are answered from its sub-priorities, so it "
                "stays; to serve another strategy, build the index from it (rus index build)"
            )
        kept = [d for d in documents if d.doc_id != doc_id]
        report = index_documents(
            kept, Path(index_dir), embedder, progress=False, fingerprint=fingerprint,
            metadata=metadata, originals=originals, translations=_translations_of(Path(index_dir)),
        )
    return LibraryChange([doc_id], report)


def _translations_of(index_dir: Path) -> Path | None:
    """The translation memories' folder the current build was made with (a library change keeps using it)."""
    if current_build(index_dir) is None:
        return None
    recorded = read_manifest(index_dir).get("translations")
    return Path(recorded) if recorded else None


def _current_library(
    index_dir: Path, limits: IngestLimits, embedder: Embedder
) -> tuple[list[Document], dict[str, dict], dict[str, Path], str | None]:
    """The current build's ingested documents, their library metadata, their kept original files and the
    ingest fingerprint they share with the running code (None when they were ingested differently).

    EmbedderMismatch when the current build was embedded with another embedder than `embedder`."""
    build = current_build(index_dir)
    if build is None:
        return [], {}, {}, ingest_fingerprint(limits)
    built_with = read_manifest(index_dir, build).get("embedder", {}).get("id")
    if built_with != embedder.id:
        raise EmbedderMismatch(index_dir, str(built_with), embedder.id)
    stored = read_extra(index_dir, DOCUMENTS_FILE, build)
    if not isinstance(stored, dict) or not isinstance(stored.get("documents"), list):
        raise LibraryError(
            f"the index in {index_dir} has no stored documents (built by an older version); rebuild it with "
            "`rus index build` first"
        )
    documents = [document_from_json(d) for d in stored["documents"]]
    entries = {e["doc_id"]: e for e in read_manifest(index_dir, build).get("documents", [])}
    metadata = {
        d.doc_id: {
            "kind": entries.get(d.doc_id, {}).get("kind") or default_kind(d),
            "year": entries.get(d.doc_id, {}).get("year"),
            "original_name": entries.get(d.doc_id, {}).get("original_name") or Path(d.source).name,
            "added": added_by(entries[d.doc_id]) if d.doc_id in entries else ADDED_BY_BUILD,
        }
        for d in documents
    }
    originals = {
        doc_id: build / entry["file"] for doc_id, entry in entries.items() if entry.get("file")
    }
    current = ingest_fingerprint(limits)
    return documents, metadata, originals, current if stored.get("fingerprint") == current else None


@contextlib.contextmanager
def _library_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
