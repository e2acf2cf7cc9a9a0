"""Split a gold file once into a tuning half and a held-out half, stratified by kind, with a fixed seed.

`python -m eval.split FILE [--seed 20261129] [--force]` writes `<stem>_tune.jsonl` and
`<stem>_heldout.jsonl` beside FILE. Within each kind the items are ordered by
sha256("<seed>:<id>") and the first half (rounded down) goes to tune, the rest to held-out, so an
item's side depends only on the seed, its id and the ids of its kind — not on the file order. Both
outputs keep the original JSON lines in file order. Tune on `_tune`, report on `_heldout` once.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from eval.gold import GoldFormatError, GoldItem, load_gold

DEFAULT_SEED = 20261129


class SplitError(ValueError):
    """The split cannot be written (the outputs exist and --force was not given, or writing failed)."""


def _order_key(seed: int, item: GoldItem) -> str:
    return hashlib.sha256(f"{seed}:{item.id}".encode()).hexdigest()


def split_items(items: Sequence[GoldItem], seed: int = DEFAULT_SEED) -> tuple[list[GoldItem], list[GoldItem]]:
    """(tune, heldout): per kind, the seeded-hash order's first floor(n/2) items to tune, the rest held out.

    Only `id` and `kind` are read (eval.align_gold passes stand-ins grouped by language). Both lists keep
    the input order.
    """
    by_kind: dict[str, list[GoldItem]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    tune_ids: set[str] = set()
    for group in by_kind.values():
        ordered = sorted(group, key=lambda item: _order_key(seed, item))
        tune_ids.update(item.id for item in ordered[: len(ordered) // 2])
    tune = [item for item in items if item.id in tune_ids]
    heldout = [item for item in items if item.id not in tune_ids]
    return tune, heldout


def output_paths(path: Path) -> tuple[Path, Path]:
    """`<stem>_tune.jsonl` and `<stem>_heldout.jsonl` beside the gold file."""
    return path.with_name(f"{path.stem}_tune.jsonl"), path.with_name(f"{path.stem}_heldout.jsonl")


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def split_file(
    path: Path | str, seed: int = DEFAULT_SEED, force: bool = False
) -> list[tuple[Path, list[GoldItem]]]:
    """Validate the gold file, split it and write both halves; returns [(tune path, items), (heldout path, items)].

    Raises GoldFormatError for a bad gold file, SplitError when an output exists and not `force` or when
    the file is too small to give both halves an item.
    """
    path = Path(path)
    items = load_gold(path)
    tune_path, heldout_path = output_paths(path)
    existing = [str(p) for p in (tune_path, heldout_path) if p.exists()]
    if existing and not force:
        raise SplitError(f"refusing to overwrite {', '.join(existing)} (the split is made once; --force redoes it)")
    lines = path.read_text(encoding="utf-8").splitlines()
    tune, heldout = split_items(items, seed)
    if not tune:
        raise SplitError(f"{path}: too few items to split ({len(items)}); every kind has fewer than two")
    halves = [(tune_path, tune), (heldout_path, heldout)]
    try:
        for out_path, half in halves:
            _write_atomically(out_path, "".join(lines[item.line - 1] + "\n" for item in half))
    except OSError as exc:
        raise SplitError(f"cannot write the split beside {path}: {exc}") from exc
    return halves


def _counts(items: Sequence[GoldItem]) -> str:
    kinds: dict[str, int] = defaultdict(int)
    for item in items:
        kinds[item.kind] += 1
    return ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.split", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="gold JSONL file to split")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"split seed (default {DEFAULT_SEED})")
    parser.add_argument("--force", action="store_true", help="overwrite existing _tune/_heldout files")
    args = parser.parse_args(argv)
    try:
        halves = split_file(args.file, seed=args.seed, force=args.force)
    except (GoldFormatError, SplitError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for out_path, items in halves:
        print(f"{out_path}: {len(items)} items ({_counts(items)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
