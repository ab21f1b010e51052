"""Kana-only questions ("ほごかんりしゃに ほうこく") mapped back to the corpus's kanji words by reading.

Sudachi cannot guess kanji for hiragana it splits oddly, but it knows the reading of every corpus word.
A reading dictionary built from the corpus (ホゴカンリシャ -> 保護管理者) lets a greedy longest match
over the question's kana recover the words a clerk meant.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from sudachipy import SplitMode

from retrieval.tokenizer import DROP_POS, STOP, _tokenizer, normalize

KANA = re.compile(r"[ぁ-ゖァ-ヺー]")
HIRAGANA = re.compile(r"[ぁ-ゖー]")
KANJI = re.compile(r"[一-龥々]")
MIN_READING = 2
MAX_READING = 14
# A question counts as written in kana when almost nothing in it is kanji and most of it is hiragana.
# Ordinary Japanese is more than half kana too, so the kanji share is what tells the two apart.
MAX_KANJI_SHARE = 0.1
MIN_HIRAGANA_SHARE = 0.6
MIN_FORM = 2  # one-kanji words (時, 否, 道 …) match too many stray syllables to be worth recovering


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
                    if form in STOP or len(form) < MIN_FORM:
                        continue
                    if KANJI.search(form) and MIN_READING <= len(reading) <= MAX_READING:
                        votes[reading][form] += 1
        return cls({reading: forms.most_common(1)[0][0] for reading, forms in votes.items()})

    @classmethod
    def open(cls, path: Path, texts: list[str]) -> KanaResolver:
        """Load the readings saved for these texts, or build them (a Sudachi pass over the corpus) and save."""
        digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:24]
        if path.exists():
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("fingerprint") == digest:
                return cls(saved["readings"])
        resolver = cls.build(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"fingerprint": digest, "readings": resolver.readings}
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return resolver

    @staticmethod
    def is_kana_question(question: str) -> bool:
        chars = [ch for ch in question if not ch.isspace() and ch not in "、。？?！!,."]
        if not chars:
            return False
        kanji = sum(1 for ch in chars if KANJI.match(ch)) / len(chars)
        hiragana = sum(1 for ch in chars if HIRAGANA.match(ch)) / len(chars)
        return kanji <= MAX_KANJI_SHARE and hiragana >= MIN_HIRAGANA_SHARE

    def resolve(self, question: str) -> list[str]:
        """Kanji words whose readings spell out the question's kana, longest match first."""
        if not self.is_kana_question(question):
            return []
        found: list[str] = []
        for run in re.findall(r"[ぁ-ゖー]+", question):  # katakana words reach the tokenizer as they are
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
