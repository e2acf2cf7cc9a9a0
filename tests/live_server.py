"""Test helpers for the reliability tests: small corpora and index hashing (a real `rus serve`: bench.server)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def tree_digest(directory: Path) -> dict[str, str]:
    """Path → sha256 (or symlink target) of everything under `directory`, to prove nothing changed.

    Lock files are left out: the first write operation creates its lock whether or not it then writes anything."""
    digest: dict[str, str] = {}
    for path in sorted(Path(directory).rglob("*")):
        key = path.relative_to(directory).as_posix()
        if any(part.endswith(".lock") for part in path.relative_to(directory).parts):
            continue
        if path.is_symlink():
            digest[key] = "-> " + os.readlink(path)
        elif path.is_file():
            digest[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[key] = "dir"
    return digest


def small_corpus(folder: Path, extra_text: str | None = None) -> Path:
    """The generated strategy PDF plus a short Swedish text document (and optionally one more text)."""
    from pdf_factory import strategy_pdf

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "strategi.pdf").exists():
        strategy_pdf(folder / "strategi.pdf")
    (folder / "kollektivtrafik.txt").write_text(
        "Kollektivtrafik i inlandet\n\nRegionen vill stärka kollektivtrafiken i inlandet så att fler kan pendla "
        "till arbete och studier. Busslinjer samordnas med tågtrafiken och anropsstyrd trafik prövas i glesbygd.\n\n"
        "Laddinfrastruktur\n\nFler laddstolpar behövs längs de stora vägarna för att elbilar ska fungera i hela "
        "länet, även vintertid.\n",
        encoding="utf-8",
    )
    if extra_text is not None:
        (folder / "extra.txt").write_text(extra_text, encoding="utf-8")
    return folder
