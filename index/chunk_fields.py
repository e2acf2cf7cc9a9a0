"""The indexed chunks' filterable fields as position lists, computed once at load: what a filter allows, which
document kinds there are, where a chunk id stands. Read-only afterwards, so concurrent searches share it."""

from __future__ import annotations

import numpy as np

from index.hits import Filters
from ingest.models import Chunk

FIELDS = ("doc", "kind", "priority", "section")


class ChunkFields:
    """value → ascending chunk positions per filter field, and chunk id → position."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.n_chunks = len(chunks)
        fields: dict[str, dict[object, list[int]]] = {name: {} for name in FIELDS}
        self.position: dict[str, int] = {}
        for position, chunk in enumerate(chunks):
            fields["doc"].setdefault(chunk.doc_id, []).append(position)
            fields["kind"].setdefault(chunk.doc_kind, []).append(position)
            fields["priority"].setdefault(chunk.priority, []).append(position)
            fields["section"].setdefault(chunk.section_id, []).append(position)
            self.position.setdefault(chunk.chunk_id, position)
        self.fields = {
            name: {value: np.array(rows, dtype=np.int64) for value, rows in values.items()}
            for name, values in fields.items()
        }

    def allowed(self, filters: Filters) -> np.ndarray:
        """Positions (ascending) of the chunks the filters allow."""
        allowed: np.ndarray | None = None
        for name, value in (
            ("doc", filters.doc), ("kind", filters.kind), ("priority", filters.priority), ("section", filters.section)
        ):
            if value is not None:
                positions = self.fields[name].get(value, np.zeros(0, dtype=np.int64))
                allowed = positions if allowed is None else np.intersect1d(allowed, positions, assume_unique=True)
        return allowed if allowed is not None else np.arange(self.n_chunks)

    def kinds(self) -> set[str | None]:
        """The document kinds of the indexed chunks (what Filters.kind can select)."""
        return set(self.fields["kind"])

    def priorities(self) -> set[int]:
        """The priority numbers of the indexed chunks (what Filters.priority can select)."""
        return {priority for priority in self.fields["priority"] if priority is not None}

    def positions_of(self, chunk_ids: list[str]) -> list[int]:
        """Positions of the given chunk ids (ids not in the index are left out)."""
        return [self.position[c] for c in chunk_ids if c in self.position]
