"""Translation memories: a document's passages rendered in another language, kept as gettext PO files.

One PO file per document and language (`<translations dir>/<doc id>.<lang>.po`, edited in Poedit or Weblate
through `rus translations export/import`). An entry is keyed by the source passage: its `msgid` is a fingerprint
of the whitespace-collapsed Swedish text (the repository may not hold the strategy's own text), its `msgctxt`
where the passage stands (section id and ordinal), so a passage whose text changed is found as *stale* rather
than *missing*. The English of the strategy is the team's unofficial translation, marked as such in the header.

The translator's file (`export`) has the Swedish text itself as msgid; `import` folds a translated file back in,
keyed by fingerprint.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polib

from ingest.models import Chunk

KEY_PREFIX = "sv-sha256:"
UNOFFICIAL = "unofficial translation by the RUS Search team; the Swedish original is authoritative"


class TranslationMemoryError(ValueError):
    """A translation file that cannot be read or applied; the message names the file and the problem."""


def source_key(text: str) -> str:
    """The fingerprint that keys a source passage: SHA-256 of its whitespace-collapsed text."""
    return KEY_PREFIX + hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:20]


def locations(chunks: Sequence[Chunk]) -> list[str]:
    """Where each chunk stands in its document: "<section id> #<ordinal within the section>"."""
    seen: dict[tuple[str, str], int] = {}
    places = []
    for chunk in chunks:
        key = (chunk.doc_id, chunk.section_id)
        seen[key] = seen.get(key, 0) + 1
        places.append(f"{chunk.section_id} #{seen[key]}")
    return places


def memory_path(directory: Path, doc_id: str, language: str = "en") -> Path:
    return Path(directory) / f"{doc_id}.{language}.po"


@dataclass(frozen=True)
class Memory:
    """A loaded memory: source fingerprint → translation, and location → the fingerprint translated there."""

    path: Path
    by_key: dict[str, str]
    key_at: dict[str, str]

    def translation(self, text: str) -> str | None:
        return self.by_key.get(source_key(text))


@dataclass(frozen=True)
class MemoryStatus:
    """How much of a document a memory covers: current renderings, stale ones (the source changed since it was
    translated) and missing ones."""

    doc_id: str
    title: str
    kind: str | None
    chunks: int
    translated: int
    stale: int
    missing: int

    @property
    def share(self) -> float:
        return self.translated / self.chunks if self.chunks else 1.0


def load_memory(path: Path) -> Memory:
    """The memory in a PO file (TranslationMemoryError if it cannot be parsed)."""
    try:
        catalogue = polib.pofile(str(path), wrapwidth=0)
    except (OSError, ValueError) as exc:
        raise TranslationMemoryError(f"{path}: cannot read the translation memory ({exc})") from exc
    by_key: dict[str, str] = {}
    key_at: dict[str, str] = {}
    for entry in catalogue:
        if entry.obsolete or not entry.msgstr.strip() or "fuzzy" in entry.flags:
            continue
        if not entry.msgid.startswith(KEY_PREFIX):
            raise TranslationMemoryError(f"{path}: entry {entry.msgctxt!r} is not keyed by a source fingerprint")
        by_key[entry.msgid] = entry.msgstr
        if entry.msgctxt:
            key_at[entry.msgctxt] = entry.msgid
    return Memory(Path(path), by_key, key_at)


def load_memories(directory: Path | None, doc_ids: Iterable[str], language: str = "en") -> dict[str, Memory]:
    """The memories that exist for the given documents (documents without one are left out)."""
    if directory is None:
        return {}
    found = {}
    for doc_id in doc_ids:
        path = memory_path(directory, doc_id, language)
        if path.is_file():
            found[doc_id] = load_memory(path)
    return found


def translations(chunks: Sequence[Chunk], memory: Memory | None) -> list[str | None]:
    """Each chunk's current rendering, or None."""
    return [memory.translation(chunk.text) if memory else None for chunk in chunks]


def status(chunks: Sequence[Chunk], memory: Memory | None, title: str, kind: str | None) -> MemoryStatus:
    """Coverage of one document's chunks (in document order) by its memory."""
    translated = stale = 0
    for chunk, place in zip(chunks, locations(chunks), strict=True):
        if memory and memory.translation(chunk.text) is not None:
            translated += 1
        elif memory and place in memory.key_at:
            stale += 1
    doc_id = chunks[0].doc_id if chunks else ""
    return MemoryStatus(doc_id, title, kind, len(chunks), translated, stale, len(chunks) - translated - stale)


def _header(doc_id: str, language: str, note: str = UNOFFICIAL) -> dict[str, str]:
    return {
        "Project-Id-Version": f"rus-search {doc_id}",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "X-Translation-Status": note,
    }


def export_template(chunks: Sequence[Chunk], memory: Memory | None, out: Path, language: str = "en") -> int:
    """Write a translator's PO file of the chunks that have no current rendering: the Swedish text as msgid, its
    location as msgctxt, and a stale entry's old rendering as a fuzzy msgstr. Returns the number of entries."""
    catalogue = polib.POFile(wrapwidth=0)
    doc_id = chunks[0].doc_id if chunks else ""
    catalogue.metadata = _header(doc_id, language)
    for chunk, place in zip(chunks, locations(chunks), strict=True):
        if memory and memory.translation(chunk.text) is not None:
            continue
        old = memory.by_key.get(memory.key_at.get(place, "")) if memory else None
        catalogue.append(polib.POEntry(
            msgctxt=place, msgid=chunk.text, msgstr=old or "", flags=["fuzzy"] if old else [],
            comment=" > ".join(chunk.heading_path) + (f" · {chunk.item}" if chunk.item else ""),
        ))
    _save(catalogue, Path(out))
    return len(catalogue)


def import_translations(
    source: Path, target: Path, doc_id: str, chunks: Sequence[Chunk], language: str = "en"
) -> tuple[int, int]:
    """Fold the translated, non-fuzzy entries of a translator's PO file (Swedish msgids) that render a passage of
    the document (`chunks`) into the memory at `target`, keyed by fingerprint; an entry for the same location
    replaces the older one. Returns (entries imported, translated entries left out because they match no passage:
    its text changed since the export, or they belong to another document); the memory is not written when
    nothing was imported."""
    try:
        incoming = polib.pofile(str(source), wrapwidth=0)
    except (OSError, ValueError) as exc:
        raise TranslationMemoryError(f"{source}: cannot read the PO file ({exc})") from exc
    if target.is_file():
        try:
            catalogue = polib.pofile(str(target), wrapwidth=0)
        except (OSError, ValueError) as exc:
            raise TranslationMemoryError(f"{target}: cannot read the translation memory ({exc})") from exc
    else:
        catalogue = polib.POFile(wrapwidth=0)
        catalogue.metadata = _header(doc_id, language)
    passages = {source_key(chunk.text) for chunk in chunks}
    added = unmatched = 0
    for entry in incoming:
        if entry.obsolete or not entry.msgstr.strip() or "fuzzy" in entry.flags:
            continue
        key = entry.msgid if entry.msgid.startswith(KEY_PREFIX) else source_key(entry.msgid)
        if key not in passages:
            unmatched += 1
            continue
        for old in [e for e in catalogue if e.msgid == key or (entry.msgctxt and e.msgctxt == entry.msgctxt)]:
            catalogue.remove(old)
        catalogue.append(polib.POEntry(msgctxt=entry.msgctxt or None, msgid=key, msgstr=entry.msgstr))
        added += 1
    if added:
        _save(catalogue, target)
    return added, unmatched


def write_memory(
    target: Path, doc_id: str, entries: Iterable[tuple[Chunk, str, str]], language: str = "en", note: str = UNOFFICIAL
) -> None:
    """Write a memory from (chunk, location, rendering) triples (the team's own tooling; replaces the file); `note`
    says in the header what the renderings are."""
    catalogue = polib.POFile(wrapwidth=0)
    catalogue.metadata = _header(doc_id, language, note)
    for chunk, place, rendering in entries:
        catalogue.append(polib.POEntry(msgctxt=place, msgid=source_key(chunk.text), msgstr=rendering,
                                       comment=chunk.item or ""))
    _save(catalogue, Path(target))


def _save(catalogue: polib.POFile, target: Path) -> None:
    """Write atomically: a temporary file beside the target, then a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        catalogue.save(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
