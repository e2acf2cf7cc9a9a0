"""Build an index: ingest → chunk → embed (reusing cached vectors) → FAISS + BM25 → atomic write."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from importlib.metadata import version
from pathlib import Path

import numpy as np

from index.embedders import Embedder, get_embedder, in_batches
from index.lexical import LexicalIndex
from index.lexicon import Lexicon
from index.phrasings import read_phrasings
from index.sentences import aligned_spans, embeddable_sentences
from index.store import (
    IndexProblem,
    PhrasingTable,
    TranslatedSide,
    current_build,
    load_build,
    read_extra,
    read_manifest,
    write_build,
)
from index.tokens import ENGLISH_TOKENIZER
from index.translation_memory import MemoryStatus, load_memories, status, translations
from ingest.chunking import ChunkedDocument, ChunkingConfig, split_document
from ingest.errors import IngestError, Refusal
from ingest.formats import FORMATS_IN_WORDS
from ingest.limits import IngestLimits
from ingest.load import assign_doc_id, doc_id_for, expand_paths, file_hash, load_document
from ingest.models import Chunk, Document, Paragraph, Section

SECTIONS_FILE = "sections.json"
# The ingested documents of a build, reused by the next build for every file whose bytes, path, ingest code
# and limits are unchanged (extraction is most of a warm rebuild).
DOCUMENTS_FILE = "documents.json"
FILES_DIR = "files"  # the original file of every document, kept in the build (files/<doc id><suffix>)
# How a document came into the index (manifest field "added"): from the paths a build was given, or through the
# library (index/library.py: `rus docs add`, the API, the UI). A build keeps the library's documents.
ADDED_BY_BUILD, ADDED_TO_LIBRARY = "build", "library"


class BuildError(IndexProblem):
    """Nothing could be indexed."""


@dataclass
class BuildReport:
    """What a build did, for the CLI and for benchmarks."""

    build_dir: Path
    n_documents: int
    n_chunks: int
    n_sentences: int
    embedded: int  # passages (chunks + sentences) embedded now; the rest came from the previous build
    reused: int
    errors: list[IngestError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    words_embedded: int = 0  # vocabulary words embedded now for the derived lexicon (index/lexicon.py)
    kept: list[str] = field(default_factory=list)  # documents added to the library that the build carried over
    translations: list[MemoryStatus] = field(default_factory=list)  # per document with a translation memory
    phrased: int = 0  # chunks with everyday phrasings (index/phrasings.py)
    phrasings_embedded: int = 0  # phrasings embedded now; the rest came from the previous build

    def incomplete_translations(self) -> list[MemoryStatus]:
        """The strategy documents whose memory misses or has stale renderings (the build warns about them)."""
        return [s for s in self.translations if s.kind == "strategi" and (s.stale or s.missing)]


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded and BM25-indexed: the heading path gives each chunk its context."""
    return " > ".join(chunk.heading_path) + "\n" + chunk.text


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def query_key(text: str) -> str:
    """The vector cache's key for a text embedded as a query (passages are keyed by text_key alone)."""
    return text_key("query\0" + text)


def section_tree(documents: list[Document], chunked: list[ChunkedDocument]) -> list[dict]:
    """The sections of every document in order, with full cleaned text, pages and numbered items."""
    return [
        {
            "doc_id": doc.doc_id,
            "title": doc.title,
            "source": doc.source,
            "n_pages": doc.n_pages,
            "sections": [
                {
                    "section_id": s.section_id,
                    "heading_path": s.heading_path,
                    "kind": s.kind,
                    "priority": s.priority,
                    "page_start": s.page_start,
                    "page_end": s.page_end,
                    "text": s.text,
                    "items": [asdict(item) for item in items],
                }
                for s, items in zip(doc.sections, parts.items, strict=True)
            ],
        }
        for doc, parts in zip(documents, chunked, strict=True)
    ]


def sentence_units(texts_of_chunks: list[str | None]) -> tuple[list[str], np.ndarray]:
    """Every embeddable sentence of every chunk's text (None: a chunk without one), and (chunk position, start,
    end) rows locating them."""
    texts: list[str] = []
    rows: list[tuple[int, int, int]] = []
    for position, text in enumerate(texts_of_chunks):
        for start, end in embeddable_sentences(text or ""):
            texts.append(text[start:end])
            rows.append((position, start, end))
    return texts, np.array(rows, dtype=np.int32).reshape(-1, 3)


def with_translations(
    chunks: list[Chunk], documents: list[Document], library: dict[str, dict], directory: Path | None
) -> tuple[list[Chunk], list[MemoryStatus]]:
    """The chunks with their English renderings from the documents' translation memories in `directory`, and
    each such document's coverage (documents without a memory are left as they are)."""
    memories = load_memories(directory, [d.doc_id for d in documents])
    if not memories:
        return chunks, []
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    rendered: dict[str, str | None] = {}
    statuses = []
    for document in documents:
        memory = memories.get(document.doc_id)
        if memory is None:
            continue
        own = by_doc.get(document.doc_id, [])
        rendered.update(zip((c.chunk_id for c in own), translations(own, memory), strict=True))
        statuses.append(status(own, memory, document.title, library[document.doc_id]["kind"]))
    return [replace(c, text_en=rendered.get(c.chunk_id)) for c in chunks], statuses


def render_items(chunked: list[ChunkedDocument], chunks: list[Chunk]) -> None:
    """Give each numbered item the English of its sentences in the chunks that hold it (when they have one)."""
    by_id = {chunk.chunk_id: chunk for chunk in chunks}
    for parts in chunked:
        for item in (item for section in parts.items for item in section):
            pieces = []
            for chunk in (by_id[i] for i in item.chunk_ids if i in by_id):
                if not chunk.text_en:
                    break
                at = chunk.text.find(item.text)
                spans = [(at, at + len(item.text))] if at >= 0 else [(0, len(chunk.text))]
                rendered = aligned_spans(chunk.text, chunk.text_en, spans)
                if not rendered:
                    break
                pieces.append(chunk.text_en[rendered[0][0] : rendered[-1][1]])
            else:
                item.text_en = " ".join(pieces) if pieces else None


def translated_side(
    chunks: list[Chunk], embedder: Embedder, cache: dict[str, np.ndarray], progress: bool
) -> tuple[TranslatedSide | None, int, int]:
    """The English side of a build (None when no chunk has a rendering), with how many passages were embedded
    now and how many came from the cache."""
    renderings = [chunk.text_en for chunk in chunks]
    present = [i for i, text in enumerate(renderings) if text is not None]
    if not present:
        return None, 0, 0
    sentences, spans = sentence_units(renderings)
    texts = [renderings[i] for i in present]
    vectors, embedded = _embed_with_cache(embedder, texts + sentences, cache, progress)
    chunk_vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    chunk_vectors[present] = vectors[: len(texts)]
    lexical = LexicalIndex.build([text or "" for text in renderings], ENGLISH_TOKENIZER)
    side = TranslatedSide(chunk_vectors, vectors[len(texts) :], spans, lexical)
    return side, embedded, len(texts) + len(sentences) - embedded


def phrasing_table(
    chunks: list[Chunk], directory: Path | None, embedder: Embedder, cache: dict[str, np.ndarray], progress: bool
) -> tuple[PhrasingTable | None, int]:
    """The chunks' everyday phrasings (index/phrasings.py) embedded as queries, None when there are none; vectors
    of the previous build come from `cache`. Returns the table and how many phrasings were embedded now."""
    found = read_phrasings(chunks, directory)
    if not found:
        return None, 0
    texts = [text for _, text in found]
    vectors, embedded = _embed_with_cache(embedder, texts, cache, progress, as_queries=True)
    owners = np.array([position for position, _ in found], dtype=np.int32)
    return PhrasingTable(owners, texts, vectors), embedded


def ingest_fingerprint(limits: object) -> str:
    """What a cached document depends on besides its file: the ingest package's source, pypdf and the limits."""
    import ingest

    digest = hashlib.sha256()
    for path in sorted(Path(ingest.__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(f"pypdf {version('pypdf')}\0{limits!r}".encode())
    return digest.hexdigest()


def document_to_json(document: Document) -> dict:
    return asdict(document)


def document_from_json(data: dict) -> Document:
    sections = [
        Section(**{**section, "paragraphs": [Paragraph(**p) for p in section["paragraphs"]]})
        for section in data["sections"]
    ]
    return Document(**{**data, "sections": sections})


def _previous_documents(index_dir: Path, fingerprint: str) -> dict[tuple[str, str], Document]:
    """(source path, content hash) → Document from the current build, if it was ingested the same way."""
    try:
        stored = read_extra(index_dir, DOCUMENTS_FILE)
        if not isinstance(stored, dict) or stored.get("fingerprint") != fingerprint:
            return {}
        documents = [document_from_json(d) for d in stored.get("documents", [])]
    except (OSError, ValueError, TypeError, KeyError, IndexProblem):  # a cache: a damaged one is not used
        return {}
    return {(d.source, d.content_hash): d for d in documents}


def load_documents_cached(
    paths: Iterable[Path], index_dir: Path, limits: IngestLimits | None = None
) -> tuple[list[Document], list[IngestError], str, int]:
    """ingest.load.load_documents, reusing the previous build's document for an unchanged file.

    `limits` come from the caller (`rus index build` passes the configured ones; default `IngestLimits()`).
    Returns the documents, the errors, the fingerprint to store with them and how many were reused."""
    limits = limits or IngestLimits()
    fingerprint = ingest_fingerprint(limits)
    previous = _previous_documents(Path(index_dir), fingerprint) if current_build(Path(index_dir)) else {}
    documents: list[Document] = []
    errors: list[IngestError] = []
    seen: set[str] = set()
    reused = 0
    for path in expand_paths(paths):
        cached = None
        if previous and path.is_file():
            try:
                cached = previous.get((str(path), file_hash(path)))
            except OSError:
                cached = None
        if cached is not None:
            document = cached
            assign_doc_id(document, doc_id_for(path))
            reused += 1
        else:
            try:
                document = load_document(path, limits=limits)
            except IngestError as error:
                errors.append(error)
                continue
        unique_doc_id(document, seen)  # as ingest.load.load_documents makes them
        documents.append(document)
    return documents, errors, fingerprint, reused


def library_documents(
    index_dir: Path, fingerprint: str, limits: IngestLimits | None = None
) -> tuple[list[Document], dict[str, dict], dict[str, Path], list[IngestError]]:
    """The current build's documents that were added to the library: the documents (stored, or re-read from
    their kept files when `fingerprint` differs or the stored ones are damaged), their library fields by doc id,
    their kept files, and the errors of files that could no longer be read. IndexProblem when the build's
    manifest cannot be read: what the library holds is then unknown, and a build must not drop it silently."""
    build = current_build(index_dir)
    if build is None:
        return [], {}, {}, []
    try:
        listed = read_manifest(index_dir, build).get("documents", [])
    except (OSError, ValueError, IndexProblem) as error:  # which documents the library holds is unknown: keep it
        raise IndexProblem(
            f"{index_dir}: the current build's manifest cannot be read ({error}), so the documents added to its "
            "library cannot be carried over; to build from the corpus alone and leave them out, add --drop-library"
        ) from error
    entries = [entry for entry in listed if added_by(entry) == ADDED_TO_LIBRARY]
    try:
        stored = read_extra(index_dir, DOCUMENTS_FILE, build) if entries else {}
    except (OSError, ValueError, IndexProblem):
        stored = {}  # the stored documents are damaged: each is read again from its kept file below
    reusable = isinstance(stored, dict) and stored.get("fingerprint") == fingerprint
    by_id = {d["doc_id"]: d for d in stored.get("documents", [])} if isinstance(stored, dict) else {}
    documents, metadata, files, errors = [], {}, {}, []
    for entry in entries:
        doc_id, file = entry["doc_id"], build / entry["file"] if entry.get("file") else None
        if file is None or not file.is_file():  # the library keeps every document's file: it was deleted
            errors.append(IngestError(entry.get("original_name") or doc_id, "added to the library, but its kept "
                                      "file is missing from the index; add it again with `rus docs add`",
                                      Refusal.NOT_FOUND))
            continue
        if reusable and doc_id in by_id:
            document = document_from_json(by_id[doc_id])
        else:
            try:
                document = load_document(file, limits=limits or IngestLimits())
            except IngestError as error:
                errors.append(error)
                continue
            assign_doc_id(document, doc_id)
            document.title = entry.get("title") or document.title
        documents.append(document)
        metadata[doc_id] = {key: entry[key] for key in ("kind", "year", "original_name") if key in entry}
        metadata[doc_id]["added"] = ADDED_TO_LIBRARY
        files[doc_id] = file
    return documents, metadata, files, errors


def added_by(entry: dict) -> str:
    """How a manifest's document came into the index. Manifests written before the field existed count every
    document as added to the library, so that no plan an officer added is dropped by the first rebuild; the build's
    own documents are read again from its paths and replace their old copies (same text or same file)."""
    return entry.get("added", ADDED_TO_LIBRARY)


def unique_doc_id(document: Document, taken: set[str]) -> None:
    """Give a document an id no other document in `taken` has (suffix -2, -3, …) and add it to `taken`."""
    base, suffix = document.doc_id, 2
    while document.doc_id in taken:
        assign_doc_id(document, f"{base}-{suffix}")
        suffix += 1
    taken.add(document.doc_id)


def _cached_vectors(index_dir: Path, embedder_id: str) -> dict[str, np.ndarray]:
    """Chunk and sentence vectors of the current build keyed by text hash, if it used the same embedder."""
    if current_build(index_dir) is None:
        return {}
    try:
        stored = load_build(index_dir)
    except IndexProblem:
        return {}
    if stored.manifest.get("embedder", {}).get("id") != embedder_id:
        return {}
    cache = {text_key(embedding_text(c)): v for c, v in zip(stored.chunks, stored.vectors, strict=True)}
    for (position, start, end), vector in zip(stored.sentence_spans, stored.sentence_vectors, strict=True):
        cache[text_key(stored.chunks[position].text[start:end])] = vector
    side = stored.translated
    if side is not None:
        for chunk, vector in zip(stored.chunks, side.vectors, strict=True):
            if chunk.text_en is not None:
                cache[text_key(chunk.text_en)] = vector
        for (position, start, end), vector in zip(side.sentence_spans, side.sentence_vectors, strict=True):
            cache[text_key(stored.chunks[position].text_en[start:end])] = vector
    if stored.phrasings is not None:
        phrasings = stored.phrasings
        cache.update((query_key(text), vector) for text, vector in zip(phrasings.texts, phrasings.vectors, strict=True))
    lexicon = stored.lexical.lexicon
    if lexicon is not None:
        cache.update((text_key(word), vector) for word, vector in zip(lexicon.words, lexicon.vectors, strict=True))
    return cache


def _embed_with_cache(
    embedder: Embedder, texts: list[str], cache: dict[str, np.ndarray], progress: bool, as_queries: bool = False
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` (as passages, or as queries), embedding only those not in the cache; returns (vectors,
    number embedded)."""
    key = query_key if as_queries else text_key
    keys = [key(t) for t in texts]
    embedded = sum(k not in cache for k in keys)
    missing = list(dict.fromkeys(k for k in keys if k not in cache))
    if missing:
        by_key = {key(t): t for t in texts}
        todo = [by_key[k] for k in missing]
        if as_queries:
            fresh = in_batches(todo, embedder.embed_queries, progress, "phrasings", getattr(embedder, "lanes", None))
        else:
            fresh = embedder.embed_passages(todo, progress=progress)
        cache.update(zip(missing, fresh, strict=True))
    vectors = np.array([cache[k] for k in keys], dtype=np.float32).reshape(len(texts), embedder.dim)
    return vectors, embedded


def build_index(
    paths: Iterable[Path],
    index_dir: Path,
    embedder: Embedder | None = None,
    chunking: ChunkingConfig | None = None,
    progress: bool = True,
    limits: IngestLimits | None = None,
    keep_library: bool = True,
    translations: Path | None = None,
) -> BuildReport:
    """Build (or rebuild) the index in `index_dir` from files and folders, reading each under `limits`. The
    documents added to the library since stay in the new build (unless `keep_library` is False), with their
    kind, year and title, re-read from their kept files when the ingest code changed. Documents with a
    translation memory in `translations` carry their English renderings."""
    started = time.perf_counter()
    documents, errors, fingerprint, _ = load_documents_cached(paths, Path(index_dir), limits)
    if not documents:
        reasons = "; ".join(str(e) for e in errors) or f"no {FORMATS_IN_WORDS} files found"
        raise BuildError(f"nothing to index: {reasons}")
    originals = {d.doc_id: Path(d.source) for d in documents}
    metadata: dict[str, dict] = {}
    kept: list[Document] = []
    if keep_library:
        kept, fields, kept_files, kept_errors = library_documents(Path(index_dir), fingerprint, limits)
        rebuilt = {p.content_hash for p in documents} | {p.source for p in documents}
        kept = [d for d in kept if d.content_hash not in rebuilt and d.source not in rebuilt]
        taken = {d.doc_id for d in documents}
        for document in kept:
            entry, original = fields[document.doc_id], kept_files[document.doc_id]
            unique_doc_id(document, taken)
            metadata[document.doc_id], originals[document.doc_id] = entry, original
        documents, errors = documents + kept, errors + kept_errors
    extract = time.perf_counter() - started
    report = index_documents(
        documents, index_dir, embedder, chunking, progress, fingerprint, metadata=metadata, originals=originals,
        translations=translations,
    )
    report.errors, report.kept = errors, [d.doc_id for d in kept]
    report.seconds = {"extract": extract, **report.seconds, "total": time.perf_counter() - started}
    return report


def default_kind(document: Document) -> str:
    """A document shaped like the strategy (it has priorities) is the strategy; anything else is a plan."""
    return "strategi" if any(s.kind == "priority" for s in document.sections) else "plan"


def index_documents(
    documents: list[Document],
    index_dir: Path,
    embedder: Embedder | None = None,
    chunking: ChunkingConfig | None = None,
    progress: bool = True,
    fingerprint: str | None = None,
    metadata: dict[str, dict] | None = None,
    originals: dict[str, Path] | None = None,
    translations: Path | None = None,
) -> BuildReport:
    """Chunk, embed (reusing the current build's vectors) and write ingested documents as a new build.

    `metadata` holds each document's library fields (kind, year, original_name) by doc id; `originals`
    the original files to keep in the build (files/<doc id><suffix>). `fingerprint` marks the documents
    as reusable by the next `build_index` (None: they were not all ingested by the current code).
    `translations` is the folder of translation memories (recorded in the manifest, so a library change
    keeps using it).
    """
    chunking = chunking or ChunkingConfig()
    library = {
        d.doc_id: {"kind": default_kind(d), "year": None, "original_name": Path(d.source).name,
                   "added": ADDED_BY_BUILD, **(metadata or {}).get(d.doc_id, {})}
        for d in documents
    }
    seconds: dict[str, float] = {}
    mark = time.perf_counter()
    chunked = [split_document(doc, chunking) for doc in documents]
    chunks = [  # each chunk names its document's kind and year (search filters and citations read them)
        replace(chunk, doc_kind=library[chunk.doc_id]["kind"], doc_year=library[chunk.doc_id]["year"])
        for parts in chunked
        for chunk in parts.chunks
    ]
    chunks, memory_statuses = with_translations(chunks, documents, library, translations)
    render_items(chunked, chunks)
    seconds["chunk"] = time.perf_counter() - mark
    mark = time.perf_counter()
    embedder = embedder or get_embedder()
    texts = [embedding_text(c) for c in chunks]
    sentences, spans = sentence_units([c.text for c in chunks])
    lexicon_words, lexicon_stems = Lexicon.vocabulary(texts)
    cache = _cached_vectors(Path(index_dir), embedder.id)
    words_embedded = len({text_key(w) for w in lexicon_words} - cache.keys())
    vectors, embedded = _embed_with_cache(embedder, texts + sentences + lexicon_words, cache, progress)
    embedded -= words_embedded
    n_passages = len(texts) + len(sentences)
    chunk_vectors, sentence_vectors = vectors[: len(texts)], vectors[len(texts) : n_passages]
    translated, embedded_en, reused_en = translated_side(chunks, embedder, cache, progress)
    phrasings, phrasings_embedded = phrasing_table(chunks, translations, embedder, cache, progress)
    seconds["embed"] = time.perf_counter() - mark
    mark = time.perf_counter()
    lexical = LexicalIndex.build(texts)
    lexical.lexicon = Lexicon(lexicon_words, lexicon_stems, vectors[n_passages:])
    files = {
        d.doc_id: (f"{FILES_DIR}/{d.doc_id}{path.suffix.lower()}", path)
        for d in documents
        if (path := (originals or {}).get(d.doc_id)) is not None and path.is_file()
    }
    n_chunks = {d.doc_id: sum(c.doc_id == d.doc_id for c in chunks) for d in documents}
    manifest = {
        "n_sentences": len(sentences),
        "embedder": {"id": embedder.id, "dim": embedder.dim},
        "chunking": {"size": chunking.size, "overlap": chunking.overlap},
        "documents": [
            {
                "doc_id": d.doc_id,
                "title": d.title,
                "source": d.source,
                "content_hash": d.content_hash,
                "n_pages": d.n_pages,
                "headings_from": d.headings_from,
                **library[d.doc_id],
                "n_chunks": n_chunks[d.doc_id],
                "file": files[d.doc_id][0] if d.doc_id in files else None,
            }
            for d in documents
        ],
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "translations": str(translations) if translations is not None else None,
    }
    build_dir = write_build(
        Path(index_dir),
        manifest,
        chunks,
        chunk_vectors,
        lexical,
        sentence_vectors,
        spans,
        extra_json={
            SECTIONS_FILE: section_tree(documents, chunked),
            DOCUMENTS_FILE: {"fingerprint": fingerprint, "documents": [document_to_json(d) for d in documents]},
        },
        extra_files=dict(files.values()),
        translated=translated,
        phrasings=phrasings,
    )
    seconds["index"] = time.perf_counter() - mark
    return BuildReport(build_dir, len(documents), len(chunks), len(sentences), embedded + embedded_en,
                       n_passages - embedded + reused_en, seconds=seconds, words_embedded=words_embedded,
                       translations=memory_statuses, phrasings_embedded=phrasings_embedded,
                       phrased=len(np.unique(phrasings.owners)) if phrasings is not None else 0)
