"""Persist an index directory atomically and load it back.

Layout: INDEX_DIR/current is a symlink to INDEX_DIR/builds/<build id>, which holds
manifest.json, chunks.jsonl, vectors.npy, faiss.index and bm25/. A build is written to
builds/<id>.partial, renamed when complete, and only then does `current` switch (os.replace
of a symlink is atomic), so a crashed build leaves the previous index in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from index.lexical import LexicalIndex
from index.vectors import build_vector_index, configure, exact_index
from ingest.models import Chunk

FORMAT_VERSION = 1
CURRENT = "current"
BUILDS = "builds"
LOCK = ".build.lock"  # held while a build is written, so concurrent builds cannot delete each other's files
DATA_FILES = ("chunks.jsonl", "vectors.npy", "faiss.index", "sentence_vectors.npy", "sentence_spans.npy")
SENTENCE_INDEX = "sentence_faiss.index"  # written only when the sentence index is approximate (large builds)
TRANSLATED_DIR = "en"  # the English side of a build whose documents have translation memories
PHRASINGS_DIR = "phrasings"  # everyday phrasings of the chunks, embedded as queries (index/phrasings.py)
MMAP_FROM = 100_000  # vector files with at least this many rows are memory-mapped rather than read into memory


class IndexProblem(Exception):
    """Base for index problems a user can act on."""


class IndexNotFound(IndexProblem):
    def __init__(self, directory: Path) -> None:
        super().__init__(f"no index in {directory}; build one with `rus index build` (or `make index`)")


class EmbedderMismatch(IndexProblem):
    def __init__(self, directory: Path, built_with: str, requested: str) -> None:
        super().__init__(
            f"the index in {directory} was built with embedder {built_with!r} but {requested!r} was requested; "
            f"rebuild it with `rus index build --embedder {requested}` or use the matching embedder"
        )


class IndexDamaged(IndexProblem):
    def __init__(self, directory: Path, reason: str) -> None:
        super().__init__(f"the index in {directory} is damaged ({reason}); rebuild it with `rus index build`")


@dataclass
class StoredIndex:
    """Everything one build wrote, loaded into memory."""

    path: Path
    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    faiss_index: faiss.Index
    lexical: LexicalIndex
    sentence_vectors: np.ndarray  # one row per embedded sentence
    sentence_spans: np.ndarray  # int32 rows (chunk position, start, end) aligned with sentence_vectors
    sentence_faiss: faiss.Index
    translated: TranslatedSide | None = None  # the English renderings, when the documents have memories
    phrasings: PhrasingTable | None = None  # everyday phrasings of the chunks, when the documents have them


@dataclass
class TranslatedSide:
    """The chunks' English renderings as search reads them: a vector per chunk (a zero row where a chunk has no
    rendering), the renderings' sentences (chunk position, start, end into chunk.text_en) with their vectors, and
    BM25 over the renderings with the English analyser."""

    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_spans: np.ndarray
    lexical: LexicalIndex

    def save(self, directory: Path) -> None:
        directory.mkdir()
        np.save(directory / "vectors.npy", self.vectors.astype(np.float32))
        np.save(directory / "sentence_vectors.npy", self.sentence_vectors.astype(np.float32))
        np.save(directory / "sentence_spans.npy", self.sentence_spans.astype(np.int32))
        self.lexical.save(directory / "bm25")

    @classmethod
    def load(cls, directory: Path, n_chunks: int) -> TranslatedSide:
        side = cls(
            _load_vectors(directory / "vectors.npy"),
            _load_vectors(directory / "sentence_vectors.npy"),
            np.load(directory / "sentence_spans.npy"),
            LexicalIndex.load(directory / "bm25", n_chunks),
        )
        if len(side.vectors) != n_chunks or len(side.sentence_vectors) != len(side.sentence_spans):
            raise ValueError("the English side's vector counts do not match its chunks and sentences")
        return side


@dataclass
class PhrasingTable:
    """Everyday phrasings of chunks (index/phrasings.py): per phrasing its chunk position (ascending: the build
    writes them in chunk order), its text (so the next build can reuse its vector) and its vector as a query."""

    owners: np.ndarray
    texts: list[str]
    vectors: np.ndarray

    def save(self, directory: Path) -> None:
        directory.mkdir()
        np.save(directory / "owners.npy", self.owners.astype(np.int32))
        np.save(directory / "vectors.npy", self.vectors.astype(np.float32))
        (directory / "texts.json").write_text(json.dumps(self.texts, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, n_chunks: int) -> PhrasingTable:
        table = cls(
            np.load(directory / "owners.npy"),
            json.loads((directory / "texts.json").read_text(encoding="utf-8")),
            _load_vectors(directory / "vectors.npy"),
        )
        owners = table.owners
        if not (len(owners) == len(table.texts) == len(table.vectors)):
            raise ValueError("the phrasings' owners, texts and vectors differ in length")
        if len(owners) and (owners.min() < 0 or owners.max() >= n_chunks or np.any(np.diff(owners) < 0)):
            raise ValueError("the phrasings' chunk positions are out of range or out of order")
        return table


def chunk_to_json(chunk: Chunk) -> dict:
    data = asdict(chunk)
    data["heading_path"] = list(chunk.heading_path)
    return data


def chunk_from_json(data: dict) -> Chunk:
    return Chunk(**{**data, "heading_path": tuple(data["heading_path"])})


def current_build(index_dir: Path) -> Path | None:
    """The build directory `current` points to, if any."""
    link = Path(index_dir) / CURRENT
    if not link.is_symlink() and not link.is_dir():
        return None
    target = link.resolve()
    return target if (target / "manifest.json").is_file() else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_build(
    index_dir: Path,
    manifest: dict,
    chunks: list[Chunk],
    vectors: np.ndarray,
    lexical: LexicalIndex,
    sentence_vectors: np.ndarray,
    sentence_spans: np.ndarray,
    extra_json: dict[str, object] | None = None,
    extra_files: dict[str, Path] | None = None,
    translated: TranslatedSide | None = None,
    phrasings: PhrasingTable | None = None,
) -> Path:
    """Write a complete build and switch `current` to it; return the new build directory.

    `extra_files` maps a path inside the build (e.g. "files/plan.pdf") to a file copied there."""
    index_dir = Path(index_dir)
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    with build_lock(index_dir):  # concurrent builds cannot delete each other's files
        build_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
        partial = builds / f"{build_id}.partial"
        partial.mkdir()
        with (partial / "chunks.jsonl").open("w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(json.dumps(chunk_to_json(chunk), ensure_ascii=False) + "\n")
        np.save(partial / "vectors.npy", vectors.astype(np.float32))
        chunk_index, chunk_info = build_vector_index(vectors)
        faiss.write_index(chunk_index, str(partial / "faiss.index"))
        sentence_index, sentence_info = build_vector_index(sentence_vectors)
        if sentence_info["type"] != "flat":
            faiss.write_index(sentence_index, str(partial / SENTENCE_INDEX))
        del chunk_index, sentence_index
        np.save(partial / "sentence_vectors.npy", sentence_vectors.astype(np.float32))
        np.save(partial / "sentence_spans.npy", sentence_spans.astype(np.int32))
        lexical.save(partial / "bm25")
        if translated is not None:
            translated.save(partial / TRANSLATED_DIR)
        if phrasings is not None:
            phrasings.save(partial / PHRASINGS_DIR)
        for name, payload in (extra_json or {}).items():
            (partial / name).write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
        for name, source in (extra_files or {}).items():
            (partial / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, partial / name)
        manifest = {
            **manifest,
            "format_version": FORMAT_VERSION,
            "n_chunks": len(chunks),
            "vector_index": {"chunks": chunk_info, "sentences": sentence_info},  # exact or IVF, with measured recall
            # every file the build wrote (bm25/ and side files too), not just DATA_FILES
            "checksums": {
                path.relative_to(partial).as_posix(): _sha256(path)
                for path in sorted(partial.rglob("*"))
                if path.is_file()
            },
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _fsync_tree(partial)
        final = builds / build_id
        partial.rename(final)
        _switch_current(index_dir, final)
        _remove_stale_builds(builds, keep=final)
        return final


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """An exclusive lock on the index directory (released by the kernel if the process dies)."""
    with open(Path(index_dir) / LOCK, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def build_faiss(vectors: np.ndarray) -> faiss.Index:
    """Exact inner-product search over L2-normalised vectors (= cosine similarity)."""
    return exact_index(vectors)


def _load_vectors(path: Path) -> np.ndarray:
    """A .npy vector file; large ones memory-mapped (pages are read on use and shared with the page cache)."""
    vectors = np.load(path, mmap_mode="r")
    return vectors if len(vectors) >= MMAP_FROM else np.array(vectors)


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fsync_directory(directory)


def _switch_current(index_dir: Path, target: Path) -> None:
    link = index_dir / CURRENT
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(Path(BUILDS) / target.name)
    os.replace(temporary, link)
    fsync_directory(index_dir)  # make the switch itself durable


def fsync_directory(directory: Path) -> None:
    """Make renames and new entries in `directory` durable (also used for uploads to the corpus directory)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_builds(builds: Path, keep: Path) -> None:
    """Delete older builds and leftovers of crashed ones (never the one `current` points to)."""
    for path in builds.iterdir():
        if path != keep:
            shutil.rmtree(path, ignore_errors=True)


def read_manifest(index_dir: Path, build: Path | None = None) -> dict:
    build = build or current_build(Path(index_dir))
    if build is None:
        raise IndexNotFound(Path(index_dir))
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexDamaged(Path(index_dir), f"manifest unreadable: {exc}") from exc


def verify_checksums(index_dir: Path, build: Path, manifest: dict) -> None:
    """IndexDamaged unless every file the manifest lists (at least the data files) exists with its checksum."""
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict) or not checksums:
        raise IndexDamaged(index_dir, "the manifest lists no checksums")
    unlisted = [name for name in DATA_FILES if name not in checksums]
    if unlisted:
        raise IndexDamaged(index_dir, f"the manifest has no checksum for {', '.join(unlisted)}")
    for name, expected in checksums.items():
        path = build / name
        if not path.is_file():
            raise IndexDamaged(index_dir, f"missing file {name}")
        if _sha256(path) != expected:
            raise IndexDamaged(index_dir, f"checksum mismatch in {name}")


def load_build(index_dir: Path, verify: bool = True, build: Path | None = None) -> StoredIndex:
    """Load the current build (or the given build directory, pinned against a concurrent switch),
    checking format version and (optionally) file checksums."""
    index_dir = Path(index_dir)
    build = build or current_build(index_dir)
    if build is None:
        raise IndexNotFound(index_dir)
    manifest = read_manifest(index_dir, build)
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        version = manifest.get("format_version") if isinstance(manifest, dict) else None
        raise IndexDamaged(index_dir, f"format version {version}, expected {FORMAT_VERSION}")
    try:
        if verify:
            verify_checksums(index_dir, build, manifest)
        with (build / "chunks.jsonl").open(encoding="utf-8") as handle:
            chunks = [chunk_from_json(json.loads(line)) for line in handle if line.strip()]
        vector_info = manifest.get("vector_index") or {}
        vectors = _load_vectors(build / "vectors.npy")
        faiss_index = configure(faiss.read_index(str(build / "faiss.index")), vector_info.get("chunks"))
        lexical = LexicalIndex.load(build / "bm25", len(chunks))
        sentence_vectors = _load_vectors(build / "sentence_vectors.npy")
        sentence_spans = np.load(build / "sentence_spans.npy")
        sentence_faiss = (
            configure(faiss.read_index(str(build / SENTENCE_INDEX)), vector_info.get("sentences"))
            if (build / SENTENCE_INDEX).is_file()
            else build_faiss(sentence_vectors)
        )
        translated = (
            TranslatedSide.load(build / TRANSLATED_DIR, len(chunks)) if (build / TRANSLATED_DIR).is_dir() else None
        )
        phrasings = (
            PhrasingTable.load(build / PHRASINGS_DIR, len(chunks)) if (build / PHRASINGS_DIR).is_dir() else None
        )
    except IndexDamaged:
        raise
    except Exception as exc:
        raise IndexDamaged(index_dir, str(exc)) from exc
    if len(chunks) != len(vectors) or faiss_index.ntotal != len(chunks):
        raise IndexDamaged(index_dir, "chunk, vector and FAISS counts differ")
    if len(sentence_vectors) != len(sentence_spans):
        raise IndexDamaged(index_dir, "sentence vectors and spans differ in length")
    return StoredIndex(
        build,
        manifest,
        chunks,
        vectors,
        faiss_index,
        lexical,
        sentence_vectors,
        sentence_spans,
        sentence_faiss,
        translated,
        phrasings,
    )


def read_extra(index_dir: Path, name: str, build: Path | None = None) -> object | None:
    """A JSON side file of the current build (or of `build`), e.g. the section tree, or None; IndexDamaged when
    it is there but cannot be read as JSON."""
    build = build or current_build(Path(index_dir))
    path = build / name if build else None
    if not (path and path.is_file()):
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IndexDamaged(Path(index_dir), f"{name} cannot be read: {error}") from error
