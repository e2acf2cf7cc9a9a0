"""Generators for hostile and broken documents (nothing is downloaded; every file is made here).

`hostile_files(folder)` writes them all and returns {case name: (path, expectation)} where expectation is
"reject" (must be refused with a reason) or "accept" (odd but legitimate, e.g. UTF-16 text with a BOM).
Limits assumed by the cases (set them in the environment of the code under test): see `TEST_LIMITS`.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from pdf_factory import _simple_pdf_bytes, empty_file, encrypted_pdf, image_only_pdf, not_a_pdf, truncated_pdf

from bench.hostile_uploads import DOCX_CONTENT_TYPES, DOCX_HEAD, DOCX_PARAGRAPH, DOCX_RELS, docx_bomb

# small limits so that "huge" inputs stay cheap to generate
TEST_LIMITS = {
    "RUS_MAX_FILE_BYTES": "2000000",
    "RUS_MAX_PDF_PAGES": "50",
    "RUS_MAX_STREAM_BYTES": "5000000",
    "RUS_MAX_UNPACKED_BYTES": "20000000",
    "RUS_MAX_DOCUMENT_CHARS": "1000000",
    "RUS_MAX_EXTRACT_SECONDS": "20",
}
SWEDISH = "Regionen ska stärka kompetensförsörjningen i hela länet – även i små orter längs älvdalarna.\n\n"


def minimal_pdf(objects: list[bytes], root: int = 1, extra_trailer: bytes = b"") -> bytes:
    """A PDF with a correct xref table from numbered object bodies (object i+1 = objects[i])."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
    out.write(trailer % (len(objects) + 1, root, extra_trailer, xref))
    return out.getvalue()


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


PAGE_RESOURCES = b"/Resources << /Font << /F1 5 0 R >> >>"
FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
TEXT = b"BT /F1 12 Tf 72 712 Td (Det har ar en sida med text.) Tj ET"


def one_page_pdf(content: bytes, page_extra: bytes = b"", catalog_extra: bytes = b"", more: list[bytes] | None = None):
    return minimal_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE + PAGE_RESOURCES + page_extra + b">>",
            content,
            FONT,
            *(more or []),
        ]
    )


def flate_bomb(decompressed_bytes: int = 300_000_000) -> bytes:
    """A content stream of ~0.3 MB that inflates to `decompressed_bytes` (zeros after one line of text)."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(TEXT + b"\n")]
    block = b" " * (1 << 20)
    for _ in range(decompressed_bytes // len(block)):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    return one_page_pdf(_stream(b"".join(parts), b"/Filter /FlateDecode "))


def nested_dict_pdf(depth: int = 20_000) -> bytes:
    nested = b"<< /A " * depth + b"1" + b" >>" * depth
    return one_page_pdf(_stream(TEXT), page_extra=b" /Deep " + nested + b" ")


def nested_array_content(depth: int = 50_000) -> bytes:
    return one_page_pdf(_stream(TEXT + b"\n" + b"[" * depth + b"]" * depth + b" pop\n"))


def deep_page_tree(depth: int = 400) -> bytes:
    """Pages nodes nested `depth` deep above one page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(depth):
        number = 2 + level
        parent = b"/Parent %d 0 R " % (number - 1) if level else b""
        objects.append(b"<< /Type /Pages %s/Kids [%d 0 R] /Count 1 >>" % (parent, number + 1))
    page = 2 + depth
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page - 1, page + 1, page + 2)
    )
    objects.append(_stream(TEXT))
    objects.append(FONT)
    return minimal_pdf(objects)


def page_flood(copies: int = 200_000) -> bytes:
    """One page referenced `copies` times from the page tree (a page-count bomb in a few MB... of refs)."""
    kids = b" ".join([b"3 0 R"] * copies)
    return minimal_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % copies,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " + PAGE_RESOURCES + b">>",
            _stream(TEXT),
            FONT,
        ]
    )


def recursive_xobject() -> bytes:
    """A form XObject that draws itself."""
    form = _stream(
        b"/X1 Do", b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X1 6 0 R >> >> "
    )
    return one_page_pdf(
        _stream(TEXT + b"\n/X1 Do"),
        page_extra=b" ",
        more=[form],
    ).replace(PAGE_RESOURCES, b"/Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >>")


def circular_outline() -> bytes:
    return one_page_pdf(
        _stream(TEXT),
        catalog_extra=b"/Outlines 6 0 R ",
        more=[
            b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
            b"<< /Title (Loop) /Parent 6 0 R /Next 7 0 R /Prev 7 0 R /First 7 0 R /Dest [3 0 R /Fit] >>",
        ],
    )


def huge_declared_length() -> bytes:
    return one_page_pdf(b"<< /Length 999999999999 >>\nstream\n" + TEXT + b"\nendstream")


def many_pages(pages: int = 60) -> bytes:
    return _simple_pdf_bytes([[f"Sida {n}."] for n in range(pages)], "Många sidor")


def padded_pdf(size: int) -> bytes:
    data = _simple_pdf_bytes([["En stor fil."]], "Stor")
    return data + b"%" + b"x" * (size - len(data)) + b"\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document><w:body><w:p>Hej</w:p></w:body></w:document>")
    return buffer.getvalue()


def docx_lying_sizes(inflated_bytes: int = 60_000_000) -> bytes:
    """A zip bomb whose central directory declares a 1 kB document.xml (a reader trusting it would inflate it all)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        package.writestr("_rels/.rels", DOCX_RELS)
        package.writestr("word/document.xml", DOCX_HEAD + DOCX_PARAGRAPH * (inflated_bytes // len(DOCX_PARAGRAPH)))
    data = bytearray(buffer.getvalue())
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(b"word/document.xml") + 1)
    data[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")  # the central directory's uncompressed size
    return bytes(data)


def docx_forged_part(inflated_bytes: int = 60_000_000) -> bytes:
    """A zip bomb zipfile itself accepts: document.xml's deflate stream holds a small valid document followed by
    `inflated_bytes` of padding, and both its headers declare only the valid document's size and checksum (zipfile
    returns the declared bytes, but inflates the whole stream to find them)."""
    valid = DOCX_HEAD + DOCX_PARAGRAPH + b"</w:body></w:document>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        package.writestr("_rels/.rels", DOCX_RELS)
        package.writestr("word/document.xml", valid + b" " * inflated_bytes)
        local = package.getinfo("word/document.xml").header_offset
    data = bytearray(buffer.getvalue())
    checksum, size = zlib.crc32(valid).to_bytes(4, "little"), len(valid).to_bytes(4, "little")
    data[local + 14 : local + 18], data[local + 22 : local + 26] = checksum, size
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(b"word/document.xml") + 1)
    data[entry + 16 : entry + 20], data[entry + 24 : entry + 28] = checksum, size
    return bytes(data)


def hostile_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Write every hostile/broken document into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, str]] = {}

    def put(name: str, filename: str, data: bytes | None = None, expect: str = "reject", maker=None) -> None:
        path = folder / filename
        if maker is not None:
            maker(path)
        else:
            path.write_bytes(data or b"")
        cases[name] = (path, expect)

    put("truncated PDF", "truncated.pdf", maker=truncated_pdf)
    put("encrypted PDF", "encrypted.pdf", maker=encrypted_pdf)
    put("image-only PDF", "image-only.pdf", maker=image_only_pdf)
    put("zero-byte PDF", "zero.pdf", maker=empty_file)
    put("text named .pdf", "text.pdf", maker=not_a_pdf)
    put("PNG named .pdf", "png.pdf", maker=lambda p: not_a_pdf(p, kind="png"))
    put("random bytes named .pdf", "random.pdf", bytes(range(256)) * 40)
    put("PDF header only", "header.pdf", b"%PDF-1.7\n")
    put("huge PDF (over the size limit)", "huge.pdf", padded_pdf(2_100_000))
    put("PDF over the page limit", "pages.pdf", many_pages(60))
    put("page-count bomb (one page referenced 200k times)", "flood.pdf", page_flood())
    put("flate bomb (0.3 MB inflating to 300 MB)", "bomb.pdf", flate_bomb())
    put("deeply nested dictionaries", "nested-dict.pdf", nested_dict_pdf(), "accept")
    put("deeply nested arrays in content", "nested-array.pdf", nested_array_content())
    put("page tree 400 levels deep", "deep-tree.pdf", deep_page_tree())
    put("self-referencing form XObject", "xobject.pdf", recursive_xobject(), "accept")
    put("circular outline", "outline.pdf", circular_outline(), "accept")
    put("stream with absurd declared length", "length.pdf", huge_declared_length())
    put("DOCX document", "document.docx", docx_bytes())
    put("DOCX zip bomb (0.2 MB inflating to 60 MB)", "bomb.docx", maker=lambda p: docx_bomb(p, 60_000_000))
    put("DOCX whose parts lie about their unpacked size", "lying.docx", docx_lying_sizes())
    put("DOCX whose part forges its size and checksum", "forged.docx", docx_forged_part())
    put("old .doc (OLE) named .docx", "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    put("HTML with only scripts and navigation", "script.html",
        b"<html><head><script>" + b"x=1;" * 5000 + b"</script></head><body><nav><a href='/'>Hem</a></nav></body>")
    put("HTML nested 50 000 tags deep", "deep.html", b"<div>" * 50_000 + b"Text" + b"</div>" * 50_000, "accept")
    put("HTML over the character limit", "huge.html", b"<p>" + b"ord " * 400_000 + b"</p>")
    put("text over the character limit (under the byte limit)", "long.txt", b"ord " * 400_000)
    put("DOCX bytes named .txt", "docx.txt", docx_bytes())
    put("UTF-16 text without BOM", "utf16-nobom.txt", SWEDISH.encode("utf-16-le"))
    put("binary noise named .txt", "noise.txt", bytes(range(1, 256)) * 40)
    put("whitespace-only text", "blank.txt", b" \n\t\n   \r\n")
    put("zero-byte text", "zero.txt", b"")
    put("text over the size limit", "huge.txt", (SWEDISH * 25_000).encode())
    put("NUL bytes in Markdown", "nul.md", b"# Rubrik\n\nText\x00med\x00nollor.\n")
    put("executable named .md", "elf.md", b"\x7fELF\x02\x01\x01" + bytes(200))
    put("unsupported extension", "notes.rtf", b"{\\rtf1 Hej}")
    # hostile structure around a real text layer: read within pypdf's limits, the text is kept
    # odd but legitimate encodings: accepted and decoded correctly
    put("UTF-16 LE text with BOM", "utf16.txt", b"\xff\xfe" + SWEDISH.encode("utf-16-le"), "accept")
    put("UTF-16 BE text with BOM", "utf16be.txt", b"\xfe\xff" + SWEDISH.encode("utf-16-be"), "accept")
    put("UTF-8 text with BOM", "bom.txt", b"\xef\xbb\xbf" + SWEDISH.encode(), "accept")
    put("Latin-1 text", "latin1.txt", SWEDISH.replace("–", "-").encode("latin-1"), "accept")
    put("HTML page with a title and headings", "sida.html",
        ("<html><head><title>Plan för kollektivtrafik</title></head><body><h1>Mål</h1><p>" + SWEDISH
         + "</p></body></html>").encode(), "accept")
    put("Windows-1252 text", "cp1252.md", ("# Rubrik\n\n" + SWEDISH + "”Citat” €\n").encode("cp1252"), "accept")
    stray = SWEDISH.encode() + b"\xff\xfe\xc3(" + SWEDISH.encode()
    put("invalid UTF-8 (stray bytes in UTF-8 text)", "mixed.txt", stray, "accept")
    return cases
