"""Section-level aggregation: applicants want one sub-priority, not ten chunks.

`aggregate_sections` is deliberately one small function so a better rule can be swapped in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from index.hits import Hit
from ingest.vocabulary import is_subpriority


@dataclass
class SectionScore:
    doc_id: str
    section_id: str
    score: float
    hits: list[Hit] = field(default_factory=list)  # the section's hits, best first


def aggregate_sections(hits: Iterable[Hit], keep: Callable[[str], bool] | None = None) -> list[SectionScore]:
    """Rank sections by the best chunk score within each (doc_id, section_id); `keep` filters section ids."""
    sections: dict[tuple[str, str], SectionScore] = {}
    for hit in hits:
        key = (hit.chunk.doc_id, hit.chunk.section_id)
        if keep is not None and not keep(key[1]):
            continue
        entry = sections.setdefault(key, SectionScore(key[0], key[1], hit.score))
        entry.score = max(entry.score, hit.score)
        entry.hits.append(hit)
    ranked = sorted(sections.values(), key=lambda s: -s.score)
    for entry in ranked:
        entry.hits.sort(key=lambda h: -h.score)
    return ranked


def rank_subpriorities(hits: Iterable[Hit]) -> list[SectionScore]:
    """Only sub-priorities ("N.M")."""
    return aggregate_sections(hits, keep=is_subpriority)
