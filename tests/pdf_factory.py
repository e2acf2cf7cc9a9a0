"""Generate small PDF test documents on the fly (nothing is downloaded).

reportlab draws the pages and pypdf post-processes them (outline, metadata,
encryption). Every public function takes ``path``: an existing directory gets
a default file name inside it, anything else is used as the file path. Each
function returns the :class:`~pathlib.Path` it wrote.

Only reportlab's built-in Helvetica fonts are used. They are WinAnsi-encoded,
so Swedish ``åäöÅÄÖ`` and the en dash ``–`` render and extract fine, while
characters outside cp1252 (e.g. ``→``) cannot be drawn and must be avoided.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import Fit, IndirectObject, NameObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "EXPECTED_SECTIONS",
    "STRATEGY_TITLE",
    "Section",
    "empty_file",
    "encrypted_pdf",
    "image_only_pdf",
    "not_a_pdf",
    "strategy_pdf",
    "truncated_pdf",
]

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT_MARGIN = 70.0
HEADER_Y = 804.0
FOOTER_Y = 30.0
BODY_TOP_Y = 760.0
HEADER_SIZE = 8.5
BODY_SIZE = 10.0
CAPTION_SIZE = 8.0
LINE_SPACING = 13.0  # baseline to baseline inside a paragraph
PARAGRAPH_SPACING = 18.0  # baseline to baseline between paragraphs
WRAP_WIDTH = 55  # characters per body line
REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
ITALIC = "Helvetica-Oblique"

STRATEGY_TITLE = "Testlänets utvecklingsstrategi"
DEFAULT_HEADER = "Regional utvecklingsstrategi 2020–2030"


class Section(NamedTuple):
    """A heading expected in the strategy PDF's outline."""

    title: str
    page: int  # 1-based
    level: int  # 1 = top level


EXPECTED_SECTIONS: tuple[Section, ...] = (
    Section("Inledning", 1, 1),
    Section("Prioritering 1: Testlänet - smart och nytänkande", 2, 1),
    Section("Delprioritering 1.1 Starka strukturer för en smart plats", 3, 2),
    Section("Identifierade behov", 4, 3),
    Section("Delprioritering 1.2 Digital omställning", 5, 2),
    Section("Identifierade behov", 5, 3),
    Section("Prioritering 2: Testlänet - nära och tillgängligt", 6, 1),
    Section("Delprioritering 2.1 Robust transportinfrastruktur", 6, 2),
    Section("Identifierade behov", 6, 3),
)


# --------------------------------------------------------------------------
# Strategy document content
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    lines: tuple[str, ...]  # drawn one bold line each (a wrapped heading)
    size: float
    level: int  # outline level

    @property
    def title(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True)
class _Para:
    text: str | tuple[str, ...]  # str is auto-wrapped; a tuple is drawn as-is

    def lines(self) -> list[str]:
        if isinstance(self.text, tuple):
            return list(self.text)
        return textwrap.wrap(self.text, WRAP_WIDTH, break_long_words=False, break_on_hyphens=False)


@dataclass(frozen=True)
class _Figure:
    height: float
    caption: str


_Block = _Heading | _Para | _Figure


def _prio(text: str) -> _Heading:
    return _Heading((text,), 16.0, 1)


def _delprio(*lines: str) -> _Heading:
    return _Heading(lines, 14.0, 2)


_NEEDS = _Heading(("Identifierade behov",), 11.0, 3)


_STRATEGY_PAGES: tuple[tuple[_Block, ...], ...] = (
    (  # page 1
        _Heading(("Inledning",), 11.0, 1),
        _Para(
            (
                "Den här strategin visar hur Testlänet ska utvecklas fram",
                "till år 2030 och pekar ut riktningen för utveck-",
                "lingen i hela länet. Samtidigt måste vi hantera klimat-",
                "och miljöförändringar som påverkar näringsliv, natur och",
                "människor i alla våra kommuner.",
            )
        ),
        _Para(
            (
                "Arbetet genomförs tillsammans med kommuner, näringsliv,",
                "akademi och civilsamhälle. Både regionala medel och EU-",
                "medel används för att finansiera insatser som bidrar till",
                "strategins mål. Uppföljning sker årligen i samverkan.",
            )
        ),
        _Figure(120.0, "Foto: Anna Andersson"),
        _Para("<här kommer infografik med data>"),
    ),
    (  # page 2
        _prio("Prioritering 1: Testlänet - smart och nytänkande"),
        _Para(
            "Ett smart och nytänkande län tar vara på kunskap, innovation och "
            "entreprenörskap. Företag och offentliga aktörer ska kunna samarbeta "
            "över gränser för att skapa nya lösningar som möter framtidens "
            "utmaningar i både städer och på landsbygden."
        ),
    ),
    (  # page 3
        _delprio("Delprioritering 1.1 Starka strukturer för en", "smart plats"),
        _Para(
            "Målet för delprioriteringen är att länet ska ha starka strukturer "
            "för forskning, utbildning och innovation som gör det lätt för "
            "företag och människor att växa och utvecklas."
        ),
        _Para("Utmaningar för att stärka strukturer:"),
        _Para(
            "Utmaning 1: Länets innovationssystem är splittrat och många aktörer "
            "arbetar var för sig utan gemensam riktning eller långsiktig "
            "finansiering."
        ),
        _Para(
            "Utmaning 2: Det saknas kompetens inom flera bristyrken, och "
            "avstånden gör det svårt för små företag att rekrytera rätt personal."
        ),
    ),
    (  # page 4
        _NEEDS,
        _Para(
            "1. Stärk den regionala samordningen. Det kan handla om att skapa "
            "gemensamma mötesplatser och att samordna finansiering mellan "
            "kommuner, region och näringsliv."
        ),
        _Para(
            "2. Utveckla hållbara näringar i samklang med rennäringen. Det kan "
            "handla om att planera vindkraft och gruvor så att trygga passager "
            "för renar säkras mellan betesområdena."
        ),
    ),
    (  # page 5
        _delprio("Delprioritering 1.2 Digital omställning"),
        _Para(
            "Målet för delprioriteringen är att alla invånare och företag i "
            "länet ska ha tillgång till snabb uppkoppling och kunna dra nytta "
            "av digitaliseringens möjligheter."
        ),
        _NEEDS,
        _Para(
            "1. Bygg ut bredband i glesbygd. Det kan handla om stöd till "
            "byanät och samverkan med privata operatörer."
        ),
        _Para(
            "2. Höj den digitala kompetensen. Det kan handla om utbildning för "
            "äldre och för småföretagare i hela länet."
        ),
    ),
    (  # page 6
        _prio("Prioritering 2: Testlänet - nära och tillgängligt"),
        _delprio("Delprioritering 2.1 Robust transportinfrastruktur"),
        _Para(
            "Målet för delprioriteringen är att länet ska ha en robust och "
            "hållbar transportinfrastruktur som knyter samman orter, "
            "arbetsmarknader och viktiga godsstråk."
        ),
        _NEEDS,
        _Para(
            "1. Förbättra vägunderhållet. Det kan handla om att prioritera "
            "bärighet och tjälsäkring på vägar som är viktiga för näringslivet."
        ),
        _Para(
            "2. Utveckla kollektivtrafiken. Det kan handla om fler avgångar och "
            "bättre anslutningar mellan buss och tåg."
        ),
    ),
)


class _Anchor(NamedTuple):
    title: str
    page_index: int  # 0-based
    top: float  # y coordinate just above the heading's first line
    level: int


class _Layout:
    """Draws blocks top-down on a canvas, one page at a time."""

    def __init__(self, canvas: Canvas, *, header: str | None, footer: bool, total: int) -> None:
        self.canvas = canvas
        self.header = header
        self.footer = footer
        self.total = total
        self.page_index = 0
        self.y = BODY_TOP_Y
        self.first_on_page = True
        self.pending_gap: float | None = None
        self.anchors: list[_Anchor] = []

    def draw_page(self, blocks: Sequence[_Block]) -> None:
        c = self.canvas
        if self.header is not None:
            c.setFont(REGULAR, HEADER_SIZE)
            c.drawString(LEFT_MARGIN, HEADER_Y, self.header)
        self.y = BODY_TOP_Y
        self.first_on_page = True
        self.pending_gap = None
        for block in blocks:
            if isinstance(block, _Heading):
                self._heading(block)
            elif isinstance(block, _Para):
                self._para(block)
            else:
                self._figure(block)
            self.first_on_page = False
        if self.footer:
            c.setFont(REGULAR, HEADER_SIZE)
            c.drawRightString(
                PAGE_WIDTH - LEFT_MARGIN,
                FOOTER_Y,
                f"Sida {self.page_index + 1} av {self.total}",
            )
        if self.y < FOOTER_Y + 2 * LINE_SPACING:
            raise ValueError(f"strategy page {self.page_index + 1} overflows")
        c.showPage()
        self.page_index += 1

    def _advance(self, step: float) -> None:
        """Move down before a block, unless it is the first on the page."""
        if not self.first_on_page:
            self.y -= step if self.pending_gap is None else self.pending_gap
        self.pending_gap = None

    def _heading(self, h: _Heading) -> None:
        self._advance(h.size + 16.0)
        self.anchors.append(_Anchor(h.title, self.page_index, self.y + h.size + 4.0, h.level))
        self.canvas.setFont(BOLD, h.size)
        for i, line in enumerate(h.lines):
            if i:
                self.y -= h.size * 1.25
            self.canvas.drawString(LEFT_MARGIN, self.y, line)
        self.pending_gap = h.size + 12.0  # space below a heading

    def _para(self, p: _Para) -> None:
        self._advance(PARAGRAPH_SPACING)
        self.canvas.setFont(REGULAR, BODY_SIZE)
        for i, line in enumerate(p.lines()):
            if i:
                self.y -= LINE_SPACING
            self.canvas.drawString(LEFT_MARGIN, self.y, line)

    def _figure(self, f: _Figure) -> None:
        self._advance(PARAGRAPH_SPACING)
        c = self.canvas
        top = self.y + BODY_SIZE
        c.setFillGray(0.8)
        c.rect(LEFT_MARGIN, top - f.height, 300.0, f.height, stroke=0, fill=1)
        c.setFillGray(0.0)
        self.y = top - f.height - CAPTION_SIZE - 4.0
        c.setFont(ITALIC, CAPTION_SIZE)
        c.drawString(LEFT_MARGIN, self.y, f.caption)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _target(path: Path | str, default_name: str) -> Path:
    """Resolve ``path`` to a file path, creating parent directories."""
    p = Path(path)
    if p.is_dir():
        p = p / default_name
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def _simple_pdf_bytes(pages: Sequence[Sequence[str]], title: str) -> bytes:
    """A plain text PDF: one list of lines per page."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle(title)
    for lines in pages:
        c.setFont(REGULAR, BODY_SIZE)
        y = BODY_TOP_Y
        for line in lines:
            c.drawString(LEFT_MARGIN, y, line)
            y -= LINE_SPACING
        c.showPage()
    c.save()
    return buf.getvalue()


def _write(writer: PdfWriter, target: Path) -> Path:
    with target.open("wb") as fh:
        writer.write(fh)
    return target


# --------------------------------------------------------------------------
# Public factories
# --------------------------------------------------------------------------


def strategy_pdf(
    path: Path | str,
    *,
    outline: bool = True,
    header: str | None = DEFAULT_HEADER,
    footer: bool = True,
) -> Path:
    """Write a 6-page Swedish strategy document (see ``EXPECTED_SECTIONS``)."""
    target = _target(path, "strategi.pdf")
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    canvas.setTitle(STRATEGY_TITLE)
    layout = _Layout(canvas, header=header, footer=footer, total=len(_STRATEGY_PAGES))
    for blocks in _STRATEGY_PAGES:
        layout.draw_page(blocks)
    canvas.save()

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    writer.add_metadata({"/Title": STRATEGY_TITLE})
    if outline:
        parents: dict[int, IndirectObject] = {}  # latest outline item per level
        for anchor in layout.anchors:
            parents[anchor.level] = writer.add_outline_item(
                title=anchor.title,
                page_number=anchor.page_index,
                parent=parents.get(anchor.level - 1),
                fit=Fit.xyz(left=0, top=anchor.top),
            )
        writer.page_mode = "/UseOutlines"
    return _write(writer, target)


def encrypted_pdf(path: Path | str, password: str = "hemligt") -> Path:
    """Write a one-page text PDF encrypted with user password ``password``.

    RC4-128 is used so that pypdf can decrypt it without ``cryptography``.
    """
    target = _target(path, "krypterad.pdf")
    data = _simple_pdf_bytes(
        [["Hemlig rapport", "Det här dokumentet är lösenordsskyddat."]],
        "Krypterad rapport",
    )
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(
        user_password=password,
        owner_password=password + "-ägare",
        algorithm="RC4-128",
    )
    return _write(writer, target)


def image_only_pdf(path: Path | str) -> Path:
    """Write a 2-page "scanned" PDF: shapes and a raster image, no text layer.

    reportlab starts every page with an empty ``BT /F1 12 Tf ... ET`` and a
    Helvetica font resource; both are stripped so no page references a font.
    """
    target = _target(path, "bild.pdf")
    image = Image.new("RGB", (32, 24), (230, 230, 230))
    for x in range(32):
        for y in range(24):
            if (x // 4 + y // 4) % 2:
                image.putpixel((x, y), (40, 90, 160))
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle("Skannat dokument")
    for page in range(2):
        c.setStrokeGray(0.3)
        c.setFillGray(0.9)
        c.rect(LEFT_MARGIN, 600, 450, 180, stroke=1, fill=1)
        c.circle(PAGE_WIDTH / 2, 400, 60 + 20 * page, stroke=1, fill=0)
        c.drawImage(ImageReader(image), LEFT_MARGIN, 120, width=320, height=240)
        c.showPage()
    c.save()

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    for pdf_page in writer.pages:
        resources = pdf_page["/Resources"].get_object()
        resources.pop(NameObject("/Font"), None)
        contents = pdf_page.get_contents()
        assert contents is not None
        contents.set_data(re.sub(rb"\bBT\b.*?\bET\b", b"", contents.get_data(), flags=re.S))
        pdf_page.replace_contents(contents)
    return _write(writer, target)


def empty_file(path: Path | str) -> Path:
    """Write a zero-byte file."""
    target = _target(path, "tom.pdf")
    target.write_bytes(b"")
    return target


def not_a_pdf(path: Path | str, kind: Literal["text", "png"] = "text") -> Path:
    """Write non-PDF bytes (plain text or a PNG header) under a ``.pdf`` name."""
    target = _target(path, "inte_en.pdf")
    if kind == "png":
        data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
    else:
        data = "Det här är ingen PDF, bara vanlig text.\n".encode()
    target.write_bytes(data)
    return target


def truncated_pdf(path: Path | str) -> Path:
    """Write a valid multi-page PDF cut to its first 40 % of bytes."""
    target = _target(path, "trasig.pdf")
    data = _simple_pdf_bytes(
        [[f"Sida {n} i ett avklippt dokument."] for n in range(1, 4)],
        "Avklippt dokument",
    )
    target.write_bytes(data[: int(len(data) * 0.4)])
    return target


# --------------------------------------------------------------------------
# Reading a PDF's bookmarks (for expectations taken from the real strategy)
# --------------------------------------------------------------------------

# the strategy's 20 sub-priorities, in order
SUBPRIORITY_IDS = [
    "1.1", "1.2", "1.3",
    "2.1", "2.2",
    "3.1", "3.2", "3.3", "3.4",
    "4.1", "4.2", "4.3", "4.4",
    "5.1", "5.2", "5.3", "5.4",
    "6.1", "6.2", "6.3",
]  # fmt: skip
# where the reindeer crossings stand: the needs of sub-priority 3.1, in the PDF and the TXT alike
NEEDS_31_HEADING_PATH = [
    "Prioritering 3: Västerbotten – nära och tillgängligt",
    "Delprioritering 3.1 Samverkanskraft för en nära och tillgänglig plats",
    "Identifierade behov",
]
BOOKMARK_SUB = re.compile(r"^Delprioritering (\d+\.\d+)\s")
BOOKMARK_PRIO = re.compile(r"^Prioritering (\d+):")


def read_bookmarks(pdf: Path) -> list[tuple[str, int]]:
    """(title with whitespace collapsed, 1-based page) of every bookmark in document order, straight from pypdf."""
    reader = PdfReader(pdf)
    found: list[tuple[str, int]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append((" ".join(item.title.split()), reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return found
