"""Regulation text from the files a city's 例規集 publishes: plain text, an HTML page, a text PDF or a .docx.

``extract_text(path)`` picks the reader by what the file holds (the suffix only breaks ties), so a page
saved as ``.txt`` or a PDF named ``.html`` still reads. Page furniture is left out: the navigation,
headers, footers, breadcrumbs and link sidebars of a web page (``corpus.extract_html``), the running
headers, footers and page numbers of a PDF. What remains keeps the document's lines, which is what the
parser reads: one block, table row or PDF line per line.
"""

from __future__ import annotations

import codecs
import io
import logging
import math
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from corpus import patterns as P
from corpus.errors import (
    HogoError,
    NotARegulationError,
    ScannedPdfError,
    UnreadableFileError,
    UnsupportedFileError,
)
from corpus.parser import split_lines

log = logging.getLogger("hogo.corpus")
HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
_IMAGES = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Word .doc / Excel .xls
_HTML_START = re.compile(rb"^\s*<(?:!doctype\s+html|html|head|body|\?xml[^>]*>\s*<(?:!doctype\s+html|html))", re.I)
_HTML_TAG = re.compile(rb"<(?:html|head|body|div|p|table|br)\b", re.I)
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)""", re.I)


def extract_text(path: Path) -> str:
    """The text of one regulation file, one line per block/line of the original.

    Raises an ``ExtractionError`` subclass with a one-line message: ``UnsupportedFileError`` (an image,
    an old .doc, an archive …), ``UnreadableFileError`` (damaged, encrypted or undecodable),
    ``ScannedPdfError`` (a PDF without a text layer) or ``NotARegulationError`` (no 第N条 / 第N found).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    kind = sniff(data, path.suffix.lower(), path.name)
    text = READERS[kind](data, path.name)
    require_articles(text, path.name)
    return text


def sniff(data: bytes, suffix: str, name: str = "<file>") -> str:
    """'text', 'html', 'pdf' or 'docx', judged by the content; raises UnsupportedFileError otherwise."""
    if not data.strip():
        raise NotARegulationError(f"{name}: the file is empty")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            raise UnreadableFileError(f"{name}: a damaged ZIP (or .docx) file") from None
        if "word/document.xml" in names:
            return "docx"
        raise UnsupportedFileError(f"{name}: a ZIP file that is not a Word .docx; give the text, HTML, PDF or .docx")
    if data.startswith(_OLE):
        raise UnsupportedFileError(f"{name}: an old Word .doc (or Excel) file; save it as .docx or PDF first")
    for magic, kind in _IMAGES.items():
        if data.startswith(magic):
            raise UnsupportedFileError(f"{name}: a {kind} image; run OCR on it and add the text, or a text PDF")
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    elif b"\x00" in head:
        raise UnsupportedFileError(f"{name}: a binary file of an unknown kind; give the text, HTML, PDF or .docx")
    if _HTML_START.match(head.lstrip(codecs.BOM_UTF8)) or (
        (suffix in HTML_SUFFIXES or suffix not in {".txt", ".text"}) and _HTML_TAG.search(head)
    ):
        return "html"
    return "text"


def decode(data: bytes, name: str, declared: str | None = None) -> str:
    """Bytes to text: a BOM, the declared charset, then UTF-8, Shift_JIS (cp932) and EUC-JP in turn."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if declared and re.search(r"sjis|shift|31j|932", declared, re.I):
        declared = "cp932"  # the Windows superset every Japanese page labelled Shift_JIS is written in
    for encoding in (declared, "utf-8", "cp932", "euc_jp"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise UnreadableFileError(f"{name}: the text is neither UTF-8, Shift_JIS nor EUC-JP")


def declared_charset(data: bytes) -> str | None:
    match = _CHARSET.search(data[:4096])
    return (match.group(1) or match.group(2)).decode("ascii", "ignore") if match else None


def require_articles(text: str, name: str) -> None:
    lines = split_lines(text)
    if any(P.ARTICLE.match(line.folded) for line in lines):
        return
    if sum(1 for line in lines if P.YOURYOU.match(line.folded)) >= 2:
        return
    raise NotARegulationError(
        f"{name}: not a regulation: no article markers (第1条 …, or 第1 趣旨 in the 要領 style) "
        f"in its {len(lines)} lines of text"
    )


# -- readers ---------------------------------------------------------------------------------------------


def read_text(data: bytes, name: str) -> str:
    return decode(data, name).replace("\r\n", "\n").replace("\r", "\n")


def read_html(data: bytes, name: str) -> str:
    from corpus.extract_html import html_lines

    return "\n".join(html_lines(decode(data, name, declared_charset(data)), name))


def read_docx(data: bytes, name: str) -> str:
    """Paragraphs and tables in document order; a table row is one line, its cells joined by a space.
    Headers and footers live in their own parts of a .docx and are not read."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        numbered = 0
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(table_row_lines(block))
            else:
                lines.extend(block.text.splitlines())
                numbered += _word_numbered(block)
    except HogoError:
        raise
    except Exception as exc:  # python-docx raises many kinds on a damaged package
        raise UnreadableFileError(f"{name}: not a readable .docx ({type(exc).__name__}: {exc})") from None
    if numbered:
        log.warning("%s: %d paragraph(s) are numbered by Word's automatic list numbering, and those numbers are "
                    "not in the text: items may be read as running text. Convert the numbering to text in Word, "
                    "or add the 例規集's HTML page or PDF instead", name, numbered)
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _word_numbered(paragraph) -> bool:
    """Whether Word numbers the paragraph itself (a list number that is not part of its text)."""
    ppr = paragraph._p.pPr
    return bool(paragraph.text.strip()) and ppr is not None and ppr.numPr is not None


def table_row_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        seen, cells = set(), []
        for cell in row.cells:  # a merged cell is repeated once per grid column it spans
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(part.strip() for part in cell.text.splitlines() if part.strip())
            if text:
                cells.append(text)
        if cells:
            lines.append(" ".join(cells))
    return lines


# -- PDF -------------------------------------------------------------------------------------------------

EDGE_LINES = 3  # lines at the top and at the bottom of a page that may be a running header or footer
EDGE_SHARE = 0.15  # ... and only within this share of the page height from its top or bottom
_PAGE_NUMBER = re.compile(
    r"^(?:[-‐–—―−ー~〜]?\s*\d{1,4}\s*[-‐–—―−ー~〜]?|\d{1,4}\s*/\s*\d{1,4}|(?:p\.?|page|ページ)\s*\d{1,4}"
    r"|\d{1,4}\s*(?:ページ|頁)|第\s*\d{1,4}\s*頁|\(\s*\d{1,4}\s*\)\s*-?)$",
    re.I,
)
_TITLE = re.compile(r"^[○◯〇]|(?:条例|規則|規程|訓令|告示|要綱|要領|基準)$")


def read_pdf(data: bytes, name: str) -> str:
    """Lines in reading order (top to bottom, page by page; on a page set in two columns, the left column
    before the right one), without running headers, footers and page numbers. A PDF whose pages hold no
    text is a scan: ScannedPdfError."""
    import pdfplumber

    from corpus.pdf_columns import page_lines

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = [page_lines(page.dedupe_chars()) for page in pdf.pages]
    except HogoError:
        raise
    except Exception as exc:  # pdfminer raises many kinds on a damaged or encrypted file
        reason = "password-protected" if "password" in f"{type(exc).__name__} {exc}".lower() else "damaged"
        raise UnreadableFileError(f"{name}: not a readable PDF ({reason}: {type(exc).__name__})") from None
    if not pages:
        raise UnreadableFileError(f"{name}: the PDF has no pages")
    lines = [line for page in without_furniture(pages) for line in page]
    if not lines:
        raise ScannedPdfError(
            f"scanned PDF without text: {name} ({len(pages)} pages) has no text layer; "
            "run OCR on it, or add the 例規集's HTML page instead"
        )
    return "\n".join(lines)


def without_furniture(pages: list[list[tuple[str, float, float, float]]]) -> list[list[str]]:
    """Drop running headers and footers (a line at the top or bottom of most pages, numbers aside) and
    bare page numbers (「- 3 -」「3/12」「3」). Page 1 keeps a first line that reads as the title."""
    def shape(text: str) -> str:
        return re.sub(r"\d+", "#", re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))

    def top_zone(page, i):  # rows are counted by the lines above: the halves of a two-column row share one
        _, top, bottom, height = page[i]
        return bottom <= height * EDGE_SHARE and sum(line[1] < top for line in page) < EDGE_LINES

    def bottom_zone(page, i):
        _, top, _, height = page[i]
        return top >= height * (1 - EDGE_SHARE) and sum(line[1] > top for line in page) < EDGE_LINES

    tops: Counter[str] = Counter()
    bottoms: Counter[str] = Counter()
    for page in pages:
        tops.update({shape(page[i][0]) for i in range(len(page)) if top_zone(page, i)})
        bottoms.update({shape(page[i][0]) for i in range(len(page)) if bottom_zone(page, i)})
    need = max(2, math.ceil(len(pages) / 2))
    running_top = {s for s, n in tops.items() if n >= need}
    running_bottom = {s for s, n in bottoms.items() if n >= need}
    kept = []
    for number, page in enumerate(pages):
        lines = []
        for i, (text, *_) in enumerate(page):
            top, bottom = top_zone(page, i), bottom_zone(page, i)
            if (top or bottom) and _PAGE_NUMBER.match(unicodedata.normalize("NFKC", text).strip()):
                continue
            running = (top and shape(text) in running_top) or (bottom and shape(text) in running_bottom)
            if running and not (number == 0 and i == 0 and _TITLE.search(text.strip())):
                continue
            lines.append(text)
        kept.append(lines)
    return kept


READERS: dict[str, Callable[[bytes, str], str]] = {
    "text": read_text,
    "html": read_html,
    "pdf": read_pdf,
    "docx": read_docx,
}
