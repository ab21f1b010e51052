"""Line patterns of Japanese regulation texts, matched on width-folded lines (see ``numbers.fold``)."""

from __future__ import annotations

import re

from corpus.numbers import CIRCLED, KANJI_NUMERAL_CHARS

NUM = rf"(?:[0-9]+|[{KANJI_NUMERAL_CHARS}]+)"
IROHA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"

# List markup left by HTML/Markdown conversion ("- (1) …", " - 2 …").
MARKUP = re.compile(r"^\s*[-*]\s+")

ARTICLE = re.compile(rf"^第\s*({NUM})\s*条((?:\s*の\s*{NUM})*)(?:\s+(.*))?$")
# 要領 style: "第1 趣旨" (no 条); only used when the text has no 第N条 article at all.
YOURYOU = re.compile(rf"^第\s*({NUM})((?:\s*の\s*{NUM})*)(?:\s+(.*))?$")
BRANCH = re.compile(rf"の\s*({NUM})")
CHAPTER = re.compile(rf"^第\s*({NUM})\s*([編章節款])\s*(.*)$")
TOC = re.compile(r"^目\s*次$")
SUPPL = re.compile(r"^附\s*則\s*(?:\((.*)\))?\s*$")
FORM = re.compile(rf"^(?:別記)?様式\s*第\s*({NUM})\s*号?(.*)$")
WHOLE_PAREN = re.compile(r"^\(([^()]+(?:\([^()]*\)[^()]*)*)\)$")
PARAGRAPH = re.compile(r"^([0-9]+)\s+(\S.*)$")
ITEM = re.compile(rf"^\(({NUM})\)\s*(.*)$")
# Items as laws and many cities number them: a bare kanji numeral and a space (「一　秘密の保持」). Only taken in
# sequence (一, then the next number), so a sentence that starts 「一の…」 or 「三 年」 stays text.
ITEM_BARE = re.compile(rf"^([{KANJI_NUMERAL_CHARS}]+)\s+(\S.*)$")
SUBITEM = (
    re.compile(rf"^([{IROHA}])\s+(\S.*)$"),
    re.compile(rf"^\(([{IROHA}])\)\s*(.*)$"),
    re.compile(rf"^([{CIRCLED}])\s*(.*)$"),
    re.compile(r"^([0-9]+)\)\s*(.*)$"),
)
# A counter right after a number means the line continues a sentence ("2 項", "1 回以上").
COUNTER_AFTER_NUMBER = re.compile(r"^[0-9]+\s*(?:[項号条章節款回年月日時件箇か%％円]|分の|人以|名以)")
NOTE = re.compile(r"(?:[平令昭]|平成|令和|昭和)\s*[0-9元]+.*(?:改正|追加|全改|削除|繰下|繰上)")
ENFORCEMENT = re.compile(
    r"^この(?:訓令|規程|規則|基準|要綱|要領|条例|告示|指針|規定|方針)は、.*(?:施行|適用)(?:する|し)"
)
INSTRUMENT = re.compile(r"(?:訓令|規則|告示|条例|要綱|規程|基準|要領)第?\s*[0-9]+\s*号|制定|施行")
TRAILER = re.compile(r"^(?:体系情報|沿革情報|改正履歴|関連情報|改正文)$")
LIST_INTRO = re.compile(r"次に掲げる|次の各号|次のとおり|次のいずれか|以下のとおり")
# What a finished line ends with; anything else means the sentence runs on (page or line break).
TERMINATORS = tuple("。．.：:」』)）")
ERA_DATE = re.compile(r"(?:明治|大正|昭和|平成|令和)\s*(?:[0-9]+|元)\s*年\s*[0-9]+\s*月\s*[0-9]+\s*日")
