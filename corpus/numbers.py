"""Numbers as regulations write them: half-width, full-width, kanji, circled."""

from __future__ import annotations

_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
KANJI_NUMERAL_CHARS = "".join(_KANJI_DIGITS) + "".join(_KANJI_UNITS)
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Width folding for *matching* only; clause text is always kept exactly as written.
_FOLD = str.maketrans(
    "０１２３４５６７８９（）　．－",
    "0123456789() .-",
)


def fold(text: str) -> str:
    """Map full-width digits, brackets and spaces to ASCII, keeping string length unchanged."""
    return text.translate(_FOLD)


def kanji_to_int(text: str) -> int:
    """Convert a kanji numeral such as 二十一 or 百五 (or positional 二〇) to an int."""
    if not text:
        raise ValueError("empty numeral")
    if all(ch in _KANJI_DIGITS for ch in text):
        return int("".join(str(_KANJI_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _KANJI_DIGITS:
            digit = _KANJI_DIGITS[ch]
        elif ch in _KANJI_UNITS:
            total += (1 if digit is None else digit) * _KANJI_UNITS[ch]
            digit = None
        else:
            raise ValueError(f"not a kanji numeral: {text!r}")
    return total + (digit or 0)


def to_int(text: str) -> int:
    """Any written number (half/full-width digits or kanji) to an int."""
    folded = fold(text).strip()
    if folded.isascii() and folded.isdigit():
        return int(folded)
    return kanji_to_int(folded)
