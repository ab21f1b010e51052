"""Names of other instruments (法律, 条例, 規則, 要綱 …) as a regulation writes them before 第N条.

A regulation cites another instrument by name, often with its number in brackets, and usually
defines a short name for it once: 「行政手続における…に関する法律（平成25年法律第27号。以下「番号法」
という。）」, or a definition item 「法 個人情報の保護に関する法律をいう。」. ``Names`` collects those
definitions for one regulation; ``name_before`` reads the name written just before a citation.
All functions work on width-folded text (``corpus.numbers.fold``), whose offsets match the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.patterns import NUM

# What an instrument's name ends with. "法" and "令" also cover 番号法, 施行令, 政令, 訓令 ….
INSTRUMENT_END = re.compile(
    r"(?:法律|法|令|条例|規則|規程|要綱|要領|基準|方針|指針|ガイドライン|ポリシー|告示|規約|条約|細則)$"
)
# The regulation naming itself: この基準第3条 is its own article.
OWN = re.compile(r"^(?:この|本)(?:基準|規程|訓令|要綱|要領|規則|条例|告示|方針|指針|要項|規定)$")
# 同法, 同条例, 同規則 …: the instrument named last.
SAME = re.compile(r"^同(?:法|令|条例|規則|規程|要綱|要領|基準|訓令|告示)$")

# Where a name can stop: punctuation, quotation marks, spaces and brackets.
_MARKS = re.compile(r"[、。，,「」『』\n\t :：;；()（）]")
_CONNECTORS = re.compile(r"及び|又は|並びに|若しくは")
# A bracket after a name that gives its number or date, or defines a short name:
# （平成25年法律第27号。以下「番号法」という。）, （令和4年4月1日制定）, （以下「要綱」という。）.
_CITATION = re.compile(r"[0-9]+\s*年|[元]年|第\s*[0-9]+\s*号|制定|以下\s*「")
_SHORT_NAME = re.compile(r"[(（]([^()（）]*?)以下\s*「([^」]{1,30})」\s*という。?[)）]")
# Definitions of a short name: an item 「法 個人情報の保護に関する法律をいう。」 or 「「法」とは、…法律をいう。」.
_DEFINED_AS = r"([^\s、。()（）「」]{2,80}?)(?:[(（][^()（）]*[)）])?をいう"
_DEFINITION_ITEM = re.compile(rf"^([^\s「」、。()（）]{{1,12}})\s+{_DEFINED_AS}")
_DEFINITION_TOWA = re.compile(rf"「([^」]{{1,12}})」とは、?{_DEFINED_AS}")
_CLAUSE_BEFORE = re.compile(rf"第\s*{NUM}\s*[条項号](?:\s*の\s*{NUM})*")
# … joined to the name by 「の規定による」「に基づく」 …
_LINK = re.compile(r"^(?:の規定)?(?:による|により|に基づき|に基づく|に規定する|に定める)?")
_NOT_IN_NAME = re.compile(r"[はがもへて]|場合|とき|ところ")
_BRACKETS = re.compile(r"[(（][^()（）]*[)）]")
_MAX_NAME = 80


def open_paren(text: str, close: int) -> int | None:
    """Index of the bracket that opens the one closing at ``close``, or None when unbalanced."""
    depth, i = 0, close
    while i >= 0:
        i = max(text.rfind("(", 0, i + 1), text.rfind("（", 0, i + 1), text.rfind(")", 0, i + 1),
                text.rfind("）", 0, i + 1))
        if i < 0:
            return None
        if text[i] in ")）":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return i
        i -= 1
    return None


def citation_start(text: str, end: int) -> int:
    """Where the name ends when ``end`` follows its citation brackets: the brackets are skipped."""
    i = end
    while i > 0 and text[i - 1].isspace():
        i -= 1
    while i > 0 and text[i - 1] in ")）":
        start = open_paren(text, i - 1)
        if start is None or not _CITATION.search(text, start, i):
            break
        i = start
        while i > 0 and text[i - 1].isspace():
            i -= 1
    return i


def _raw_name(text: str, end: int) -> str:
    """The run of text before ``end`` up to punctuation or another name's citation brackets;
    bracketed words inside a name, such as ガイドライン(事業者編), are kept."""
    lo, j = max(0, end - _MAX_NAME), end
    for mark in reversed(list(_MARKS.finditer(text, lo, end))):
        if mark.start() >= j:
            continue  # inside a bracketed word already passed over
        if mark.group(0) not in ")）":
            j = mark.end()
            break
        start = open_paren(text, mark.start())
        if start is None or start < lo or _CITATION.search(text, start, mark.end()):
            j = mark.end()
            break
        j = start
    else:
        j = lo
    raw = text[j:end]
    # 法第5条の規定による番号法: the name starts after the last clause cited before it.
    cited = list(_CLAUSE_BEFORE.finditer(raw))
    if cited:
        raw = _LINK.sub("", raw[cited[-1].end() :])
    # 場合であって法, 職員は番号法: words no instrument's name contains end the sentence part before it.
    cut = list(_NOT_IN_NAME.finditer(raw))
    return raw[cut[-1].end() :] if cut else raw


@dataclass
class Names:
    """The instruments one regulation names: short names it defines and full names it writes out."""

    full: dict[str, str] = field(default_factory=dict)  # short name -> full name
    known: set[str] = field(default_factory=set)  # every name seen with its citation or as a definition

    @classmethod
    def collect(cls, texts: list[str]) -> Names:
        """Read the names defined or cited in a regulation's (width-folded) texts."""
        names = cls()
        for text in texts:
            if "以下" in text:
                for match in _SHORT_NAME.finditer(text):
                    if is_instrument(text[: match.start()]):
                        names.define(match.group(2), name_before(text, match.start(), names))
            if "年" in text or "制定" in text:
                for match in _BRACKETS.finditer(text):
                    if _CITATION.search(match.group(0)) and is_instrument(text[: match.start()]):
                        names.known.add(name_before(text, match.start(), names))
            if "をいう" in text:
                for pattern in (_DEFINITION_ITEM, _DEFINITION_TOWA):
                    for match in pattern.finditer(text):
                        names.define(match.group(1), match.group(2))
        return names

    def define(self, short: str, full: str) -> None:
        if full and short != full and is_instrument(full) and short not in self.full:
            self.full[short] = full
            self.known.update((short, full))


def is_instrument(name: str) -> bool:
    """Whether a name (or the text up to it) ends like an instrument's, brackets after it aside:
    …法律, …規則（平成27年…第29号）, …ガイドライン(事業者編)."""
    end = len(name)
    while end and name[end - 1] in ")）":
        start = open_paren(name, end - 1)
        if start is None:
            break
        end = start
    return bool(INSTRUMENT_END.search(name, max(0, end - 8), end))


def name_before(text: str, end: int, names: Names) -> str:
    """The instrument name written just before ``end`` (after skipping its citation brackets).

    Lists such as 「保護法第60条又は議会個人情報保護条例第2条」 cut the name at 及び/又は/並びに/若しくは,
    unless the longer run is a name the regulation itself uses (a name may contain 及び).
    """
    raw = _raw_name(text, citation_start(text, end))
    if raw in names.known:
        return raw
    cuts = [raw[m.end() :] for m in _CONNECTORS.finditer(raw)]
    for candidate in sorted(cuts, key=len, reverse=True):
        if candidate in names.known:
            return candidate
    return min(cuts, key=len) if cuts else raw
