"""Turn a regulation text into Article > Paragraph > Item > Sub-item units.

The parser reads line by line with one token of look-ahead. It never guesses silently: every piece of
every line is recorded in ``Regulation.trace`` with its owner, so a test can prove that nothing was lost
or doubled. Lines broken by page breaks are joined to the clause they continue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus import patterns as P
from corpus.crossrefs import attach_references
from corpus.errors import CorpusParseError
from corpus.model import Regulation, Unit
from corpus.numbers import fold, to_int

CHAPTER_TITLE_WITH_COMMA = 20  # 「教育研修、点検及び監査」; a longer text with a comma is a sentence


@dataclass
class Line:
    no: int  # 1-based line number in the source file
    raw: str  # the line as written
    content: str  # without surrounding whitespace and list markup
    folded: str  # content with full-width digits/brackets/spaces folded, same length
    markup: str  # the list markup removed ("- "), counted as formatting, not text
    indented: bool


def split_lines(text: str, first_line: int = 1) -> list[Line]:
    lines = []
    for offset, raw in enumerate(text.splitlines()):
        stripped = raw.strip()
        markup = ""
        match = P.MARKUP.match(raw)
        if match:
            markup = match.group(0).strip()
            stripped = raw[match.end() :].strip()
        if not stripped:
            continue
        lines.append(
            Line(
                no=first_line + offset,
                raw=raw,
                content=stripped,
                folded=fold(stripped),
                markup=markup,
                indented=raw[:1].isspace() and not markup,
            )
        )
    return lines


def article_number(number: str, branches: str) -> tuple[int, ...]:
    return (to_int(number), *(to_int(b) for b in P.BRANCH.findall(branches)))


def article_id(number: tuple[int, ...]) -> str:
    return "_".join(str(n) for n in number)


def era_date(text: str) -> str | None:
    """The first Japanese-era date in text, spaces removed (令和 3 年 4 月 1 日 -> 令和3年4月1日)."""
    match = P.ERA_DATE.search(fold(text))
    return re.sub(r"\s+", "", match.group(0)) if match else None


def ends_open(text: str) -> bool:
    """True when text stops mid-sentence (a page or line break, not a clause boundary)."""
    return bool(text) and not text.rstrip().endswith(P.TERMINATORS)


class _Parser:
    def __init__(self, lines: list[Line], reg: Regulation) -> None:
        self.lines = lines
        self.reg = reg
        self.youryou = not any(self._article_match(ln, strict=False) for ln in lines) and any(
            P.YOURYOU.match(ln.folded) for ln in lines
        )
        self.mode = "preamble"
        self.last_article: tuple[int, ...] = ()
        self.article: Unit | None = None
        self.paragraph: Unit | None = None
        self.item: Unit | None = None
        self.current: Unit | None = None  # the unit that receives continuation text
        self.lost_markers = False  # inside a list whose markers were lost in conversion
        self.chapter: str | None = None
        self.section: str | None = None
        self.toc_chapters: list[int] = []
        self.suppl_count = 0
        self.pending_heading: tuple[str, Line] | None = None

    # -- recording -------------------------------------------------------------------------
    def emit(self, owner: str, raw: str) -> None:
        if raw.strip():
            self.reg.trace.append((owner, raw))

    def add(self, unit: Unit, line: Line) -> Unit:
        unit.lines = (line.no, line.no)
        unit.chapter, unit.section = self.chapter, self.section
        unit.style = "youryou" if self.youryou else "jo"
        self.reg.units.append(unit)
        return unit

    def append_text(self, unit: Unit, text: str, line: Line, sep: str = "") -> None:
        self.emit(unit.key, text)
        unit.text = f"{unit.text}{sep}{text}" if unit.text else text
        unit.lines = (unit.lines[0] or line.no, line.no)
        self.current = unit

    # -- classification ----------------------------------------------------------------------
    def _article_match(self, line: Line, strict: bool = True) -> re.Match[str] | None:
        match = P.ARTICLE.match(line.folded)
        if not match:
            return None
        if strict and article_number(match.group(1), match.group(2)) <= self.last_article:
            return None
        return match

    def article_start(self, line: Line) -> re.Match[str] | None:
        if self.mode in {"suppl", "form", "trailer", "toc"} and not (
            self.mode == "toc" and self._article_match(line)
        ):
            return None
        match = self._article_match(line)
        if match is None and self.youryou:
            match = P.YOURYOU.match(line.folded)
            if match and article_number(match.group(1), match.group(2)) <= self.last_article:
                match = None
        return match

    def next_line(self, index: int) -> Line | None:
        return self.lines[index + 1] if index + 1 < len(self.lines) else None

    def is_heading(self, line: Line, index: int) -> bool:
        if not P.WHOLE_PAREN.match(line.folded) or self.mode in {"suppl", "form", "trailer"}:
            return False
        if P.NOTE.search(line.folded) and self.article is not None:
            return False
        following = self.next_line(index)
        return following is not None and self.article_start(following) is not None

    def is_trailer(self, line: Line) -> bool:
        if self.mode in {"preamble", "toc"} or not self.reg.units:
            return False
        title = self.reg.title.lstrip("○◯〇").strip()
        return bool(P.TRAILER.match(line.folded)) or (bool(title) and line.content.lstrip("○") == title)

    # -- main loop -----------------------------------------------------------------------------
    def run(self) -> None:
        for index, line in enumerate(self.lines):
            self.step(line, index)

    def step(self, line: Line, index: int) -> None:
        folded = line.folded
        if self.mode == "trailer" or self.is_trailer(line):
            self.mode = "trailer"
            self.reg.trailer.append(line.content)
            self.emit("trailer", line.content)
            return
        if self.mode in {"preamble", "body"} and P.TOC.match(folded):
            self.mode = "toc"
            self.emit("toc", line.content)
            self.reg.toc.append(line.content)
            return
        if self.mode == "toc" and self.toc_line(line):
            return
        chapter = P.CHAPTER.match(folded)
        if chapter and self.mode in {"preamble", "body"} and self.chapter_like(chapter):
            self.start_chapter(line, chapter)
            return
        if P.SUPPL.match(folded) and self.mode != "preamble":
            self.start_suppl(line, P.SUPPL.match(folded).group(1), marker=True)
            return
        form = P.FORM.match(folded)
        if form and self.mode != "preamble" and self.reg.units and self.reg.get(
            f"{self.reg.id}:form-{to_int(form.group(1))}") is None:
            self.start_form(line, form)
            return
        if self.mode == "form":
            self.append_text(self.current, line.content, line, sep="\n")
            return
        if self.is_heading(line, index):
            self.mode = "body"
            self.emit("heading", line.content)
            self.pending_heading = (P.WHOLE_PAREN.match(folded).group(1).strip(), line)
            return
        article = self.article_start(line)
        if article:
            self.start_article(line, article)
            return
        if self.mode == "preamble":
            self.reg.preamble.append(line.content)
            self.emit("preamble", line.content)
            return
        if self.mode == "suppl":
            self.suppl_line(line)
            return
        self.body_line(line)

    def chapter_like(self, match: re.Match[str]) -> bool:
        """A chapter heading (第6章 教育研修、点検及び監査), not a sentence that opens with a chapter citation
        (第3章に規定する…): short, no full stop, and a comma only in a short title."""
        rest = match.group(3)
        return not rest or (
            len(rest) <= 40
            and "。" not in rest
            and ("、" not in rest or len(rest) <= CHAPTER_TITLE_WITH_COMMA)
            and not rest.startswith(("に", "の", "で", "を", "から", "まで", "及び", "又は", "第"))
        )

    def toc_line(self, line: Line) -> bool:
        """Consume a table-of-contents line; False when the body has begun."""
        chapter = P.CHAPTER.match(line.folded)
        if chapter and chapter.group(2) in "編章":
            number = to_int(chapter.group(1))
            if self.toc_chapters and number <= max(self.toc_chapters):
                self.mode = "body"
                return False
            self.toc_chapters.append(number)
        elif not (chapter or P.SUPPL.match(line.folded) or re.search(r"[条号]\)?$", line.folded)) or (
            P.ARTICLE.match(line.folded) and "。" in line.folded
        ):
            self.mode = "body"
            return False
        self.reg.toc.append(line.content)
        self.emit("toc", line.content)
        return True

    # -- structure -------------------------------------------------------------------------------
    def start_chapter(self, line: Line, match: re.Match[str]) -> None:
        self.mode = "body"
        kind = match.group(2)
        title = match.group(3).strip()
        if kind in "編章":
            self.chapter, self.section = title, None
        else:
            self.section = title
        self.reg.chapters.append(
            {"kind": kind, "number": to_int(match.group(1)), "title": title, "line": line.no}
        )
        self.emit("chapter", line.content)

    def start_article(self, line: Line, match: re.Match[str]) -> None:
        self.mode = "body"
        number = article_number(match.group(1), match.group(2))
        self.last_article = number
        rest = (match.group(3) or "").strip()
        marker_len = len(line.folded) - len(match.group(3) or "") if match.group(3) else len(line.folded)
        marker = line.content[:marker_len].strip()
        article = Unit(doc=self.reg.id, kind="article", article=article_id(number), marker=marker)
        if self.pending_heading:
            article.heading = self.pending_heading[0]
            self.pending_heading = None
        self.article = self.add(article, line)
        self.emit(article.key, marker)
        if self.youryou and rest and "。" not in rest and len(rest) <= 30 and article.heading is None:
            article.heading = rest
            self.emit(article.key, rest)
            rest = ""
        self.paragraph = self.add(
            Unit(doc=self.reg.id, kind="paragraph", article=article.article, paragraph=1), line
        )
        self.item = None
        self.lost_markers = False
        self.current = self.paragraph
        if rest:
            self.append_text(self.paragraph, line.content[len(line.content) - len(rest) :], line)

    def start_suppl(self, line: Line, heading: str | None, marker: bool) -> None:
        self.mode = "suppl"
        self.suppl_count += 1
        unit = Unit(doc=self.reg.id, kind="suppl", number=self.suppl_count, marker="附則" if marker else "")
        if marker:
            self.emit(unit.key, line.content)
            if heading:
                unit.heading = line.content[line.folded.index("(") + 1 : line.folded.rindex(")")].strip()
        else:
            unit.heading = heading
        self.current = self.add(unit, line)
        self.article = self.paragraph = self.item = None
        if unit.heading:
            unit.date = era_date(unit.heading)

    def suppl_line(self, line: Line) -> None:
        unit = self.current
        paren = P.WHOLE_PAREN.match(line.folded)
        if paren and (unit.text or unit.heading) and P.INSTRUMENT.search(line.folded):
            self.start_suppl(line, line.content[1:-1].strip(), marker=False)
            self.emit(self.current.key, line.content)
            return
        if paren and not unit.heading and not unit.text:
            unit.heading = line.content[1:-1].strip()
            self.emit(unit.key, line.content)
            unit.date = era_date(unit.heading)
            return
        self.append_text(unit, line.content, line, sep="" if ends_open(unit.text) else "\n")
        if unit.date is None:
            unit.date = era_date(line.content)

    def start_form(self, line: Line, match: re.Match[str]) -> None:
        self.mode = "form"
        number = to_int(match.group(1))
        marker = line.content[: len(line.content) - len(match.group(2))].strip()
        unit = Unit(doc=self.reg.id, kind="form", number=number, marker=marker)
        self.add(unit, line)
        self.emit(unit.key, marker)
        self.article = self.paragraph = self.item = None
        self.current = unit
        rest = line.content[len(line.content) - len(match.group(2)) :].strip()
        if rest:
            self.append_text(unit, rest, line)

    # -- inside an article -------------------------------------------------------------------------
    def body_line(self, line: Line) -> None:
        if self.article is None:
            # Text between chapters/TOC and the first article: keep it, as preamble of the body.
            self.reg.preamble.append(line.content)
            self.emit("preamble", line.content)
            return
        folded = line.folded
        previous = self.current.text if self.current else ""
        paren = P.WHOLE_PAREN.match(folded)
        if paren and P.NOTE.search(paren.group(1)) and len(paren.group(1)) <= 40:
            self.article.notes.append(line.content)
            self.emit(self.article.key, line.content)
            return
        if not ends_open(previous) and P.ENFORCEMENT.match(folded):
            self.start_suppl(line, None, marker=False)
            self.suppl_line(line)
            return
        if self.try_paragraph(line) or self.try_item(line) or self.try_subitem(line):
            return
        if ends_open(previous) and not (self.lost_markers and line.indented):
            self.append_text(self.current, line.content, line)  # a line broken mid-sentence
            return
        self.unmarked_line(line)

    def try_paragraph(self, line: Line) -> bool:
        match = P.PARAGRAPH.match(line.folded)
        if not match or P.COUNTER_AFTER_NUMBER.match(line.folded):
            return False
        number = int(match.group(1))
        current = self.paragraph.paragraph if self.paragraph else 0
        marker = line.content[: len(match.group(1))]
        text = line.content[len(line.content) - len(match.group(2)) :]
        if number == 1 and current == 1 and not self.paragraph.text and self.item is None:
            self.paragraph.marker = marker
            self.emit(self.paragraph.key, marker)
            self.append_text(self.paragraph, text, line)
            return True
        if not current < number <= current + 9:
            return False
        unit = Unit(
            doc=self.reg.id, kind="paragraph", article=self.article.article, paragraph=number, marker=marker
        )
        self.paragraph = self.add(unit, line)
        self.item = None
        self.lost_markers = False
        self.emit(unit.key, marker)
        self.append_text(unit, text, line)
        return True

    def try_item(self, line: Line) -> bool:
        match = P.ITEM.match(line.folded)
        if not match:
            match = P.ITEM_BARE.match(line.folded)
            if not match or self.paragraph is None or not self._next_item(to_int(match.group(1))):
                return False
        item_id = str(to_int(match.group(1)))
        marker = line.content[: len(line.content) - len(match.group(2))].strip()
        unit = Unit(
            doc=self.reg.id,
            kind="item",
            article=self.article.article,
            paragraph=self.paragraph.paragraph,
            item=item_id,
            marker=marker,
        )
        if self.reg.get(unit.key) is not None:
            return False
        self.item = self.add(unit, line)
        self.lost_markers = False
        self.emit(unit.key, marker)
        self.current = unit
        if match.group(2):
            self.append_text(unit, line.content[len(line.content) - len(match.group(2)) :], line)
        return True

    def _next_item(self, number: int) -> bool:
        """Whether ``number`` continues the current paragraph's items (1 when it has none yet)."""
        current = int(self.item.item) if self.item is not None and self.item.item.isdigit() else 0
        return number == current + 1

    def try_subitem(self, line: Line) -> bool:
        if self.item is None:
            return False
        for pattern in P.SUBITEM:
            match = pattern.match(line.folded)
            if match:
                sub_id = fold(match.group(1))
                text = line.content[len(line.content) - len(match.group(2)) :] if match.group(2) else ""
                marker = line.content[: len(line.content) - len(text)].strip()
                self.add_subitem(line, sub_id, marker, text)
                return True
        return False

    def add_subitem(self, line: Line, sub_id: str, marker: str, text: str) -> None:
        if self.reg.get(f"{self.item.key}:{sub_id}") is not None:  # a repeated marker: keep it as text
            self.append_text(self.current, line.content, line, sep="\n")
            return
        unit = Unit(
            doc=self.reg.id,
            kind="subitem",
            article=self.article.article,
            paragraph=self.paragraph.paragraph,
            item=self.item.item,
            subitem=sub_id,
            marker=marker,
        )
        self.add(unit, line)
        self.emit(unit.key, marker)
        self.current = unit
        if text:
            self.append_text(unit, text, line)

    def unmarked_line(self, line: Line) -> None:
        """A line without a marker after a finished sentence: a list entry that lost its marker, or
        one more sentence of the current clause."""
        intro = self.current is not None and P.LIST_INTRO.search(self.current.text or "")
        if self.lost_markers or (intro and self.current.kind in {"item", "paragraph"}):
            if self.item is None or (intro and self.current.kind == "paragraph"):
                # A paragraph's items lost their markers: number them by position.
                position = sum(
                    1
                    for u in self.reg.units
                    if u.kind == "item" and u.key.startswith(self.paragraph.key + ":")
                )
                unit = Unit(
                    doc=self.reg.id,
                    kind="item",
                    article=self.article.article,
                    paragraph=self.paragraph.paragraph,
                    item=str(position + 1),
                )
                self.item = self.add(unit, line)
                self.append_text(unit, line.content, line)
            else:
                position = len(self.reg.children(self.item))
                self.add_subitem(line, str(position + 1), "", line.content)
            self.lost_markers = True
            return
        self.append_text(self.current, line.content, line)


def parse_text(
    text: str,
    doc_id: str = "doc",
    title: str | None = None,
    meta: dict | None = None,
    first_line: int = 1,
    source: str = "<text>",
) -> Regulation:
    """Parse a regulation body (no front matter) into a Regulation.

    Raises CorpusParseError naming the line when the text is empty or holds no article.
    """
    lines = split_lines(text, first_line)
    if not lines:
        raise CorpusParseError(
            first_line, "the text is empty; expected a regulation with 第N条 articles", source
        )
    reg = Regulation(
        id=doc_id, title=title or lines[0].content.lstrip("○◯").strip(), meta=dict(meta or {}), source=source
    )
    parser = _Parser(lines, reg)
    parser.run()
    reg.index()
    if not reg.articles():
        raise CorpusParseError(
            lines[0].no,
            "no article found (expected lines such as '第1条 …' or '第1 趣旨'); "
            f"first line reads {lines[0].content[:30]!r}",
            source,
        )
    last = next((u for u in reversed(reg.units) if u.kind in {"paragraph", "item", "subitem"}), None)
    if last is not None and last.text and ends_open(last.text) and last.kind == "paragraph":
        reg.warnings.append(f"line {last.lines[1]}: {last.key} ends mid-sentence; the text may be cut off")
    attach_references(reg)
    return reg
