"""Japanese tokenization for the lexical index: NFKC, SudachiPy normalized forms, content words only.

Mode A gives short units (個人 / 情報) that match across phrasings; mode C adds the long compounds
(個人情報) so an exact compound scores higher. 漏えい/漏洩 and 取扱/取り扱い meet under normalized_form.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache

from sudachipy import Dictionary, SplitMode

DROP_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}
# Light verbs and fillers that carry no topic in a question ("…したらどうする？").
STOP = {
    "為る", "居る", "有る", "成る", "言う", "事", "物", "所", "為", "様", "よう", "こと", "もの", "ところ",
    "どう", "何", "誰", "いつ", "どこ", "どれ", "どの", "此の", "其の", "この", "その", "あの", "ない", "無い",
    "良い", "いい", "場合", "等", "ため", "たい", "とき", "時", "ん", "の", "てる",
    "the", "a", "an", "to", "of", "do", "i", "is", "are", "what", "who", "how", "when", "if", "my", "we",
    "be", "it", "in", "on", "for", "and", "or", "should", "can", "does", "with", "about", "there", "any",
}
_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
# Pieces of a full-width/ASCII-mixed phrase that Sudachi splits oddly are caught by lower-casing.
_LOCAL = threading.local()


@cache
def _dictionary() -> Dictionary:
    return Dictionary(dict="core")


def _tokenizer():
    # Sudachi tokenizers are not thread-safe; keep one per thread.
    tok = getattr(_LOCAL, "tokenizer", None)
    if tok is None:
        tok = _LOCAL.tokenizer = _dictionary().tokenizer()
    return tok


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _content_forms(text: str, mode: SplitMode) -> list[str]:
    forms = []
    for morpheme in _tokenizer().tokenize(text, mode):
        pos = morpheme.part_of_speech()[0]
        if pos in DROP_POS:
            continue
        form = morpheme.normalized_form().lower()
        if form in STOP or not form.strip():
            continue
        if len(form) == 1 and (form.isascii() or "\u3040" <= form <= "\u309f"):
            continue  # stray single kana/latin letters are noise
        forms.append(form)
    return forms


def tokenize(text: str) -> list[str]:
    """Content-word tokens: mode A forms, plus mode C compounds that mode A split up."""
    text = normalize(text)
    if not text.strip():
        return []
    short = _content_forms(text, SplitMode.A)
    long = [form for form in _content_forms(text, SplitMode.C) if form not in short]
    return short + long


def tokenize_many(texts: list[str]) -> list[list[str]]:
    return [tokenize(text) for text in texts]


def compact(text: str) -> str:
    """The text without particles, auxiliaries, symbols and spaces (秘密の保持について -> 秘密保持つい)."""
    text = normalize(text)
    if not text.strip():
        return ""
    keep = [m.surface() for m in _tokenizer().tokenize(text, SplitMode.C) if m.part_of_speech()[0] not in DROP_POS]
    return "".join(keep)
