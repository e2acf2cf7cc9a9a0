"""Property-based tests (hypothesis) for the text cleaner, the heading detector, the chunker and sentence offsets.

Invariants: no text is lost or invented (only whitespace, soft hyphens and line-end hyphens may change), chunks
never cross a section and repeat at most the declared overlap, headings are well-formed line ranges, and every
highlight offset points exactly at the sentence it quotes.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from langchain_text_splitters import RecursiveCharacterTextSplitter

from index.sentences import embeddable_sentences, sentence_spans
from ingest.chunking import SEPARATORS, ChunkingConfig, _pieces, chunk_document
from ingest.clean import join_wrapped, paragraphs_from_lines
from ingest.headings import MAX_WRAP_LINES, detect_headings
from ingest.models import Document, Line
from ingest.sections import build_sections

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)

# words as the strategy has them: Swedish letters, digits, hyphenated compounds, punctuation, list markers
WORD = st.one_of(
    st.sampled_from(
        [
            "och",
            "klimat-",
            "EU-",
            "medel",
            "utveck-",
            "lingen",
            "Prioritering",
            "Delprioritering",
            "1.1",
            "Identifierade",
            "behov",
            "Utmaning",
            "2.",
            "3:",
            "•",
            "–",
            "-",
            "Vägen",
            "framåt",
            "regionen",
            "Västerbotten.",
            "stärka?",
            "länet!",
            "a",
            "Å",
            "ö",
            "1.",
            "12.",
            "\u00ad",
            "e\u00adxtra",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=12),
)
LINE_TEXT = st.lists(WORD, min_size=1, max_size=10).map(" ".join)


def squeeze(text: str) -> str:
    """What must survive cleaning: everything except whitespace, soft hyphens and hyphens."""
    return "".join(c for c in text if not c.isspace() and c not in "\u00ad-\u2010")


@FUZZ
@given(st.lists(LINE_TEXT, max_size=12))
def test_join_wrapped_loses_and_invents_nothing(texts: list[str]) -> None:
    joined = join_wrapped(texts)
    assert squeeze(joined) == squeeze("".join(texts))
    assert joined == joined.strip() and "  " not in joined and "\n" not in joined and "\u00ad" not in joined
    # at most one hyphen per line join is removed
    hyphens = lambda s: s.count("-") + s.count("\u2010")  # noqa: E731
    assert hyphens("".join(t.replace("\u00ad", "") for t in texts)) - hyphens(joined) <= max(0, len(texts) - 1)


@st.composite
def line_streams(draw, fonts: bool = False) -> list[Line]:
    lines = []
    page = 1
    for _ in range(draw(st.integers(0, 25))):
        if draw(st.integers(0, 9)) == 0:
            page += 1
        size = draw(st.sampled_from([10.0, 10.0, 10.0, 14.0, 18.0])) if fonts else None
        text = draw(
            st.one_of(
                LINE_TEXT,
                st.sampled_from(
                    [
                        "Prioritering 1: Ett smart län",
                        "Delprioritering 1.1 Starka strukturer",
                        "Identifierade behov",
                        "Vägen framåt – planer",
                        "Utmaningar i länet:",
                        "Viktiga aktörer",
                        "Utmaning 1: Avstånd",
                        "1. Ett behov av bredband.",
                    ]
                ),
            )
        )
        text = " ".join(text.split())  # as the PDF and text readers deliver lines
        if not text:
            continue
        lines.append(Line(text, page, size, draw(st.booleans()), draw(st.booleans())))
    return lines


@FUZZ
@given(line_streams())
def test_paragraphs_keep_all_text_in_order(lines: list[Line]) -> None:
    paragraphs = paragraphs_from_lines(lines)
    assert squeeze("".join(p.text for p in paragraphs)) == squeeze("".join(line.text for line in lines))
    for paragraph in paragraphs:
        assert paragraph.text.strip() == paragraph.text and paragraph.text
        assert paragraph.page_start is None or paragraph.page_start <= paragraph.page_end
    starts = [p.page_start for p in paragraphs]
    assert starts == sorted(starts)


@FUZZ
@given(st.one_of(line_streams(), line_streams(fonts=True)))
def test_headings_are_ordered_disjoint_line_ranges(lines: list[Line]) -> None:
    headings = detect_headings(lines)
    previous_end = 0
    for heading in headings:
        assert previous_end <= heading.start < heading.end <= len(lines)
        assert heading.end - heading.start <= MAX_WRAP_LINES
        expected = " ".join(" ".join(lines[i].text for i in range(heading.start, heading.end)).split())
        assert heading.title == expected
        previous_end = heading.end


def _document(lines: list[Line]) -> Document:
    sections = build_sections(lines, detect_headings(lines))
    return Document("doc", "Dokument", "doc.txt", "hash", None, sections, "detected")


@FUZZ
@given(line_streams(fonts=True), st.integers(100, 400), st.integers(0, 90))
def test_sections_keep_every_body_line(lines: list[Line], size: int, overlap: int) -> None:
    document = _document(lines)
    headings = detect_headings(lines)
    heading_lines = {i for h in headings for i in range(h.start, h.end)}
    body = "".join(line.text for i, line in enumerate(lines) if i not in heading_lines)
    sections_text = "".join(s.text for s in document.sections)
    # every body line lands in exactly one section ("Vägen framåt" lists may be claimed by their heading)
    assert sorted(squeeze(sections_text)) == sorted(squeeze(body))


REPEATED_TAIL = [  # an item, then a paragraph that repeats the item's last word (found by the fuzzer, 2026-12-06)
    Line(text=text, page=page, size=10.0, bold=False, paragraph_start=False, level=None)
    for text, page in (("Utmaning 1: Avstånd och 0", 2), ("0", 3), ("0", 4))
]


@FUZZ
@given(line_streams(fonts=True), st.integers(100, 400), st.integers(0, 90))
@example(REPEATED_TAIL, 100, 1)
def test_chunks_cover_their_section_within_the_overlap(lines: list[Line], size: int, overlap: int) -> None:
    document = _document(lines)
    config = ChunkingConfig(size=size, overlap=overlap)
    chunks = chunk_document(document, config)
    assert len({c.chunk_id for c in chunks}) == len(chunks), "chunk ids are not unique"
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=overlap, separators=SEPARATORS, keep_separator="end"
    )
    emitted: list[tuple[str, str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for section in document.sections:
        text = section.text
        pieces = [piece for piece, *_ in _pieces(section, size, splitter)]
        covered = [False] * len(text)
        cursor = repeated = 0
        for piece in pieces:
            # sections are never crossed: every piece is a stretch of its own section's text: the occurrence that
            # directly follows the cursor (only whitespace between), else the first that starts at most `overlap`
            # before the cursor and reaches past it (the splitter's overlap). Directly following goes first: in
            # "… och 0\n\n0\n\n0" the second piece, "0\n\n0", also occurs one character before the cursor.
            start = text.find(piece, cursor)
            if start < 0 or text[cursor:start].strip():
                start = text.find(piece, max(0, cursor - overlap))
                while start >= 0 and start + len(piece) <= cursor:
                    start = text.find(piece, start + 1)
            assert start >= 0 and piece == piece.strip() and piece, (piece, text)
            repeated += sum(covered[start : start + len(piece)])
            covered[start : start + len(piece)] = [True] * len(piece)
            cursor = start + len(piece)
            assert len(piece) <= max(size, *(len(p.text) for p in section.paragraphs))
            passage = " ".join(piece.split())
            if passage not in seen:  # text repeated verbatim elsewhere is indexed once, where it first appears
                seen.add(passage)
                emitted.append((piece, section.section_id, tuple(section.heading_path)))
        # nothing lost: every non-space character of the section is in some piece
        lost = [text[i] for i in range(len(text)) if not covered[i] and not text[i].isspace()]
        assert not lost, (lost[:20], text[:200])
        # nothing duplicated beyond the declared overlap between neighbouring pieces
        assert repeated <= overlap * max(0, len(pieces) - 1), (repeated, overlap, len(pieces))
    assert [(c.text, c.section_id, c.heading_path) for c in chunks] == emitted


SENTENCE_TEXT = st.lists(
    st.one_of(
        LINE_TEXT.map(lambda t: t + "."),
        LINE_TEXT.map(lambda t: t + "?"),
        st.sampled_from(["1.", "12.", "Utmaning 3:", "• Punkt i en lista", "\n", "\n\n", "  "]),
        LINE_TEXT,
    ),
    max_size=15,
).map(" ".join)


@FUZZ
@given(SENTENCE_TEXT)
def test_sentence_offsets_point_at_the_quoted_sentence(text: str) -> None:
    spans = sentence_spans(text)
    previous = 0
    for start, end in spans:
        assert previous <= start < end <= len(text)
        quoted = text[start:end]
        assert quoted == quoted.strip() and quoted
        previous = end
    # every non-space character is in some sentence
    inside = {i for s, e in spans for i in range(s, e)}
    assert all(i in inside for i, c in enumerate(text) if not c.isspace())
    for start, end in embeddable_sentences(text):
        assert (start, end) in spans and end - start >= 20


@FUZZ
@given(SENTENCE_TEXT.filter(lambda t: len(t.strip()) > 0), st.text(min_size=1, max_size=40))
def test_lexical_highlight_is_a_sentence_of_the_passage(text: str, query: str) -> None:
    from index.hits import lexical_best_sentence
    from index.tokens import tokenize

    highlights = lexical_best_sentence(text, frozenset(tokenize([query])[0]))
    spans = sentence_spans(text)
    for start, end in highlights:
        assert (start, end) in spans or any(s <= start and end <= e for s, e in spans)
        assert re.sub(r"\s+", "", text[start:end])
