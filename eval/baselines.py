"""Retrieval systems the runner can evaluate: our index (any retriever) and the naive tutorial pipeline.

The naive pipeline is the usual tutorial recipe, kept for honesty: the whole cleaned text of each
document, split by RecursiveCharacterTextSplitter(1000, 200) with no regard for sections, each chunk
labelled with the section it starts in, embedded with the same embedder as the index (without any
heading context) and searched with an exact inner-product FAISS index. Its vectors are cached on
disk keyed by embedder and text hash, so reruns only embed what changed.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from index.analysis import QuestionAnalysis
from index.embedders import Embedder
from index.search import SearchIndex
from ingest.chunking import section_chunk
from ingest.load import load_document
from ingest.models import Chunk, Document

NAIVE_SIZE = 1000
NAIVE_OVERLAP = 200
# Headings the cleaned section text already starts with (split off a sub-priority's own text).
INLINE_HEADING_KINDS = ("challenges", "actors")


class RetrievalSystem(Protocol):
    """What the runner needs: a name, the indexed chunks (for nDCG) and a search returning ranked hits.

    `answer_states` says whether its hits carry what the answer-state decision reads (index.search.Hit's dense and
    sentence scores, coverage, the SearchIndex they came from); the runner decides states only for such systems."""

    name: str
    answer_states: bool

    @property
    def chunks(self) -> Sequence[Chunk]: ...

    def search(self, query: str, k: int) -> list: ...  # hits with .rank, .score and .chunk

    def read(self, query: str) -> object: ...  # the query as the answer-state decision receives it (answer_states)


class IndexRetriever:
    """One retriever ("hybrid", "dense" or "bm25") of a loaded SearchIndex. With `answer_scope` a query is searched
    in the documents the answer path would answer it from (SearchIndex.answer_scope: a (sub-)priority
    question within the strategy when the index also holds plans); else over the whole index."""

    answer_states = True

    def __init__(self, index: SearchIndex, retriever: str, answer_scope: bool = True) -> None:
        self.index = index
        self.retriever = retriever
        self.name = retriever
        self.answer_scope = answer_scope

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self.index.chunks

    def read(self, query: str) -> QuestionAnalysis:
        """The query read as the answer path reads it (what the answer-state decision receives)."""
        return self.index.read(query)

    def search(self, query: str, k: int) -> list:
        # The query language is left to the system's own detection, as for a real user.
        analysis = self.index.read(query)
        filters = self.index.answer_scope(analysis) if self.answer_scope else None
        return self.index.search(analysis, k=k, retriever=self.retriever, filters=filters)


@dataclass
class NaiveHit:
    """A hit shaped like index.search.Hit, so abstain functions written for the service accept it."""

    rank: int
    score: float
    chunk: Chunk
    dense_score: float | None = None
    bm25_score: float | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)


def whole_text(document: Document) -> tuple[str, list[int], list[int]]:
    """The document's cleaned text in order (headings included as lines), plus each section's start offset.

    Returns (text, starts, section indices) with `starts` sorted, for labelling chunks by position.
    """
    parts: list[str] = []
    starts: list[int] = []
    owners: list[int] = []
    offset = 0
    previous_heading = None
    for index, section in enumerate(document.sections):
        heading = section.heading_path[-1] if section.heading_path else None
        pieces = []
        if heading and heading != previous_heading and section.kind not in INLINE_HEADING_KINDS:
            pieces.append(heading)
        previous_heading = heading
        if section.text.strip():
            pieces.append(section.text)
        if not pieces:
            continue
        block = "\n\n".join(pieces)
        if parts:
            offset += 2  # the "\n\n" joining blocks
        starts.append(offset)
        owners.append(index)
        parts.append(block)
        offset += len(block)
    return "\n\n".join(parts), starts, owners


def naive_chunks(document: Document, size: int = NAIVE_SIZE, overlap: int = NAIVE_OVERLAP) -> list[Chunk]:
    """Fixed-size chunks over the whole text, each labelled with the section it starts in."""
    text, starts, owners = whole_text(document)
    splitter = RecursiveCharacterTextSplitter(chunk_size=size, chunk_overlap=overlap, add_start_index=True)
    chunks = []
    for piece in splitter.create_documents([text]):
        start = int(piece.metadata["start_index"])
        position = max(bisect.bisect_right(starts, start) - 1, 0)
        section = document.sections[owners[position]]
        identity = f"{document.doc_id}\x1f{start}\x1f{piece.page_content}"
        chunks.append(section_chunk(
            document, section, piece.page_content, section.page_start, section.page_end, identity=identity
        ))
    return chunks


class VectorCache:
    """Passage vectors on disk, keyed by sha256(embedder id + text); one .npz file per embedder."""

    def __init__(self, directory: Path, embedder_id: str) -> None:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", embedder_id).strip("-")
        self.path = Path(directory) / f"naive-vectors-{slug}.npz"
        self.embedder_id = embedder_id
        self._vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # a damaged cache is only a slower run

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.embedder_id}\x1f{text}".encode()).hexdigest()

    def get(self, text: str) -> np.ndarray | None:
        return self._vectors.get(self.key(text))

    def put(self, text: str, vector: np.ndarray) -> None:
        self._vectors[self.key(text)] = np.asarray(vector, dtype=np.float32)

    def save(self) -> None:
        if not self._vectors:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors), dtype=str)
        vectors = np.vstack(list(self._vectors.values())).astype(np.float32)
        partial = self.path.with_name(self.path.stem + ".partial.npz")
        np.savez(partial, keys=keys, vectors=vectors)
        partial.replace(self.path)


class NaiveDenseIndex:
    """Dense search over naive fixed-size chunks; same search interface as an IndexRetriever. Its hits have no
    sentence scores or coverage, so no answer state is decided for it: it reports retrieval metrics only."""

    name = "naive-dense"
    answer_states = False

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, embedder: Embedder) -> None:
        self._chunks = chunks
        self.embedder = embedder
        self.faiss_index = faiss.IndexFlatIP(vectors.shape[1])
        self.faiss_index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.stats: dict[str, int] = {}

    @property
    def chunks(self) -> Sequence[Chunk]:
        return self._chunks

    @classmethod
    def build(
        cls, sources: Sequence[Path], embedder: Embedder, cache_dir: Path | None = None, progress: bool = False
    ) -> NaiveDenseIndex:
        chunks = [c for source in sources for c in naive_chunks(load_document(Path(source)))]
        if not chunks:
            raise ValueError("the naive baseline found no text to index")
        cache = VectorCache(cache_dir, embedder.id) if cache_dir is not None else None
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        missing = []
        for position, chunk in enumerate(chunks):
            cached = cache.get(chunk.text) if cache else None
            if cached is not None and cached.shape == (embedder.dim,):
                vectors[position] = cached
            else:
                missing.append(position)
        if missing:
            fresh = embedder.embed_passages([chunks[i].text for i in missing], progress=progress)
            for row, position in enumerate(missing):
                vectors[position] = fresh[row]
                if cache:
                    cache.put(chunks[position].text, fresh[row])
            if cache:
                cache.save()
        index = cls(chunks, vectors, embedder)
        index.stats = {"chunks": len(chunks), "embedded": len(missing), "reused": len(chunks) - len(missing)}
        return index

    def search(self, query: str, k: int) -> list[NaiveHit]:
        if k <= 0:
            return []
        query_vector = self.embedder.embed_queries([query]).astype(np.float32)
        scores, ids = self.faiss_index.search(query_vector, min(k, len(self._chunks)))
        return [
            NaiveHit(rank=rank, score=float(score), chunk=self._chunks[int(position)], dense_score=float(score))
            for rank, (score, position) in enumerate(zip(scores[0], ids[0], strict=True), start=1)
            if position >= 0
        ]
