"""Search a loaded index: dense (chunk + sentence vectors), lexical (BM25) or a language-aware fusion.

Measured on the dev set (docs/retrieval.md): scoring a chunk by a mix of its own similarity and its best
sentence's similarity beats either alone; English queries gain from Swedish glossary terms (index/translate.py);
and the lexical side may only nudge the dense ranking, in proportion to how completely a chunk covers the
query's concepts — plain fusion with BM25 loses to dense alone here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from index import vectors as vector_search
from index.analysis import PreparedQuery, QuestionAnalysis, QuestionReader, asks_for_plans, prepare_query
from index.embedders import DEFAULT_ENGINE, Embedder, embedder_id, get_embedder
from index.lexicon import Lexicon
from index.library import STRATEGY
from index.sentences import rows_in_ranges, sentence_spans
from index.store import EmbedderMismatch, IndexDamaged, StoredIndex, load_build, read_manifest
from index.tokens import TOKENIZER, tokenize
from index.translated import EnglishSide
from ingest.models import Chunk
from ingest.vocabulary import is_framing

Retriever = Literal["hybrid", "dense", "bm25"]
RETRIEVERS: tuple[str, ...] = ("hybrid", "dense", "bm25")
SENTENCE_WEIGHT = 0.6  # dense score = 0.4 · chunk similarity + 0.6 · best sentence similarity
# hybrid = dense + weight[language] · (max-normalised BM25 × concept coverage²). Dense similarities of
# candidate chunks lie within ~0.02 of each other, so these small weights already decide close calls.
# Swedish 0.04: once typed words reach the vocabulary (index/terms.py), a larger nudge pays on real wording
# (eval/realistic_tune.jsonl hit@1 0.707 → 0.744, dev unchanged; 0.06 drops dev — docs/retrieval.md).
LEXICAL_WEIGHT = {"sv": 0.04, "en": 0.02}
# The strategy's framing text (ingest.vocabulary.is_framing: introduction, context, vision, lists of plans) yields
# to its priorities, sub-priorities and inriktningar by this much in hybrid search: real questions are topical, and a
# context paragraph that mentions everything otherwise wins close calls. eval/realistic_tune.jsonl section hit@1
# 0.744 → 0.793 (flat from 0.015 to 0.03), dev and gold_extra unchanged; 0.03 drops gold_extra (docs/retrieval.md).
# A question that asks for strategies or plans (a concept among ingest.vocabulary.PLANS_LISTED) is answered by the
# lists of other plans, so for it they do not yield: the penalty had cost gold_extra evidence@5 0.944 → 0.903.
FRAMING_PENALTY = 0.015
# A passage is read in its section: hybrid search adds SECTION_WEIGHT × the query's similarity to the centroid of its
# section's sentence vectors (less the best section's, so no score rises). A question in everyday words often
# matches no single sentence well but the section's topic as a whole ("waiting months to see a doctor").
# Chosen on eval/realistic_tune.jsonl: section hit@1 0.793 → 0.841 (everyday English 13 → 17 of 23), dev 0.889 →
# 0.944, gold_extra unchanged; from 0.7 gold_extra drops (docs/retrieval.md).
SECTION_WEIGHT = 0.5
LEXICAL_CANDIDATES = 100  # coverage is computed for the top BM25 chunks only
# An English question against an index with the strategy's English rendering (index/translated.py): where a chunk
# has a rendering, its dense score and its section's context are (1 − w) · the Swedish side's + w · the English
# side's, and the English BM25 evidence adds ENGLISH_LEXICAL_WEIGHT × its evidence. Chosen on
# eval/realistic_tune.jsonl (docs/retrieval.md "The strategy in English").
ENGLISH_DENSE_WEIGHT = 0.5
ENGLISH_LEXICAL_WEIGHT = 0.01
# One search path: the dense side scores candidate chunks exactly from the stored vectors. Below CANDIDATES_FROM
# chunks (and for filters leaving at most EXACT_SUBSET) every allowed chunk is a candidate. From CANDIDATES_FROM on
# (docs/benchmarks.md) the candidates are the top CHUNK_CANDIDATES chunks and the chunks of the top
# SENTENCE_CANDIDATES sentences (plus the top BM25 chunks for hybrid), and the search widens until no other chunk
# could reach the top k.
CANDIDATES_FROM = 5_000
CHUNK_CANDIDATES = 200
SENTENCE_CANDIDATES = 500
STEM_CACHE = 200_000  # chunks whose stems the hybrid side keeps (large indexes)
EXACT_SUBSET = 2_000  # a filter leaving at most this many chunks is scored exactly over that subset


@dataclass(frozen=True)
class Filters:
    """Restrict results to a document, a document kind ("strategi", "plan", …), a priority (1–6) and/or a
    section id."""

    doc: str | None = None
    priority: int | None = None
    section: str | None = None
    kind: str | None = None

    def allows(self, chunk: Chunk) -> bool:
        return (
            (self.doc is None or chunk.doc_id == self.doc)
            and (self.kind is None or chunk.doc_kind == self.kind)
            and (self.priority is None or chunk.priority == self.priority)
            and (self.section is None or chunk.section_id == self.section)
        )


@dataclass(frozen=True)
class SentenceScore:
    """A sentence of a chunk (character offsets into chunk.text) and its similarity to the query."""

    start: int
    end: int
    score: float


@dataclass
class Hit:
    """One ranked chunk with its scores, its position in the index and its sentences' similarities."""

    rank: int
    score: float
    chunk: Chunk
    position: int  # the chunk's position in SearchIndex.chunks
    dense_score: float | None = None
    bm25_score: float | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)  # the best sentence: offsets into chunk.text
    sentences: list[SentenceScore] = field(default_factory=list)  # every indexed sentence (dense retrievers)
    coverage: float | None = None  # share of the query's concepts the chunk contains (None: the query has none)


@dataclass(frozen=True)
class AnswerPool:
    """A question's passages for an answer: read once, ranked once where it is answered from (`answer_scope`), and,
    when that narrowed it to the strategies, the other documents' best passages beside them."""

    analysis: QuestionAnalysis
    hits: list[Hit]
    related: list[Hit]


@dataclass
class _Dense:
    """Exact dense scores of candidate chunks: the mixed score, and every sentence's similarity with its owner."""

    positions: np.ndarray  # ascending chunk positions
    mixed: np.ndarray  # per candidate: mix_scores(chunk similarity, best sentence similarity)
    best_row: np.ndarray  # per candidate: the sentence-table row of its best sentence, or -1
    rows: np.ndarray  # sentence-table rows of the candidates' sentences, grouped by candidate
    owner: np.ndarray  # per row: index into positions (ascending)
    sentence_sim: np.ndarray  # per row: similarity to the query
    bounds: np.ndarray  # candidate i's rows are rows[bounds[i]:bounds[i + 1]]


def mix_scores(chunk_sim: np.ndarray, best_sentence_sim: np.ndarray) -> np.ndarray:
    """A chunk's dense score: (1 − SENTENCE_WEIGHT) · its own similarity + SENTENCE_WEIGHT · its best sentence's;
    a chunk without indexed sentences (best sentence -inf) keeps its own similarity. Used by search and by every
    caller that scores chunks against vectors, so their scores are comparable."""
    return np.where(
        np.isfinite(best_sentence_sim),
        (1 - SENTENCE_WEIGHT) * chunk_sim + SENTENCE_WEIGHT * best_sentence_sim,
        chunk_sim,
    )


class SearchIndex:
    """An index loaded for searching, with its embedder: the one place that scores chunks and sentences."""

    def __init__(self, stored: StoredIndex, embedder: Embedder) -> None:
        self.stored = stored
        self.embedder = embedder
        self.chunks = stored.chunks
        self.manifest = stored.manifest
        self._stems: dict[int, frozenset[str]] = {}
        self._fields: dict[str, dict[object, np.ndarray]] | None = None  # filter field → value → positions
        self._sentence_table: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self._position: dict[str, int] | None = None  # chunk id → position
        self._framing_masks: tuple[np.ndarray, np.ndarray] | None = None  # (framing text, without plan lists)
        self._sections: tuple[np.ndarray, np.ndarray] | None = None  # (chunk position → section row, centroids)
        self.english: EnglishSide | None = None  # the English rendering's side, built with the index (read-only)
        if stored.translated is not None:
            section_of, centroids = self._section_centroids()
            self.english = EnglishSide(stored.translated, self.chunks, section_of, len(centroids))
        self.reader = QuestionReader(stored.lexical, len(self.chunks), english=self.english is not None)

    def read(self, question: str, language: str | None = None) -> QuestionAnalysis:
        """The question read once against this index (index/analysis.py); `language` overrides detection."""
        return self.reader.read(question, language)

    @classmethod
    def open(
        cls, index_dir: Path, embedder: Embedder | str | None = None, engine: str = DEFAULT_ENGINE
    ) -> SearchIndex:
        """Load the index in `index_dir`; the embedder must be the one it was built with (an e5 one runs on the
        e5 `engine` asked for)."""
        manifest = read_manifest(index_dir)
        built_with = manifest["embedder"]["id"]
        if isinstance(embedder, str) and embedder_id(embedder) != built_with:
            raise EmbedderMismatch(Path(index_dir), built_with, embedder_id(embedder))
        if embedder is None or isinstance(embedder, str):
            embedder = get_embedder(built_with if built_with.startswith("st:") else "e5", engine)
        if embedder.id != built_with:
            raise EmbedderMismatch(Path(index_dir), built_with, embedder.id)
        stored = load_build(index_dir)
        if stored.lexical.tokenizer != TOKENIZER:
            built_by = stored.lexical.tokenizer or "an older, unversioned tokenizer"
            problem = f"its BM25 side was built by {built_by}, this version needs {TOKENIZER}"
            raise IndexDamaged(Path(index_dir), problem)
        return cls(stored, embedder)

    @property
    def build_path(self) -> Path:
        return Path(self.stored.path)

    @property
    def documents(self) -> dict[str, dict]:
        """The indexed documents' manifest entries (title, kind, year, pages, chunks, kept file) by doc id."""
        return {entry["doc_id"]: entry for entry in self.manifest.get("documents", [])}

    def search(
        self,
        question: str | QuestionAnalysis,
        k: int = 10,
        retriever: Retriever = "hybrid",
        filters: Filters | None = None,
        language: str | None = None,
    ) -> list[Hit]:
        """Rank chunks for a question, read once (`read`) or given as text and read here, where `language`
        ('sv'/'en') overrides detection."""
        if retriever not in RETRIEVERS:
            raise ValueError(f"unknown retriever {retriever!r}; use one of {', '.join(RETRIEVERS)}")
        allowed = None if filters is None or filters == Filters() else self._allowed(filters)
        if k <= 0 or (allowed is not None and not len(allowed)):
            return []
        analysis = question if isinstance(question, QuestionAnalysis) else self.read(question, language)
        prepared = analysis.prepared
        vector = self.query_vector(analysis.dense_text) if retriever != "bm25" else None
        short = Lexicon.applies_to(len(analysis.text.split()))
        if retriever == "hybrid" and prepared.language == "en" and not prepared.concepts and short:
            prepared = self._with_lexicon(prepared, vector)
        lexical = None
        if retriever != "dense":
            lexical = self.stored.lexical.token_scores(list(prepared.lexical_tokens))
        if retriever == "bm25":
            matching = np.flatnonzero(lexical > 0)  # a chunk sharing no term with the query is no match
            if allowed is not None:
                matching = np.intersect1d(matching, allowed, assume_unique=True)
            order = _top(matching, lexical[matching], k)
            terms = analysis.query_stems
            hits = [self._lexical_hit(rank, int(p), float(lexical[p]), terms) for rank, p in enumerate(order, 1)]
            return self._with_coverage(hits, prepared.concepts)
        english = self.english if prepared.language == "en" and retriever != "bm25" else None
        boosted = boost = section_of = context = None
        if retriever == "hybrid":
            boosted, evidence = self._lexical_evidence(lexical, prepared.concepts)
            boost = LEXICAL_WEIGHT[prepared.language] * evidence
            if english is not None:
                more, more_evidence = english.lexical_evidence(analysis.english_stems)
                boosted, boost = _merge(boosted, boost, more, ENGLISH_LEXICAL_WEIGHT * more_evidence)
            keep = boost > 0
            if allowed is not None:
                keep &= np.isin(boosted, allowed)
            boosted, boost = boosted[keep], boost[keep]
            section_of, context = self._section_context(vector, english)
        scale = 1
        while True:
            dense, bound, exhaustive = self._dense_candidates(vector, allowed, boosted, scale, english)
            final = dense.mixed.copy()
            if boosted is not None and len(boosted):
                final[np.searchsorted(dense.positions, boosted)] += boost
            if retriever == "hybrid":
                final -= FRAMING_PENALTY * self._framing(prepared)[dense.positions]
                final += SECTION_WEIGHT * context[section_of[dense.positions]]
            kth = np.partition(final, len(final) - k)[len(final) - k] if len(final) >= k else -np.inf
            if exhaustive or kth > bound:
                break
            scale *= 4  # another chunk could still reach the top k: widen the candidate search
        order = _top(np.arange(len(dense.positions)), final, k)
        hits = self._dense_hits(order, final, dense, lexical, analysis.query_stems)
        return self._with_coverage(hits, prepared.concepts)

    def answer_scope(self, analysis: QuestionAnalysis) -> Filters | None:
        """Where a question is answered from when its caller chose no document: one that asks for a (sub-)priority —
        or a description or topic phrase, which sub-priorities answer — from the strategies when the index also
        holds other kinds of documents (with four plans in the index this keeps the dev set's section hit@1 at 0.889
        where the whole library gives 0.861 — docs/library.md); anything else from the whole index."""
        kinds = self.kinds()
        if STRATEGY in kinds and len(kinds) > 1 and analysis.asks_for_subpriority:
            return Filters(kind=STRATEGY)
        return None

    def answer_pool(
        self, question: str, k: int, language: str | None = None, filters: Filters | None = None, related: int = 0
    ) -> AnswerPool:
        """The question read, and its `k` best passages (hybrid) within the caller's `filters`, else within its
        `answer_scope`; when that scope narrowed the search, the other documents' passages among the `related` best
        of the whole index."""
        analysis = self.read(question, language)
        scope = filters if filters is not None else self.answer_scope(analysis)
        hits = self.search(analysis, k, "hybrid", scope)
        others: list[Hit] = []
        if filters is None and scope is not None and related:
            others = [hit for hit in self.search(analysis, related, "hybrid") if hit.chunk.doc_kind != STRATEGY]
        return AnswerPool(analysis, hits, others)

    def kinds(self) -> set[str | None]:
        """The document kinds of the indexed chunks (what Filters.kind can select)."""
        return set(self._field_positions("kind"))

    def positions_of(self, chunk_ids: list[str]) -> list[int]:
        """Positions of the given chunk ids in `chunks` (ids not in the index are left out)."""
        if self._position is None:
            self._position = {}
            for position, chunk in enumerate(self.chunks):
                self._position.setdefault(chunk.chunk_id, position)
        return [self._position[c] for c in chunk_ids if c in self._position]

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def query_vectors(self, texts: list[str], language: str | None = None) -> np.ndarray:
        """Vectors of texts embedded as search embeds a query (frame stripped, English glossary terms added)."""
        return self.embedder.embed_queries([prepare_query(text, language).dense_text for text in texts])

    # --- scoring chunks and sentences against vectors (match, align, evidence) -----------------------------------

    def similarity(self, vectors: np.ndarray, positions: list[int] | np.ndarray) -> np.ndarray:
        """(len(positions), len(vectors)) dense scores of chunks against unit vectors, mixed as search mixes them."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        positions = np.asarray(positions, dtype=np.int64)
        if not len(positions):
            return np.zeros((0, len(vectors)), dtype=np.float32)
        chunk_sim = self.stored.vectors[positions] @ vectors.T
        rows, owner = self._rows_of(positions)
        best = np.full(chunk_sim.shape, -np.inf, dtype=np.float32)
        if len(rows):
            np.maximum.at(best, owner, self.stored.sentence_vectors[rows] @ vectors.T)
        return mix_scores(chunk_sim, best).astype(np.float32)

    def lexical_share(
        self, texts: list[str], positions: list[int] | np.ndarray, language: str | None = None
    ) -> np.ndarray:
        """(len(positions), len(texts)): each text's BM25 score for the chunks at `positions` as a share of its best
        score over the whole index (0 when it shares no word with the index). Texts are read as queries (English
        ones through the glossary), so 1.0 means no chunk matches the text's words better than this one."""
        positions = np.asarray(positions, dtype=np.int64)
        shares = np.zeros((len(positions), len(texts)), dtype=np.float32)
        for column, text in enumerate(texts):
            scores = self.stored.lexical.scores(prepare_query(text, language).lexical_text)
            best = float(scores.max()) if len(scores) else 0.0
            if best > 0 and len(positions):
                shares[:, column] = scores[positions] / best
        return shares

    def sentence_scores(self, vectors: np.ndarray, position: int) -> list[SentenceScore]:
        """A chunk's indexed sentences scored by their best similarity to any of `vectors`, best first."""
        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        rows, _ = self._rows_of(np.array([position]))
        if not len(rows):
            return []
        sims = (self.stored.sentence_vectors[rows] @ vectors.T).max(axis=1)
        spans = self.stored.sentence_spans[rows]
        scored = [SentenceScore(int(s), int(e), float(v)) for (_, s, e), v in zip(spans, sims, strict=True)]
        return sorted(scored, key=lambda sentence: -sentence.score)

    def sentence_vectors(self, position: int) -> tuple[list[tuple[int, int]], np.ndarray]:
        """A chunk's indexed sentences (offsets into its text) and their stored vectors."""
        rows, _ = self._rows_of(np.array([position]))
        spans = [(int(s), int(e)) for _, s, e in self.stored.sentence_spans[rows]]
        return spans, self.stored.sentence_vectors[rows]

    def typical_similarity(self, vectors: np.ndarray, top: int) -> np.ndarray:
        """Per vector: the mean of its `top` best similarities to the indexed sentences (to the chunks when the index
        has no sentences) — how close a text is to the corpus in general."""
        reference = self.stored.sentence_vectors if len(self.stored.sentence_vectors) else self.stored.vectors
        sims = np.atleast_2d(np.asarray(vectors, dtype=np.float32)) @ reference.T
        top = min(top, sims.shape[1])
        return np.sort(sims, axis=1)[:, -top:].mean(axis=1)

    def _section_context(
        self, vector: np.ndarray, english: EnglishSide | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk position's section row, and per section the query's similarity to its centroid minus the best
        section's (≤ 0, so the dense side's bound on unseen chunks still holds); once per search. With the English
        side, a section with English sentences mixes in their centroid's similarity as the dense scores mix."""
        section_of, centroids = self._section_centroids()
        similarity = vector_search.dot(centroids, np.asarray(vector, dtype=np.float32))
        if english is not None:
            other = english.section_context(vector)
            mixed = (1 - ENGLISH_DENSE_WEIGHT) * similarity + ENGLISH_DENSE_WEIGHT * other
            similarity = np.where(np.isfinite(other), mixed, similarity).astype(np.float32)
        return section_of, similarity - similarity.max()

    def _section_centroids(self) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk's section (document and section id) as a row of unit centroids of the section's sentence
        vectors — of its chunk vectors for a section without embedded sentences (computed once). A list of other
        plans is read in its priority's section: the strategy heads every priority's list alike, and a list of
        titles has no topic of its own (gold_extra evidence@5 0.944 → 0.958 with the plan-list rule above)."""
        if self._sections is None:
            priority_section = {(c.doc_id, c.priority): c.section_id for c in self.chunks if c.kind == "priority"}
            rows: dict[tuple[str, str], int] = {}
            section_of = np.array(
                [rows.setdefault((c.doc_id, _context_section(c, priority_section)), len(rows)) for c in self.chunks],
                dtype=np.int64,
            )
            stored = self.stored
            sums = np.zeros((len(rows), stored.vectors.shape[1]), dtype=np.float64)
            owners = section_of[np.asarray(stored.sentence_spans[:, 0], dtype=np.int64)]
            np.add.at(sums, owners, stored.sentence_vectors)
            without = np.setdiff1d(np.arange(len(rows)), owners)
            chunks = np.flatnonzero(np.isin(section_of, without))
            np.add.at(sums, section_of[chunks], stored.vectors[chunks])
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            self._sections = section_of, (sums / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return self._sections

    def _framing(self, prepared: PreparedQuery) -> np.ndarray:
        """Per chunk position: 1.0 for the strategy's framing text that yields to this query's topical text, else 0.0;
        the lists of other plans do not yield to a question that asks for strategies or plans (computed once)."""
        if self._framing_masks is None:
            framing = np.array([is_framing(chunk.kind, chunk.section_id) for chunk in self.chunks], dtype=np.float32)
            plan_lists = np.array([chunk.kind == "plans" for chunk in self.chunks], dtype=bool)
            self._framing_masks = framing, np.where(plan_lists, np.float32(0), framing)
        framing, without_plan_lists = self._framing_masks
        return without_plan_lists if asks_for_plans(prepared.concepts) else framing

    # --- lexical side ---------------------------------------------------------------------------------------------

    def _with_lexicon(self, prepared: PreparedQuery, vector: np.ndarray) -> PreparedQuery:
        """A short English query the glossary does not cover, with the index's Swedish words nearest to its vector
        (index/lexicon.py) as its BM25 terms: one concept that any of them covers."""
        lexicon = self.stored.lexical.lexicon
        related = tuple(s for s in lexicon.nearest(vector) if s not in prepared.lexical_tokens) if lexicon else ()
        if not related:
            return prepared
        concept = frozenset(frozenset([stem]) for stem in related)
        return replace(
            prepared, lexical_tokens=prepared.lexical_tokens + related, concepts=(*prepared.concepts, concept)
        )

    def _lexical_evidence(
        self, lexical: np.ndarray, concepts: tuple[frozenset[frozenset[str]], ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """For the top LEXICAL_CANDIDATES BM25 chunks (ascending positions): max-normalised BM25 × (share of the
        query's concepts the chunk contains)²."""
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not concepts or not len(lexical):
            return empty
        matching = np.flatnonzero(lexical > 0)
        if not len(matching):
            return empty
        top = float(lexical[matching].max())
        candidates = np.sort(_top(matching, lexical[matching], LEXICAL_CANDIDATES))
        coverage = np.asarray(self._coverage(candidates, concepts), dtype=np.float32)
        return candidates, (lexical[candidates] / top * coverage**2).astype(np.float32)

    def _coverage(self, positions: np.ndarray, concepts: tuple[frozenset[frozenset[str]], ...]) -> list[float]:
        """Per chunk: the share of the query's concepts it contains (a concept counts when all stems of one of its
        alternatives are among the chunk's stems). One-stem alternatives, the usual kind, are tested together as
        one set per concept."""
        self._cache_stems(positions)
        stems = [self._stems[p] for p in positions.tolist()]
        covered = np.zeros(len(stems), dtype=np.int64)
        for concept in concepts:
            single = frozenset(stem for alternative in concept if len(alternative) == 1 for stem in alternative)
            other = [alternative for alternative in concept if len(alternative) != 1]  # an empty one is always in
            if other:
                covered += [
                    not single.isdisjoint(chunk) or any(alternative <= chunk for alternative in other)
                    for chunk in stems
                ]
            else:
                covered += [not single.isdisjoint(chunk) for chunk in stems]
        return (covered / len(concepts)).tolist()

    def _with_coverage(self, hits: list[Hit], concepts: tuple[frozenset[frozenset[str]], ...]) -> list[Hit]:
        if concepts and hits:
            for hit, share in zip(hits, self._coverage(np.array([h.position for h in hits]), concepts), strict=True):
                hit.coverage = share
        return hits

    def _cache_stems(self, positions: np.ndarray) -> None:
        """Stems of the given chunks (heading path + text), tokenized in one call and kept for later queries."""
        if len(self._stems) > STEM_CACHE:
            self._stems.clear()  # bounded memory on large indexes (before `missing`: the caller reads them all)
        missing = [p for p in positions.tolist() if p not in self._stems]
        if missing:
            texts = [" ".join(self.chunks[p].heading_path) + " " + self.chunks[p].text for p in missing]
            for position, tokens in zip(missing, tokenize(texts), strict=True):
                self._stems[position] = frozenset(tokens)

    # --- filters --------------------------------------------------------------------------------------------------

    def _allowed(self, filters: Filters) -> np.ndarray:
        """Positions (ascending) of the chunks the filters allow."""
        allowed: np.ndarray | None = None
        for name, value in (
            ("doc", filters.doc), ("kind", filters.kind), ("priority", filters.priority), ("section", filters.section)
        ):
            if value is not None:
                positions = self._field_positions(name).get(value, np.zeros(0, dtype=np.int64))
                allowed = positions if allowed is None else np.intersect1d(allowed, positions, assume_unique=True)
        return allowed if allowed is not None else np.arange(len(self.chunks))

    def _field_positions(self, name: str) -> dict[object, np.ndarray]:
        """value → ascending chunk positions, per filter field (built once, at the first filtered search)."""
        if self._fields is None:
            fields: dict[str, dict[object, list[int]]] = {"doc": {}, "kind": {}, "priority": {}, "section": {}}
            for position, chunk in enumerate(self.chunks):
                fields["doc"].setdefault(chunk.doc_id, []).append(position)
                fields["kind"].setdefault(chunk.doc_kind, []).append(position)
                fields["priority"].setdefault(chunk.priority, []).append(position)
                fields["section"].setdefault(chunk.section_id, []).append(position)
            self._fields = {
                field_name: {value: np.array(rows, dtype=np.int64) for value, rows in values.items()}
                for field_name, values in fields.items()
            }
        return self._fields[name]

    # --- dense side -----------------------------------------------------------------------------------------------

    def _sentence_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Per chunk position: [start, end) into the sentence table sorted by chunk, and that sort (None if the
        table is already in chunk order, as builds write it)."""
        if self._sentence_table is None:
            owners = np.asarray(self.stored.sentence_spans[:, 0], dtype=np.int64)
            order = None
            if len(owners) and np.any(np.diff(owners) < 0):
                order = np.argsort(owners, kind="stable")
                owners = owners[order]
            chunk_positions = np.arange(len(self.chunks))
            starts = np.searchsorted(owners, chunk_positions, side="left")
            ends = np.searchsorted(owners, chunk_positions, side="right")
            self._sentence_table = (starts, ends, order)
        return self._sentence_table

    def _rows_of(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sentence-table rows of the given chunks, and for each row the index (into positions) of its chunk."""
        starts, ends, order = self._sentence_rows()
        rows, owner = rows_in_ranges(starts, ends, positions)
        if order is not None:
            rows = order[rows]
        return rows, owner

    def _dense_candidates(
        self,
        vector: np.ndarray,
        allowed: np.ndarray | None,
        extra: np.ndarray | None,
        scale: int,
        english: EnglishSide | None = None,
    ) -> tuple[_Dense, float, bool]:
        """Candidate chunks with their exact dense scores, an upper bound on the score of any other allowed chunk,
        and whether every allowed chunk is a candidate.

        Candidates: every allowed chunk below CANDIDATES_FROM chunks or when a filter leaves at most EXACT_SUBSET;
        otherwise the top CHUNK_CANDIDATES·scale chunks, the chunks of the top SENTENCE_CANDIDATES·scale sentences,
        and `extra`; with the English side also the top chunks by their rendering's score (every fused score lies
        between its two sides', so the larger of the two sides' bounds bounds it)."""
        stored = self.stored
        n, n_sentences = len(self.chunks), len(stored.sentence_spans)
        vector = np.asarray(vector, dtype=np.float32)
        if n < CANDIDATES_FROM or (allowed is not None and len(allowed) <= EXACT_SUBSET):
            positions = np.arange(n) if allowed is None else np.asarray(allowed, dtype=np.int64)
            return self._dense_scores(vector, positions, english), -np.inf, True
        english_bound = -np.inf
        if english is not None:
            pool = np.arange(n) if allowed is None else np.asarray(allowed, dtype=np.int64)
            scores = _english_mixed(english, vector, pool)
            top = _top(pool, scores, min(len(pool), CHUNK_CANDIDATES * scale))
            if len(top) < len(pool):
                english_bound = float(np.sort(scores)[len(pool) - len(top) - 1])
            extra = top if extra is None else np.concatenate([np.asarray(extra, dtype=np.int64), top])
        chunk_params = sentence_params = None
        n_allowed, s_allowed = n, n_sentences
        if allowed is not None:
            mask = np.zeros(n, dtype=bool)
            mask[allowed] = True
            sentence_mask = mask[stored.sentence_spans[:, 0]]
            n_allowed, s_allowed = len(allowed), int(sentence_mask.sum())
            chunk_params = vector_search.search_parameters(stored.faiss_index, _bitmap(mask))
            sentence_params = vector_search.search_parameters(stored.sentence_faiss, _bitmap(sentence_mask))
        kc = min(n_allowed, CHUNK_CANDIDATES * scale)
        ks = min(s_allowed, SENTENCE_CANDIDATES * scale)
        chunk_sim, chunk_ids = vector_search.search(stored.faiss_index, stored.vectors, vector, kc, chunk_params)
        sentence_sim, sentence_ids = vector_search.search(
            stored.sentence_faiss, stored.sentence_vectors, vector, ks, sentence_params
        )
        chunk_ids, sentence_ids = chunk_ids[0][chunk_ids[0] >= 0], sentence_ids[0][sentence_ids[0] >= 0]
        parts = [chunk_ids, stored.sentence_spans[sentence_ids, 0].astype(np.int64)]
        if extra is not None:
            parts.append(np.asarray(extra, dtype=np.int64))
        positions = np.unique(np.concatenate(parts))
        # a chunk outside both lists has chunk similarity ≤ the last chunk found and sentences ≤ the last found
        last_chunk = float(chunk_sim[0][len(chunk_ids) - 1]) if len(chunk_ids) == kc < n_allowed else -np.inf
        last_sentence = (
            float(sentence_sim[0][len(sentence_ids) - 1]) if len(sentence_ids) == ks < s_allowed else -np.inf
        )
        bound = max(last_chunk, float(mix_scores(np.float32(last_chunk), np.float32(last_sentence))), english_bound)
        exhaustive = kc >= n_allowed and ks >= s_allowed
        return self._dense_scores(vector, positions, english), bound, exhaustive

    def _dense_scores(
        self,
        vector: np.ndarray,
        positions: np.ndarray,
        english: EnglishSide | None = None,
    ) -> _Dense:
        """Exact dense scores of the given chunks and of each of their sentences, from the stored vectors; with the
        English side, fused with their renderings' scores."""
        stored = self.stored
        chunk_sim = vector_search.dot(stored.vectors[positions], vector)
        rows, owner = self._rows_of(positions)
        sentence_sim = vector_search.dot(stored.sentence_vectors[rows], vector)
        best_value = np.full(len(positions), -np.inf, dtype=np.float32)
        np.maximum.at(best_value, owner, sentence_sim)
        best_row = np.full(len(positions), -1, dtype=np.int64)
        is_best = sentence_sim >= best_value[owner]
        best_row[owner[is_best]] = rows[is_best]
        mixed = mix_scores(chunk_sim, best_value).astype(np.float32)
        if english is not None:
            rendered = _english_mixed(english, vector, positions)
            fused = (1 - ENGLISH_DENSE_WEIGHT) * mixed + ENGLISH_DENSE_WEIGHT * rendered
            mixed = np.where(np.isfinite(rendered), fused, mixed).astype(np.float32)
        bounds = np.searchsorted(owner, np.arange(len(positions) + 1))
        return _Dense(positions, mixed, best_row, rows, owner, sentence_sim, bounds)

    # --- hits -----------------------------------------------------------------------------------------------------

    def _dense_hits(
        self, order: np.ndarray, final: np.ndarray, dense: _Dense, lexical: np.ndarray | None, terms: frozenset[str]
    ) -> list[Hit]:
        """The hits for candidates `order` (best first) of a dense or hybrid search: each one's best sentence
        highlighted, every sentence scored. Gathered for all of them at once: /v1/ask ranks 50."""
        starts, ends = dense.bounds[order], dense.bounds[order + 1]
        counts = ends - starts
        at = np.concatenate(([0], np.cumsum(counts))).tolist()  # hit j's sentences are rows at[j]:at[j + 1] below
        picked = np.repeat(starts - at[:-1], counts) + np.arange(at[-1])
        spans = self.stored.sentence_spans[dense.rows[picked]]
        sentence_starts, sentence_ends = spans[:, 1].tolist(), spans[:, 2].tolist()
        similarities = dense.sentence_sim[picked].tolist()
        positions = dense.positions[order].tolist()
        best_rows = dense.best_row[order]
        has_best = best_rows >= 0
        best_spans = np.zeros((len(order), 2), dtype=np.int64)
        best_spans[has_best] = self.stored.sentence_spans[best_rows[has_best], 1:]
        best_spans, has_best = best_spans.tolist(), has_best.tolist()
        bm25 = lexical[dense.positions[order]].tolist() if lexical is not None else [None] * len(order)
        hits = []
        for j, (position, score, mixed) in enumerate(
            zip(positions, final[order].tolist(), dense.mixed[order].tolist(), strict=True)
        ):
            first, last = at[j], at[j + 1]
            sentences = [
                SentenceScore(start, end, similarity)
                for start, end, similarity in zip(
                    sentence_starts[first:last], sentence_ends[first:last], similarities[first:last], strict=True
                )
            ]
            if has_best[j]:
                highlights = [tuple(best_spans[j])]
            else:
                highlights = lexical_best_sentence(self.chunks[position].text, terms)
            hits.append(
                Hit(
                    rank=j + 1,
                    score=score,
                    chunk=self.chunks[position],
                    position=position,
                    dense_score=mixed,
                    bm25_score=bm25[j],
                    highlights=highlights,
                    sentences=sentences,
                )
            )
        return hits

    def _lexical_hit(self, rank: int, position: int, score: float, terms: frozenset[str]) -> Hit:
        """The hit of a BM25 search: the sentence sharing the most query terms highlighted."""
        chunk = self.chunks[position]
        return Hit(
            rank=rank,
            score=score,
            chunk=chunk,
            position=position,
            bm25_score=score,
            highlights=lexical_best_sentence(chunk.text, terms),
        )


def _english_mixed(english: EnglishSide, vector: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The renderings' dense scores at `positions`, mixed as the Swedish side's (-inf where there is none)."""
    chunk_sim, best, _ = english.dense(vector, positions)
    return np.where(np.isfinite(chunk_sim), mix_scores(chunk_sim, best), -np.inf).astype(np.float32)


def _merge(
    positions: np.ndarray, values: np.ndarray, more: np.ndarray, more_values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two sparse (position, value) lists as one, ascending, the values of a position in both added."""
    merged, inverse = np.unique(np.concatenate([positions, more]), return_inverse=True)
    sums = np.zeros(len(merged), dtype=np.float32)
    np.add.at(sums, inverse, np.concatenate([values, more_values]).astype(np.float32))
    return merged, sums


def _context_section(chunk: Chunk, priority_section: dict[tuple[str, int | None], str]) -> str:
    """The section a passage is read in for the section context: its own, or its priority's for a list of plans."""
    if chunk.kind == "plans":
        return priority_section.get((chunk.doc_id, chunk.priority), chunk.section_id)
    return chunk.section_id


def _top(positions: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """The k positions with the highest values, ties by position — the same as a stable argsort over ascending
    positions, without sorting them all."""
    if len(values) > 4 * k:
        threshold = np.partition(values, len(values) - k)[len(values) - k]
        keep = np.flatnonzero(values >= threshold)
        positions, values = positions[keep], values[keep]
    return positions[np.argsort(-values, kind="stable")[:k]]


def _bitmap(mask: np.ndarray) -> faiss.IDSelectorBitmap:
    """A FAISS selector for the True rows of `mask` (the bitmap array is kept alive on the selector)."""
    bits = np.packbits(mask, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(mask), faiss.swig_ptr(bits))
    selector.bits_array = bits
    return selector


def lexical_best_sentence(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """The span of the sentence sharing the most query stems `terms` (the first sentence if none do)."""
    spans = sentence_spans(text)
    if not spans:
        return []
    tokens = tokenize([text[s:e] for s, e in spans])
    overlaps = [len(terms & set(sentence)) for sentence in tokens]
    best = max(range(len(spans)), key=lambda i: (overlaps[i], -i))
    return [spans[best]]
