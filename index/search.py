"""Search a loaded index: dense (chunk + sentence vectors), lexical (BM25) or a language-aware fusion.

Measured on the dev set (docs/retrieval.md): scoring a chunk by a mix of its own similarity and its best
sentence's similarity beats either alone; English queries gain from Swedish glossary terms (index/translate.py);
and the lexical side may only nudge the dense ranking, in proportion to how completely a chunk covers the
query's concepts — plain fusion with BM25 loses to dense alone here.

`SearchIndex` is the facade: it reads a question (index/analysis.py), asks each single-purpose part — the chunks'
fields for filters (index/chunk_fields.py), the dense side (index/dense.py), the lexical evidence
(index/lexical_evidence.py), the section context (index/section_context.py), the English side
(index/translated.py), the everyday phrasings (index/phrasings.py) — and fuses their scores here. Every part is
built at load and shared read-only by concurrent requests (the lexical side's stem cache is bounded and locked).
A search that runs alone reads its question and scores the lexical side while the encoder embeds it
(index/beside.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from index.analysis import PreparedQuery, QuestionAnalysis, QuestionReader, prepare_query, retrieval_text
from index.beside import Beside
from index.chunk_fields import ChunkFields
from index.dense import DenseSide
from index.embedders import DEFAULT_ENGINE, Embedder, embedder_id, get_embedder
from index.hits import AnswerPool, Filters, Hit, lexical_hit
from index.lexical_evidence import LexicalEvidence
from index.lexicon import Lexicon
from index.library import STRATEGY
from index.phrasings import PhrasingBonus, PhrasingWords
from index.scores import merge, top
from index.section_context import SectionContext
from index.store import EmbedderMismatch, IndexDamaged, StoredIndex, load_build, read_manifest
from index.tokens import TOKENIZER
from index.translated import EnglishSide

Retriever = Literal["hybrid", "dense", "bm25"]
RETRIEVERS: tuple[str, ...] = ("hybrid", "dense", "bm25")
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
# An English question against an index with the strategy's English rendering (index/translated.py): the English
# BM25 evidence adds ENGLISH_LEXICAL_WEIGHT × its evidence (the dense sides fuse by ENGLISH_DENSE_WEIGHT there).
# Chosen on eval/realistic_tune.jsonl (docs/retrieval.md "The strategy in English").
ENGLISH_LEXICAL_WEIGHT = 0.01


@dataclass(frozen=True)
class LexicalSide:
    """A question's lexical side: the reading it scored (with lexicon terms, when its vector chose them), BM25 per
    chunk (None for dense search) and, for hybrid, the chunks its evidence nudges and by how much."""

    prepared: PreparedQuery
    scores: np.ndarray | None
    boosted: np.ndarray | None
    boost: np.ndarray | None


class SearchIndex:
    """An index loaded for searching, with its embedder: reads a question, ranks chunks, and scores chunks and
    sentences against vectors for match and align."""

    def __init__(self, stored: StoredIndex, embedder: Embedder) -> None:
        self.stored = stored
        self.embedder = embedder
        self.chunks = stored.chunks
        self.manifest = stored.manifest
        self.fields = ChunkFields(stored.chunks)
        self.dense = DenseSide(stored)
        self.evidence = LexicalEvidence(stored)
        self.sections = SectionContext(stored)
        self.english: EnglishSide | None = None  # the English rendering's side, when the build has one
        if stored.translated is not None:
            self.english = EnglishSide(
                stored.translated, self.chunks, self.sections.section_of, self.sections.n_sections
            )
        english_lexical = stored.translated.lexical if stored.translated is not None else None
        self.reader = QuestionReader(stored.lexical, len(self.chunks), english=english_lexical)
        # the lift everyday phrasings give the passage they single out (ranking only: answer states read dense_score)
        self.phrasings = PhrasingBonus(stored.phrasings, len(self.chunks)) if stored.phrasings is not None else None
        # the phrasings' words as lexical evidence (hybrid)
        self.phrasing_words = PhrasingWords(stored.phrasings) if stored.phrasings is not None else None
        self.beside = Beside()  # a lone search reads its question while the encoder embeds it

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
        allowed = None if filters is None or filters == Filters() else self.fields.allowed(filters)
        if k <= 0 or (allowed is not None and not len(allowed)):
            return []
        if retriever == "bm25":
            return self._bm25(self._analysis(question, language), k, allowed)
        if isinstance(question, QuestionAnalysis):
            dense_text = question.dense_text
        else:
            dense_text = self.reader.dense_text(question, language)

        def read_and_score() -> tuple[QuestionAnalysis, LexicalSide | None]:
            analysis = self._analysis(question, language)
            if self._scores_by_vector(analysis, retriever):
                return analysis, None
            return analysis, self._lexical(analysis, analysis.prepared, retriever, allowed)

        # the question's reading and lexical side beside its encoder call (index/beside.py)
        (analysis, side), vector = self.beside.run(read_and_score, lambda: self.query_vector(dense_text))
        if side is None:
            side = self._lexical(analysis, self.evidence.with_lexicon(analysis.prepared, vector), retriever, allowed)
        prepared, lexical, boosted, boost = side.prepared, side.scores, side.boosted, side.boost
        english = self.english if prepared.language == "en" else None
        context = self.sections.similarities(vector, english) if retriever == "hybrid" else None
        extra, lift = boosted, None
        if self.phrasings is not None:
            lift = self.phrasings.of(vector)
            lifted = np.flatnonzero(lift > 0)  # candidates, so the candidate bound needs no bonus
            if allowed is not None:
                lifted = np.intersect1d(lifted, allowed)
            extra = lifted if boosted is None else np.concatenate([boosted, lifted])
        scale = 1
        while True:
            found = self.dense.candidates(vector, allowed, extra, scale, english)
            dense = found.scores
            final = dense.mixed.copy()
            if lift is not None:
                final += lift[dense.positions]
            if boosted is not None and len(boosted):
                final[np.searchsorted(dense.positions, boosted)] += boost
            if retriever == "hybrid":
                final -= FRAMING_PENALTY * self.sections.framing(prepared.concepts)[dense.positions]
                final += SECTION_WEIGHT * context[self.sections.section_of[dense.positions]]
            kth = np.partition(final, len(final) - k)[len(final) - k] if len(final) >= k else -np.inf
            if found.exhaustive or kth > found.bound:
                break
            scale *= 4  # another chunk could still reach the top k: widen the candidate search
        order = top(np.arange(len(dense.positions)), final, k)
        hits = self.dense.hits(order, final, dense, lexical, analysis.query_stems)
        return self.evidence.with_coverage(hits, prepared.concepts)

    def _analysis(self, question: str | QuestionAnalysis, language: str | None) -> QuestionAnalysis:
        return question if isinstance(question, QuestionAnalysis) else self.read(question, language)

    @staticmethod
    def _scores_by_vector(analysis: QuestionAnalysis, retriever: Retriever) -> bool:
        """Whether the question's BM25 terms come from its vector: a short English question in hybrid search that
        the glossary does not cover (its nearest Swedish words, index/lexicon.py)."""
        prepared = analysis.prepared
        short = Lexicon.applies_to(len(analysis.text.split()))
        return retriever == "hybrid" and prepared.language == "en" and not prepared.concepts and short

    def _lexical(
        self, analysis: QuestionAnalysis, prepared: PreparedQuery, retriever: Retriever, allowed: np.ndarray | None
    ) -> LexicalSide:
        """The question's BM25 scores (none for dense) and, for hybrid, the chunks its lexical evidence nudges and
        by how much (the Swedish text's, the English rendering's for an English question, and the everyday
        phrasings'), within `allowed`."""
        if retriever == "dense":
            return LexicalSide(prepared, None, None, None)
        scores = self.stored.lexical.token_scores(list(prepared.lexical_tokens))
        if retriever != "hybrid":
            return LexicalSide(prepared, scores, None, None)
        boosted, evidence = self.evidence.evidence(scores, prepared.concepts)
        boost = LEXICAL_WEIGHT[prepared.language] * evidence
        if prepared.language == "en" and self.english is not None:
            more, more_evidence = self.english.lexical_evidence(analysis.english_stems)
            boosted, boost = merge(boosted, boost, more, ENGLISH_LEXICAL_WEIGHT * more_evidence)
        if self.phrasing_words is not None:
            more, nudge = self.phrasing_words.evidence(retrieval_text(analysis.text), prepared.language)
            if len(more):
                boosted, boost = merge(boosted, boost, more, nudge)
        keep = boost > 0
        if allowed is not None:
            keep &= np.isin(boosted, allowed)
        return LexicalSide(prepared, scores, boosted[keep], boost[keep])

    def _bm25(self, analysis: QuestionAnalysis, k: int, allowed: np.ndarray | None) -> list[Hit]:
        """BM25 alone: the chunks sharing a term with the question, best first."""
        scores = self.stored.lexical.token_scores(list(analysis.prepared.lexical_tokens))
        matching = np.flatnonzero(scores > 0)  # a chunk sharing no term with the query is no match
        if allowed is not None:
            matching = np.intersect1d(matching, allowed, assume_unique=True)
        order = top(matching, scores[matching], k)
        terms = analysis.query_stems
        hits = [lexical_hit(self.chunks[p], rank, int(p), float(scores[p]), terms) for rank, p in enumerate(order, 1)]
        return self.evidence.with_coverage(hits, analysis.prepared.concepts)

    def answer_scope(self, analysis: QuestionAnalysis) -> Filters | None:
        """Where a question is answered from when its caller chose no document: one that asks for a (sub-)priority —
        or a description or topic phrase, which sub-priorities answer — from the strategies when the index also
        holds other kinds of documents (with four plans in the index this keeps the dev set's section hit@1 at 0.889
        where the whole library gives 0.861 — docs/library.md); anything else from the whole index."""
        kinds = self.fields.kinds()
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
        return self.fields.kinds()

    def positions_of(self, chunk_ids: list[str]) -> list[int]:
        """Positions of the given chunk ids in `chunks` (ids not in the index are left out)."""
        return self.fields.positions_of(chunk_ids)

    def query_vector(self, text: str) -> np.ndarray:
        return self.embedder.embed_queries([text])[0]

    def query_vectors(self, texts: list[str], language: str | None = None) -> np.ndarray:
        """Vectors of texts embedded as search embeds a query (frame stripped, English glossary terms added)."""
        return self.embedder.embed_queries([prepare_query(text, language).dense_text for text in texts])
