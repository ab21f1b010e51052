"""The text of a regulation's web page, as 例規集 systems publish it, without the page around it.

Left out: ``nav``/``header``/``footer``/``aside``/``script``/``style`` and the like, elements whose class,
id or role says navigation, menu, breadcrumb, header, footer or sidebar, and blocks that are mostly
links (a column of links to other regulations, 「ページの先頭へ」) unless they carry the regulation's own
words (an article, a sentence, a 目次 of chapters). A header inside ``<article>``/``<main>`` is the
document's own (its title) and is kept. Blocks become lines, ``<br>`` breaks a line, a table row is one
line with its cells joined by a space (a layout table whose cells hold whole columns keeps their lines).
"""

from __future__ import annotations

import re

from lxml import etree, html

from corpus import patterns as P
from corpus.errors import UnreadableFileError
from corpus.numbers import CIRCLED, KANJI_NUMERAL_CHARS, fold

BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "dir",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "li", "main", "menu", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul",
})
DROPPED = frozenset({
    "nav", "header", "footer", "aside", "script", "style", "noscript", "template", "iframe", "object", "embed",
    "svg", "canvas", "button", "select", "input", "textarea", "map", "head", "title", "meta", "link",
})
_CHROME_NAME = re.compile(
    r"nav|menu|breadcrumb|pankuzu|topicpath|footer|header|sidebar|side-bar|side_bar|skip|pagetop|page-top"
    r"|toolbar|banner|share",
    re.I,
)
_CHROME_ROLE = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
_HEADER = re.compile(r"header", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# The regulation's own words: an article, a sentence, an item marker.
_OWN_WORDS = re.compile(r"第\s*[0-9０-９一二三四五六七八九十百]+\s*条|。|[(（][0-9０-９一二三四五六七八九十]+[)）]")
# Links that are the regulation's structure (a 目次 of chapters, its forms), not navigation.
_STRUCTURE_LINK = re.compile(r"^(?:第\s*[0-9０-９一二三四五六七八九十百]+\s*[編章節款]|附\s*則|目\s*次|様式|別表|別記)")
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# After a marker, text that continues a reference (「第3条の規定により」「第2項に」) rather than starting a clause.
_CONTINUES = re.compile(r"^[のにをがはとへもやで、。・,.）)及又並若項号条]")
# A paragraph, item or sub-item marker alone (the parser's own patterns want text after most of them).
_BARE_MARKER = re.compile(
    rf"[0-9]{{1,3}}|\({P.NUM}\)|[{KANJI_NUMERAL_CHARS}]{{1,3}}|[{P.IROHA}]|\([{P.IROHA}]\)|[{CIRCLED}]"
)
# What starts a block of the regulation, as the parser reads lines.
_BLOCK_STARTS = (P.ARTICLE, P.YOURYOU, P.PARAGRAPH, P.ITEM, P.CHAPTER, P.SUPPL, P.FORM, P.TOC)


def _marker_only(line: str) -> bool:
    """A number set apart from its text, as pages mark up 「<span class="num">第1条</span><span>この…</span>」 or
    put 「2」 and its paragraph in blocks of their own: an article, paragraph, item or sub-item marker alone."""
    folded = fold(line).strip()
    head = P.ARTICLE.match(folded) or P.YOURYOU.match(folded)
    return not head.group(3) if head else bool(_BARE_MARKER.fullmatch(folded))


def _starts_new(line: str) -> bool:
    """Whether a line begins a block of its own (a marker with its text, 附則, 様式 …) or a heading (「（目的）」)."""
    folded = fold(line).strip()
    return folded.startswith("(") or any(pattern.match(folded) for pattern in _BLOCK_STARTS)


def html_lines(text: str, name: str = "<html>") -> list[str]:
    """The page's regulation text as lines, furniture left out."""
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses a str that declares its encoding
    try:
        root = html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableFileError(f"{name}: not a readable HTML page ({exc})") from None
    body = root.find("body")
    out = _Lines()
    _render(body if body is not None else root, out)
    out.newline()
    return join_lone_markers(out.lines)


def _text_start(elements) -> str:
    """The start of the text the next elements hold."""
    return next((text for el in elements if _tag(el) and (text := (el.text_content() or "").strip())), "")


def join_lone_markers(lines: list[str]) -> list[str]:
    """A marker in a block of its own joined to the text in the next one (「2」 + 「課長は、…」 → 「2 課長は、…」)."""
    out: list[str] = []
    pending = ""
    for line in lines:
        if pending and not _marker_only(line) and not _starts_new(line):
            out.append(f"{pending} {line}")
        else:
            if pending:
                out.append(pending)
            if _marker_only(line):
                pending = line
                continue
            out.append(line)
        pending = ""
    if pending:
        out.append(pending)
    return out


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buffer: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self.buffer.append(text)

    def newline(self) -> None:
        if self.buffer:
            line = squeeze("".join(self.buffer))
            self.buffer = []
            if line:
                self.lines.append(line)


def squeeze(text: str) -> str:
    """HTML whitespace as a browser shows it: a run becomes one space, except a source line break
    between two Japanese characters, which is no space at all. Ideographic spaces are kept."""
    def one(match: re.Match[str]) -> str:
        before, after = text[match.start() - 1 : match.start()], text[match.end() : match.end() + 1]
        if "\n" in match.group(0) and _CJK.match(before) and _CJK.match(after):
            return ""
        return " "

    return _SPACES.sub(one, text).strip(" ")


def _tag(el) -> str | None:
    return el.tag.lower() if isinstance(el.tag, str) else None  # comments and PIs have no str tag


def _render(el, out: _Lines) -> None:
    tag = _tag(el)
    if tag is None:
        return
    if tag == "br":
        out.newline()
        return
    if is_furniture(el, tag):
        if tag in BLOCKS:
            out.newline()
        return
    if tag == "tr":
        _row(el, out)
        return
    block = tag in BLOCKS
    if block:
        out.newline()
    out.add(el.text)
    children = list(el)
    for n, child in enumerate(children):
        at_line_start = not "".join(out.buffer).strip()
        _render(child, out)
        spaced = (child.tail or "")[:1].isspace()
        if at_line_start and not spaced and _tag(child) not in BLOCKS \
                and _marker_only(child.text_content() or ""):
            following = (child.tail or "").strip() or _text_start(children[n + 1:])
            if following and not _CONTINUES.match(following):
                out.add(" ")  # 「第1条」 in a span of its own: a space before the text the next span holds
        out.add(child.tail)
    if block:
        out.newline()


def _row(tr, out: _Lines) -> None:
    out.newline()
    cells = []
    for cell in tr:
        if _tag(cell) not in {"td", "th"} or is_furniture(cell, "td"):
            continue
        lines = _Lines()
        lines.add(cell.text)
        for child in cell:
            _render(child, lines)
            lines.add(child.tail)
        lines.newline()
        cells.append((cell, lines.lines))
    layout = any(len(lines) > 3 or cell.find(".//table") is not None for cell, lines in cells)
    if layout:  # a page laid out with a table: each cell is a column of its own lines
        for _, lines in cells:
            out.lines.extend(lines)
    else:
        joined = " ".join(" ".join(lines) for _, lines in cells if lines)
        if joined:
            out.lines.append(joined)


def _inside_content(el) -> bool:
    return any(_tag(a) in {"article", "main"} or a.get("role") == "main" for a in el.iterancestors())


def is_furniture(el, tag: str) -> bool:
    """Whether an element is page furniture rather than the regulation."""
    if tag in DROPPED:
        return not (tag == "header" and _inside_content(el))
    if (el.get("role") or "").lower() in _CHROME_ROLE:
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}"
    match = _CHROME_NAME.search(names)
    if match and not (_HEADER.fullmatch(match.group(0)) and _inside_content(el)):
        return True
    return tag in BLOCKS and _mostly_links(el)


def _mostly_links(el) -> bool:
    """A block whose text is mostly links to elsewhere: a link column, a lone 「ページの先頭へ」."""
    links = [a for a in el.iter("a") if (a.text_content() or "").strip()]
    if not links:
        return False
    linked = sum(len(_bare(a.text_content())) for a in links)
    plain = "".join(_plain_pieces(el))
    total = linked + len(_bare(plain))
    if not total or linked < 0.6 * total or _OWN_WORDS.search(plain):
        return False
    if len(links) < 3 and linked < total:  # one or two links inside a line of text
        return False
    structural = sum(1 for a in links if _STRUCTURE_LINK.match(_bare(a.text_content())))
    return structural * 2 < len(links)


def _plain_pieces(el):
    """Text of el outside links, furniture left out."""
    tag = _tag(el)
    if tag is None or tag in DROPPED or tag == "a":
        return
    yield el.text or ""
    for child in el:
        yield from _plain_pieces(child)
        yield child.tail or ""


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text or "")
