"""Personal-data screening: My Numbers (個人番号) are masked before anything is stored or logged."""

from __future__ import annotations

import re
import unicodedata

# 12 digits, optionally grouped 4-4-4 by spaces or hyphens, not part of a longer number.
CANDIDATE = re.compile(r"(?<![0-9])([0-9]{4})[ \-]?([0-9]{4})[ \-]?([0-9]{4})(?![0-9])")
MASK = "[個人番号のため伏せ字]"


def is_my_number(digits: str) -> bool:
    """True when 12 digits pass the My Number check digit (番号法施行令第8条の計算方法)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = [int(d) for d in digits[:11]]
    total = 0
    for n in range(1, 12):
        p = body[11 - n]  # P_n counts from the digit just left of the check digit
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == int(digits[11])


def mask_my_numbers(text: str) -> tuple[str, int]:
    """Return text with every valid My Number replaced by a mask, and how many were masked.

    Full-width digits are recognised; the rest of the text is kept exactly as written.
    """
    if not text:
        return text, 0
    folded = "".join(unicodedata.normalize("NFKC", ch) if ch.isdigit() or ch in "－ー‐　" else ch for ch in text)
    if len(folded) != len(text):  # a character folded into several; fall back to the folded text
        text = folded
    out, last, count = [], 0, 0
    for match in CANDIDATE.finditer(folded):
        digits = "".join(match.groups())
        if is_my_number(digits):
            out.append(text[last : match.start()])
            out.append(MASK)
            last = match.end()
            count += 1
    out.append(text[last:])
    return "".join(out), count
