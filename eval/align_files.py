"""Write the PDF and DOCX renderings of the alignment gold items that name a `file` (eval/align_multi.jsonl).

Officers receive applications as files, so a few gold items are evaluated through the same reader as an upload
(ui/uploads.py): `rus eval align` reads the item's file instead of its text. The files are made from the item's
own text — one paragraph per blank-line block, short blocks without a closing full stop set as headings — with the
applicant's name in the page header and page numbers in the footer, as a real application would have. The
generated files are committed beside the gold file; run `python -m eval.align_files` again after editing the text.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.align_gold import AlignGoldError, AlignItem, load_align_gold

HERE = Path(__file__).resolve().parent
ALIGN_MULTI = HERE / "align_multi.jsonl"
HEADING_MAX_WORDS = 14
FIXED_DATE = datetime.datetime(2026, 1, 15, 9, 0, 0)  # fixed metadata date, so a rerun writes the same document


def blocks(text: str) -> list[tuple[str, bool]]:
    """The text's blank-line blocks as (text, is a heading)."""
    result = []
    for block in text.split("\n\n"):
        block = " ".join(block.split())
        if block:
            heading = len(block.split()) <= HEADING_MAX_WORDS and not block.endswith((".", "?", "!"))
            result.append((block, heading))
    return result


def write_pdf(item: AlignItem, path: Path) -> None:
    """An A4 PDF with the applicant in the header and "page N" in the footer (reportlab, built-in fonts)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    page_word = "Sida" if item.lang == "sv" else "Page"

    def decorate(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(2 * cm, A4[1] - 1.3 * cm, item.organisation)
        canvas.drawRightString(A4[0] - 2 * cm, 1.2 * cm, f"{page_word} {document.page}")
        canvas.restoreState()

    story = []
    for block, heading in blocks(item.text):
        story.append(Paragraph(block, styles["Heading2" if heading else "BodyText"]))
        if not heading:
            story.append(Spacer(1, 4))
    document = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=2.2 * cm, rightMargin=2.2 * cm, topMargin=2.2 * cm, bottomMargin=2 * cm,
        title=item.id, author=item.organisation, invariant=True,
    )
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)


def write_docx(item: AlignItem, path: Path) -> None:
    """A Word document with headings and body paragraphs (ingest/word.py), the applicant as author."""
    from ingest.word import WordWriter

    document = WordWriter(item.id, author=item.organisation, created=FIXED_DATE)
    for block, heading in blocks(item.text):
        if heading:
            document.heading(block, 2)
        else:
            document.paragraph(block)
    document.save(path)


def write_files(gold: Path) -> list[Path]:
    """Write every item's file beside the gold file; returns the paths written."""
    items = load_align_gold(gold, check_files=False)
    written = []
    for item in items:
        if item.file is None:
            continue
        path = gold.parent / item.file
        path.parent.mkdir(parents=True, exist_ok=True)
        (write_pdf if path.suffix.lower() == ".pdf" else write_docx)(item, path)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.align_files", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=ALIGN_MULTI, help="alignment gold JSONL (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        written = write_files(args.gold)
    except AlignGoldError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
