"""Kana-only questions ("ほごかんりしゃに ほうこく") mapped back to the corpus's kanji words by reading.

Sudachi cannot guess kanji for hiragana it splits oddly, but it knows the reading of every corpus word.
A reading dictionary built from the corpus (ホゴカンリシャ -> 保護管理者) lets a greedy longest match
over the question's kana recover the words a clerk meant.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from sudachipy import SplitMode

from retrieval.tokenizer import DROP_POS, _tokenizer, normalize

KANA = re.compile(r"[ぁ-ゖァ-ヺー]")
KANJI = re.compile(r"[一-龥々]")
MIN_READING = 2
MAX_READING = 14


def to_katakana(text: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


class KanaResolver:
    def __init__(self, readings: dict[str, str]) -> None:
        self.readings = readings

    @classmethod
    def build(cls, texts: list[str]) -> KanaResolver:
        votes: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            for mode in (SplitMode.A, SplitMode.C):
                for morpheme in _tokenizer().tokenize(normalize(text), mode):
                    if morpheme.part_of_speech()[0] in DROP_POS:
                        continue
                    form, reading = morpheme.normalized_form(), morpheme.reading_form()
                    if KANJI.search(form) and MIN_READING <= len(reading) <= MAX_READING:
                        votes[reading][form] += 1
        return cls({reading: forms.most_common(1)[0][0] for reading, forms in votes.items()})

    @staticmethod
    def is_kana_question(question: str) -> bool:
        chars = [ch for ch in question if not ch.isspace() and ch not in "、。？?！!,."]
        return bool(chars) and sum(1 for ch in chars if KANA.match(ch)) / len(chars) >= 0.6

    def resolve(self, question: str) -> list[str]:
        """Kanji words whose readings spell out the question's kana, longest match first."""
        if not self.is_kana_question(question):
            return []
        found: list[str] = []
        for run in re.findall(r"[ぁ-ゖァ-ヺー]+", question):
            kana = to_katakana(run)
            i = 0
            while i < len(kana):
                for length in range(min(MAX_READING, len(kana) - i), MIN_READING - 1, -1):
                    form = self.readings.get(kana[i : i + length])
                    if form:
                        if form not in found:
                            found.append(form)
                        i += length
                        break
                else:
                    i += 1
        return found
