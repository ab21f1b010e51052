"""Cross-references inside clause texts (前項, 第5条第2項, 前各号, 番号法第19条 …), resolved to clause keys.

Every regulation is read once, at the end of ``parse_text``: each unit's ``references`` lists the spans of
its own ``text`` that cite a clause, with the clause keys they point to. The rules, in Japanese drafting
terms, are those of a careful reader of municipal regulations:

- 前条/次条, 前項/次項, 前号/次号 count in document order from the clause that holds the text
  (a skipped paragraph number in the text does not make 前項 point at nothing). 本条/本項/本号 are the clause
  itself. 前N条/前N項/前N号 are the N before it; 前各項 all paragraphs before it.
- 第N項 without an article is a paragraph of the same article, 第N号 an item of the same paragraph — unless it
  continues a citation: 「第5条第1項及び第2項」, 「法第69条第2項第3号及び第4号」, 「第11条（第1項…を除く。）」
  read the article (and paragraph) from the citation before it, and 「第3条から第7条の2まで」 or
  「前条第1項から第5項まで」 are every clause in between, in document order.
- 同条/同項/同号 are the article/paragraph/item cited last in the same text, which may be another
  instrument's (「法第68条第1項 … 同条第2項」); with none cited before, the clause itself.
- 前各号 in an item is the items of its paragraph before it (「前各号に掲げるもののほか」 in a catch-all last
  item); in a paragraph's own text, the items printed just before that text, i.e. those of the nearest
  earlier paragraph of the article that has items, else the paragraph's own items. 次の各号 (and 当該各号)
  in a paragraph's lead sentence is its own items. 「第N項各号」 is the items of that paragraph.
- A citation written after an instrument's name is that instrument's, never this regulation's:
  法第19条, 番号法第19条, 施行令第3条, 条例第5条, 要綱（…制定。以下「要綱」という。）第9条, 会社法（…）第2条,
  同法第51条. So is a bare 第N条 listed with one (「法第5条及び第6条」), one parallel to one
  (「A規則第7条に規定する課、第8条に規定する会計課」) and one inside quotation marks after one. The
  instrument keeps its name as written, plus the full name when the regulation defines the short one.
- 様式第N号 is the form unit ``doc:form-N``; 別表 has no unit and is kept with kind "table".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from corpus import patterns as P
from corpus.instruments import INSTRUMENT_END, OWN, SAME, Names, citation_start, name_before
from corpus.labels import clause_label
from corpus.model import Regulation, Unit, clause_text
from corpus.numbers import fold, to_int

if TYPE_CHECKING:
    from corpus.loader import Corpus

RefKind = Literal["internal", "external", "unresolved", "table"]


@dataclass(frozen=True)
class CrossRef:
    """One citation inside a clause's text.

    ``text`` is the span as written and ``text == unit.text[start:end]``; ``keys`` are existing clause keys
    of the same regulation (empty for other instruments, 別表 and citations that name no existing clause).
    """

    text: str
    start: int
    end: int
    keys: tuple[str, ...] = ()
    kind: RefKind = "internal"
    label: str = ""  # 第23条第1項, 第3条から第7条の2まで, 番号法第19条, 別表
    instrument: str | None = None  # another instrument's name as written (番号法, 法, 郡山市部設置条例); 同法: the name
    instrument_full: str | None = None  # its full name when the regulation defines ``instrument`` as short
    source: str = ""  # key of the unit whose text holds the span

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "keys": list(self.keys)}


_S = r"\s*"
_N = P.NUM
_TOKEN = (
    rf"(?P<form>様式{_S}第{_S}(?P<fn>{_N}){_S}号|第{_S}(?P<fn2>{_N}){_S}号{_S}様式)"
    rf"|(?P<table>別表(?:{_S}第{_S}(?P<tn>{_N}))?)"
    rf"|(?P<each>前各号|次の各号|次各号|当該各号|前各項)"
    rf"|(?P<suppl>附{_S}則{_S})?(?:"
    rf"(?:第{_S}(?P<an>{_N}){_S}条(?P<ab>(?:{_S}の{_S}{_N})*)|(?P<ar>[前次同本])条(?!例)|前{_S}(?P<ac>{_N}){_S}条)"
    rf"(?:{_S}第{_S}(?P<pn>{_N}){_S}項)?(?:{_S}第{_S}(?P<in>{_N}){_S}号)?"
    rf"|(?:第{_S}(?P<pn2>{_N}){_S}項|(?P<pr>[前次同本])項(?!目)|前{_S}(?P<pc>{_N}){_S}項)"
    rf"(?:{_S}第{_S}(?P<in2>{_N}){_S}号)?"
    rf"|(?:第{_S}(?P<in3>{_N}){_S}号|(?P<ir>[前次同本])号|前{_S}(?P<ic>{_N}){_S}号)"
    rf")(?P<all>{_S}各号)?"
)
# 要領 style cites its own parts without 条: 「第4の申請」「様式第1号（第4関係）」.
_YOURYOU = (
    rf"|(?P<yy>第{_S}(?P<yn>{_N})(?P<yb>(?:{_S}の{_S}{_N})*))"
    rf"(?={_S}(?:の|に|を|で|及|又|並|若|、|，|から|まで|[(（]|関係|は|が|と))"
)
_CITATION = re.compile(_TOKEN)
_CITATION_YOURYOU = re.compile(_TOKEN + _YOURYOU)
# Where a citation can start; the full pattern is tried only there (本人, 当該, 次に, 以前 … are skipped fast).
_START = re.compile(
    rf"第|前(?:[条項号各]|\s*{_N}\s*[条項号])|次(?:[条項号]|の?各号)|同[条項号法令規要基訓告]|本[条項号]"
    r"|当該各号|別表|様式|附\s*則"
)
# 「平成25年法律第27号」「郡山市規則第29号」: an instrument's number, not an item.
_NUMBERED = re.compile(r"(?:法律|政令|省令|府令|条例|規則|訓令|告示|規程|要綱|要領|基準|達|令)\s*$")
# What joins a citation to the one before it: a list, a bracket, or a range.
_LINK = re.compile(r"\s*(?:(?P<list>及び|又は|並びに|若しくは|、|，|,|・)|(?P<paren>[(（])|(?P<range>から))\s*")
_UNTIL = re.compile(r"\s*まで")
# The last character of an instrument's name (or of its citation brackets), checked before anything slower.
_NAME_LAST = frozenset("法律令例則程綱領準針ンー示約)）")
# 方法第1号 is not a law: words that end like an instrument's name but are not one.
_NOT_INSTRUMENT = re.compile(r"(?:方法|手法|用法|違法|合法|不法|寸法|作法|文法|技法|工法|法令|命令|指令)$")
# 「A規則第7条に規定する課、第8条に規定する会計課」: the same verb after two citations in a row.
_PARALLEL = re.compile(
    r"(に規定する|に定める|に掲げる|の規定による|の規定により)[^、。「」()（）]{0,20}(?:、|及び|又は|並びに|若しくは)"
)


@dataclass(slots=True)
class _Target:
    """A clause a citation names: this regulation's when ``instrument`` is None."""

    instrument: str | None = None
    article: str | None = None
    paragraph: int | None = None
    item: str | None = None
    suppl: bool = False  # 附則第N条 …


def _int(number: str) -> int:
    return int(number) if number.isascii() and number.isdigit() else to_int(number)


def _article(number: str, branches: str) -> str:
    if not branches:
        return str(_int(number))
    return "_".join([str(_int(number)), *(str(_int(b)) for b in P.BRANCH.findall(branches))])


def _written(target: _Target, jo: bool = True) -> str:
    """第29条の2第1項第3号 for a target (第4の2 … in the 要領 style, which has no 条)."""
    number, *branches = (target.article or "").split("_")
    text = "附則" if target.suppl else ""
    if number:
        text += f"第{number}" + ("条" if jo else "") + "".join(f"の{b}" for b in branches)
    if target.paragraph is not None:
        text += f"第{target.paragraph}項"
    if target.item is not None:
        text += f"第{target.item}号"
    return text


def _span(first: str, last: str, count: int) -> str:
    """One label for ``count`` clauses from ``first`` to ``last``: 第21条第1項及び第2項,
    第4条第1号から第6号まで (the last label drops the parts it shares with the first)."""
    if count == 1:
        return first
    if first.startswith("第") and last.startswith("第"):
        a, b = re.findall(r"第[^第]*", first), re.findall(r"第[^第]*", last)
        shared = 0
        while shared < min(len(a), len(b)) - 1 and a[shared] == b[shared]:
            shared += 1
        last = "".join(b[shared:])
    return f"{first}及び{last}" if count == 2 else f"{first}から{last}まで"


class _Outline:
    """This regulation's clauses by position, to count 前項/次条 and expand ranges quickly."""

    def __init__(self, reg: Regulation) -> None:
        self.reg = reg
        self.articles: list[str] = []
        self.order: dict[str, tuple[int, ...]] = {}
        self.paragraphs: dict[str, list[int]] = {}
        self.items: dict[tuple[str, int], list[str]] = {}
        self.subitems: dict[tuple[str, int, str], list[str]] = {}
        for unit in reg.units:
            if unit.kind == "article":
                self.articles.append(unit.article)
                self.order[unit.article] = tuple(int(n) for n in unit.article.split("_"))
                self.paragraphs[unit.article] = []
            elif unit.kind == "paragraph":
                self.paragraphs[unit.article].append(unit.paragraph)
                self.items[(unit.article, unit.paragraph)] = []
            elif unit.kind == "item":
                self.items[(unit.article, unit.paragraph)].append(unit.item)
                self.subitems[(unit.article, unit.paragraph, unit.item)] = []
            elif unit.kind == "subitem":
                self.subitems[(unit.article, unit.paragraph, unit.item)].append(unit.subitem)
        self._labels: dict[str, str] = {}

    def key(self, target: _Target) -> str | None:
        """The existing clause key of one of this regulation's clauses, else None."""
        if target.instrument is not None or target.suppl or target.article not in self.paragraphs:
            return None
        parts = [target.article]
        paragraph = target.paragraph
        if target.item is not None and paragraph is None:
            paragraph = 1  # 第3条第2号: an item of a single-paragraph article
        if paragraph is not None:
            if paragraph not in self.paragraphs[target.article]:
                return None
            parts.append(str(paragraph))
        if target.item is not None:
            if target.item not in self.items.get((target.article, paragraph), ()):
                return None
            parts.append(target.item)
        return f"{self.reg.id}:" + ":".join(parts)

    def keys(self, *path: object, parts: Iterable[object]) -> tuple[str, ...]:
        """Keys of ``parts`` under ``path``: keys(parts=articles), keys("5", parts=paragraphs) …"""
        prefix = ":".join([self.reg.id, *(str(p) for p in path)])
        return tuple(f"{prefix}:{p}" for p in parts)

    def label(self, key: str) -> str:
        if key not in self._labels:
            self._labels[key] = clause_label(self, self.reg.get(key))  # type: ignore[arg-type]
        return self._labels[key]

    def labels(self, keys: tuple[str, ...]) -> str:
        return _span(self.label(keys[0]), self.label(keys[-1]), len(keys))

    # What ``clause_label`` asks of a regulation, answered without counting every unit again.
    @property
    def units(self) -> list[Unit]:
        return self.reg.units

    def paragraph_count(self, article: str) -> int:
        return len(self.paragraphs.get(article, ()))


def _step(seq: list, current: Any, step: int) -> Any:
    """The element ``step`` places from ``current`` (前: -1, 次: 1, 本: 0), or None."""
    if current not in seq:
        return None
    index = seq.index(current) + step
    return seq[index] if 0 <= index < len(seq) else None


def _before(seq: list, current: Any, count: int | None = None) -> list:
    """The ``count`` elements before ``current`` (all of them when count is None)."""
    if current not in seq:
        return []
    index = seq.index(current)
    return seq[max(0, index - count) if count else 0 : index]


_STEP = {"前": -1, "次": 1, "本": 0}


class _Reader:
    """Reads the citations of one unit's text left to right, remembering what was cited last."""

    def __init__(self, outline: _Outline, names: Names, unit: Unit, folded: str) -> None:
        self.outline, self.names, self.unit = outline, names, unit
        self.source, self.jo = unit.key, unit.style != "youryou"
        self.text, self.folded = unit.text, folded
        self.here = _Target(None, unit.article, unit.paragraph, unit.item) if unit.article else None
        self.refs: list[CrossRef] = []
        self.prev: _Target | None = None  # what the citation just before this one named
        self.prev_end = 0
        self.last: dict[str, _Target] = {}  # article/paragraph/item cited last (for 同条/同項/同号)
        self.external: tuple[_Target, int] | None = None  # another instrument's clause cited last, and where
        self.instrument: str | None = None  # the instrument named last (for 同法)
        self.position = 0  # where the citation being read starts
        self.name_start: int | None = None  # where the instrument's name written with it starts

    def read(self) -> list[CrossRef]:
        pattern = _CITATION if self.jo else _CITATION_YOURYOU
        folded, end = self.folded, 0
        # finditer, but tried only where a citation can start (several times faster on these texts)
        for start in _START.finditer(folded):
            if start.start() < end:
                continue
            match = pattern.match(folded, start.start())
            if match is None:
                continue
            end = match.end()
            if match.group("in3") and _NUMBERED.search(folded, max(0, match.start() - 6), match.start()):
                continue
            self.citation(match)
        return self.refs

    # -- one citation -------------------------------------------------------------------------------
    def citation(self, m: re.Match[str]) -> None:
        self.position, self.name_start = m.start(), None
        joined = _LINK.fullmatch(self.folded, self.prev_end, m.start()) if self.prev else None
        link = joined.lastgroup if joined else None
        if link == "range" and not _UNTIL.match(self.folded, m.end()):
            link = None
        if m.group("form"):
            self.form(m)
        elif m.group("table"):
            self.table(m)
        elif m.group("each"):
            self.each(m)
        else:
            target, keys = self.head(m, link)
            if target is not None:  # cite and range remember it for the citation after
                if not (link == "range" and self.range(m, target)):
                    start = m.start() if self.name_start is None else self.name_start
                    self.cite(start, m.end(), target, bool(m.group("all")))
                return
            if keys:  # 前2項, 前3条 …: several of this regulation's clauses
                self.add(m.start(), m.end(), keys, self.outline.labels(keys))
            else:
                self.add(m.start(), m.end(), (), re.sub(r"\s+", "", m.group(0)), kind="unresolved")
        self.prev = None

    def head(self, m: re.Match[str], link: str | None) -> tuple[_Target | None, tuple[str, ...]]:
        """The clause the citation's first part names (with its 項/号 parts applied), or several keys."""
        g = m.groupdict().get
        here, o = self.here, self.outline
        if g("an") or g("yn"):
            article = _article(g("an"), g("ab")) if g("an") else _article(g("yn"), g("yb"))
            target = _Target(self.instrument_at(m.start(), m.end(), link) or None, article, suppl=bool(g("suppl")))
        elif g("ar") == "同":
            last = self.last.get("article") or here or _Target()
            target = _Target(last.instrument, last.article, suppl=last.suppl)
        elif g("pr") == "同":
            last = self.last.get("paragraph") or here or _Target()
            target = _Target(last.instrument, last.article, last.paragraph, suppl=last.suppl)
        elif g("ir") == "同":
            last = self.last.get("item") or here or _Target()
            target = _Target(last.instrument, last.article, last.paragraph, last.item, last.suppl)
        elif g("pn2") or g("in3"):
            target = self.inherit(link, "paragraph" if g("pn2") else "item")
            if target is None:
                return None, ()
            if g("pn2"):
                target.paragraph = _int(g("pn2"))
            else:
                target.item = str(_int(g("in3")))
        elif here is None:
            return None, ()
        elif g("ar"):
            target = _Target(None, _step(o.articles, here.article, _STEP[g("ar")]))
        elif g("ac"):
            return None, o.keys(parts=_before(o.articles, here.article, _int(g("ac"))))
        elif here.paragraph is None:
            return None, ()
        elif g("pr"):
            paragraphs = o.paragraphs.get(here.article, [])
            target = _Target(None, here.article, _step(paragraphs, here.paragraph, _STEP[g("pr")]))
            if target.paragraph is None:
                return None, ()
        elif g("pc"):
            paragraphs = _before(o.paragraphs.get(here.article, []), here.paragraph, _int(g("pc")))
            return None, o.keys(here.article, parts=paragraphs)
        else:
            items = o.items.get((here.article, here.paragraph), [])
            if here.item is None:
                return None, ()
            if g("ic"):
                return None, o.keys(here.article, here.paragraph, parts=_before(items, here.item, _int(g("ic"))))
            target = _Target(None, here.article, here.paragraph, _step(items, here.item, _STEP[g("ir")]))
            if target.item is None:
                return None, ()
        if target.article is None:
            return None, ()
        if g("pn"):
            target.paragraph, target.item = _int(g("pn")), None
        if g("in") or g("in2"):
            target.item = str(_int(g("in") or g("in2")))
        return target, ()

    def inherit(self, link: str | None, level: str) -> _Target | None:
        """Whose article (and, for 第N号, paragraph) a bare 第N項 or 第N号 belongs to: the citation it
        continues, the other instrument quoted around it, or else the clause that holds the text."""
        prev, here = self.prev, self.here
        item = level == "item"
        if (
            prev is not None
            and prev.article is not None
            and (link == "paren" or (link in ("list", "range") and getattr(prev, level) is not None))
        ):
            return _Target(prev.instrument, prev.article, prev.paragraph if item else None, suppl=prev.suppl)
        quoted = self.quoted_external()
        if quoted is not None:
            return _Target(quoted.instrument, quoted.article, quoted.paragraph if item else None)
        if here is None or (item and here.paragraph is None):
            return None
        return _Target(None, here.article, here.paragraph if item else None)

    def instrument_at(self, start: int, end: int, link: str | None) -> str:
        """The other instrument the 第N条 (別表) at ``start:end`` belongs to; "" for this regulation."""
        folded = self.folded
        before = folded[start - 1] if start else ""
        name_end = citation_start(folded, start) if before in _NAME_LAST or before.isspace() else 0
        if (
            name_end > 0
            and INSTRUMENT_END.search(folded, max(0, name_end - 6), name_end)
            and not _NOT_INSTRUMENT.search(folded, max(0, name_end - 6), name_end)
        ):
            name = name_before(folded, start, self.names)
            if OWN.match(name):
                return ""
            if name:
                written = self.text[name_end - len(name) : name_end]
                if name_end == start:  # 番号法第19条: the span takes the name written with it
                    self.name_start = name_end - len(name)
                if SAME.match(name) and self.instrument:
                    written = self.instrument  # 同法第51条
                self.instrument = written
                return written
        prev = self.prev
        if prev is not None and prev.instrument and link in ("list", "range"):
            return prev.instrument  # 法第5条及び第6条
        if self.external is not None:
            ext, ext_end = self.external
            parallel = _PARALLEL.fullmatch(folded, ext_end, start) if prev is ext else None
            if parallel and folded[end:].lstrip().startswith(parallel.group(1)):
                return ext.instrument  # A規則第7条に規定する課、第8条に規定する会計課
            quoted = self.quoted_external()
            if quoted is not None:
                return quoted.instrument
        return ""

    def quoted_external(self) -> _Target | None:
        """The other instrument's clause cited just before a 「 that the current citation is inside of,
        in the same sentence: 「法第2条に規定する「第7条の規定による通知」」."""
        if self.external is None:
            return None
        ext, ext_end = self.external
        between = self.folded[ext_end : self.position]
        opened = between.count("「") > between.count("」")
        return ext if opened and "。" not in between.split("「")[0] else None

    # -- kinds of citation --------------------------------------------------------------------------
    def cite(self, start: int, end: int, target: _Target, each: bool) -> None:
        suffix = "各号" if each else ""
        if target.instrument is not None:
            label = target.instrument + _written(target) + suffix
            full = self.names.full.get(target.instrument)
            self.add(start, end, (), label, kind="external", instrument=target.instrument, full=full)
        elif (key := self.outline.key(target)) is None:
            self.add(start, end, (), _written(target, self.jo) + suffix, kind="unresolved")
        elif each:  # 前条第2項各号: the items of that paragraph
            paragraph = target.paragraph or 1
            items = self.outline.items.get((target.article, paragraph), [])
            keys = self.outline.keys(target.article, paragraph, parts=items) or (key,)
            self.add(start, end, keys, self.outline.label(key) + suffix)
        else:
            self.add(start, end, (key,), self.outline.label(key))
        self.remember(target, end)

    def range(self, m: re.Match[str], target: _Target) -> bool:
        """Merge 「第3条から第7条の2まで」 with the citation before into one of every clause in between."""
        first, prev = self.refs[-1], self.prev
        if prev is None or (target.instrument, target.suppl) != (prev.instrument, prev.suppl):
            return False
        end = _UNTIL.match(self.folded, m.end()).end()
        text = self.text[first.start : end]
        if target.instrument is not None:
            label = target.instrument + _span(_written(prev), _written(target), 3)
            self.refs[-1] = replace(first, text=text, end=end, label=label)
        else:
            keys = self.between(prev, target)
            if not keys:
                return False
            self.refs[-1] = replace(first, text=text, end=end, keys=keys, kind="internal",
                                    label=self.outline.labels(keys))
        self.remember(target, end)
        return True

    def between(self, a: _Target, b: _Target) -> tuple[str, ...]:
        """Every clause from ``a`` to ``b`` at the same level, in document order; () when they differ."""
        o = self.outline
        if o.key(a) is None or o.key(b) is None or (a.paragraph is None) != (b.paragraph is None):
            return ()
        if a.paragraph is None and a.item is None and b.item is None:
            lo, hi = o.order[a.article], o.order[b.article]
            return o.keys(parts=[x for x in o.articles if lo <= o.order[x] <= hi])
        if a.article != b.article:
            return ()
        if a.item is None and b.item is None:
            paragraphs = [p for p in o.paragraphs[a.article] if a.paragraph <= p <= b.paragraph]
            return o.keys(a.article, parts=paragraphs)
        paragraph = a.paragraph or 1
        items = o.items.get((a.article, paragraph), [])
        if a.paragraph == b.paragraph and a.item in items and b.item in items:
            return o.keys(a.article, paragraph, parts=items[items.index(a.item) : items.index(b.item) + 1])
        return ()

    def form(self, m: re.Match[str]) -> None:
        number = _int(m.group("fn") or m.group("fn2"))
        key = f"{self.outline.reg.id}:form-{number}"
        found = self.outline.reg.get(key) is not None
        self.add(m.start(), m.end(), (key,) if found else (), f"様式第{number}号")

    def table(self, m: re.Match[str]) -> None:
        written = "別表" + (f"第{_int(m.group('tn'))}" if m.group("tn") else "")
        instrument = self.instrument_at(m.start(), m.end(), None)
        if instrument:
            start = m.start() if self.name_start is None else self.name_start
            full = self.names.full.get(instrument)
            self.add(start, m.end(), (), instrument + written, kind="external", instrument=instrument, full=full)
        else:
            self.add(m.start(), m.end(), (), written, kind="table")

    def each(self, m: re.Match[str]) -> None:
        """前各号, 次の各号, 当該各号, 前各項 (the rules are in the module docstring)."""
        word, here, o = m.group("each"), self.here, self.outline
        keys: tuple[str, ...] = ()
        if here is not None and here.paragraph is not None:
            article, paragraph = here.article, here.paragraph
            own = o.items.get((article, paragraph), [])
            if word == "前各項":
                keys = o.keys(article, parts=_before(o.paragraphs[article], paragraph))
            elif word == "前各号" and here.item is not None:
                keys = o.keys(article, paragraph, parts=_before(own, here.item))
            elif word == "前各号":
                earlier = [p for p in _before(o.paragraphs[article], paragraph) if o.items.get((article, p))]
                source = earlier[-1] if earlier else paragraph
                keys = o.keys(article, source, parts=o.items.get((article, source), []))
            elif here.item is None:  # 次の各号 / 当該各号 in a paragraph's lead sentence
                keys = o.keys(article, paragraph, parts=own)
            else:  # … in an item: its sub-items
                keys = o.keys(article, paragraph, here.item, parts=o.subitems.get((article, paragraph, here.item), []))
        if keys:
            self.add(m.start(), m.end(), keys, o.labels(keys))
        else:
            self.add(m.start(), m.end(), (), word, kind="unresolved")

    # -- bookkeeping ---------------------------------------------------------------------------------
    def add(self, start: int, end: int, keys: tuple[str, ...], label: str, kind: RefKind = "internal",
            instrument: str | None = None, full: str | None = None) -> None:
        if kind == "internal" and not keys:
            kind = "unresolved"
        self.refs.append(CrossRef(self.text[start:end], start, end, keys, kind, label, instrument, full, self.source))
        self.prev_end = end

    def remember(self, target: _Target, end: int) -> None:
        self.prev, self.prev_end = target, end
        if target.article is not None:
            self.last["article"] = target
        if target.paragraph is not None:
            self.last["paragraph"] = target
        if target.item is not None:
            self.last["item"] = target
        if target.instrument is not None:
            self.external = (target, end)
            self.instrument = target.instrument


def attach_references(reg: Regulation) -> None:
    """Read every unit's citations once; called when a regulation has been parsed."""
    # Only texts that may cite something or define an instrument's short name are read at all.
    texts = [(unit, _fold(unit.text)) for unit in reg.units if _WORTH_READING.search(unit.text)]
    names = Names.collect([text for _, text in texts])
    outline = _Outline(reg)
    for unit in reg.units:
        unit.references = []
    for unit, text in texts:
        if _START.search(text):
            unit.references = _Reader(outline, names, unit, text).read()


_WORTH_READING = re.compile("[第前次同本当別様附]|以下|をいう")
_WIDE = re.compile("[０-９（）　．－]")  # what corpus.numbers.fold maps


def _fold(text: str) -> str:
    return fold(text) if _WIDE.search(text) else text


def references_in(reg: Regulation, unit: Unit) -> list[CrossRef]:
    """The citations of a clause and its items and sub-items, as a citation of it shows them.

    ``start``/``end`` are offsets in ``clause_text(reg, unit)`` (each ``text`` is a substring of it);
    ``source`` says which unit's text holds the span.
    """
    full = clause_text(reg, unit)
    found: list[CrossRef] = []
    cursor = 0
    for part in [unit, *reg.descendants(unit)]:
        if not part.text or not part.references:
            continue
        offset = full.find(part.text, cursor)
        if offset < 0:
            continue
        cursor = offset + len(part.text)
        found += [replace(r, start=r.start + offset, end=r.end + offset) for r in part.references]
    return found


def describe(corpus_or_reg: Corpus | Regulation, ref: CrossRef) -> str:
    """A short Japanese gloss: 前項（第23条第1項）, 番号法第19条（他の法令）, 同条第2項（法第68条第2項、他の法令）,
    法第2条第5項（他の法令: 行政手続における…に関する法律）, 別表（別表は未収録）."""
    shown = re.sub(r"\s+", "", ref.text)
    if ref.kind == "internal":
        if any(corpus_or_reg.get(key) is None for key in ref.keys):
            return f"{shown}（該当する条項なし）"
        return ref.label if shown == ref.label else f"{shown}（{ref.label}）"
    if ref.kind == "external":
        other = f"他の法令: {ref.instrument_full}" if ref.instrument_full else "他の法令"
        return f"{shown}（{other}）" if shown == ref.label else f"{shown}（{ref.label}、{other}）"
    if ref.kind == "table":
        return f"{shown}（別表は未収録）"
    return f"{shown}（該当する条項なし）"
