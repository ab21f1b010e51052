"""Personal-data screening: My Numbers (個人番号) are masked before anything is stored or logged.

Staff write the twelve digits in many ways: 4-4-4 or 3-3-3-3, split by the IME's 「ー」, any dash, a
full-width stop, a slash, 「、」, spaces or a line break, full-width digits, even a zero-width space from a
pasted form. A number is the digit groups joined by short runs of such separators; any run of whole
groups with twelve digits that pass the check digit is masked, and a group is never split, so twelve
digits inside a longer number stay as written.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator

MASK = "[個人番号のため伏せ字]"
MY_NUMBER_DIGITS = 12
SEPARATORS = set(
    "-‐‑‒–—―−－ーｰ─━﹣"  # hyphens, dashes, minus signs, the IME's 長音 and box-drawing lines
    ".．・･/／,，、､"  # stops, middle dots, slashes, commas
)
MAX_SEPARATOR = 3  # visible separator characters between two groups ("  ", " - ", "\r\n")


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

    Everything but the masked digits (and the separators between them) is kept exactly as written.
    """
    if not text:
        return text, 0
    out, last, count = [], 0, 0
    for start, end in _my_numbers(text):
        out += [text[last:start], MASK]
        last, count = end, count + 1
    if not count:
        return text, 0
    out.append(text[last:])
    return "".join(out), count


def _my_numbers(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each valid My Number, left to right, never overlapping."""
    for chain in _chains(text):
        first = 0
        while first < len(chain):
            digits, last = "", first
            while last < len(chain) and len(digits) < MY_NUMBER_DIGITS:
                digits += chain[last][2]
                last += 1
            if len(digits) == MY_NUMBER_DIGITS and is_my_number(digits):
                yield chain[first][0], chain[last - 1][1]
                first = last
            else:
                first += 1


def _chains(text: str) -> Iterator[list[tuple[int, int, str]]]:
    """Groups of digits joined by short separator runs, each group as (start, end, ASCII digits)."""
    chain: list[tuple[int, int, str]] = []
    i, n = 0, len(text)
    while i < n:
        if _digit(text[i]) is None:
            i += 1
            continue
        j, digits = i, []
        while j < n and (d := _digit(text[j])) is not None:
            digits.append(d)
            j += 1
        chain.append((i, j, "".join(digits)))
        k, visible = j, 0
        while k < n and visible <= MAX_SEPARATOR and _separator(text[k]):
            visible += unicodedata.category(text[k]) != "Cf"  # zero-width characters do not count
            k += 1
        if j < k < n and visible <= MAX_SEPARATOR and _digit(text[k]) is not None:
            i = k  # the number goes on after the separators
            continue
        yield chain
        chain, i = [], k
    if chain:
        yield chain


def _digit(ch: str) -> str | None:
    value = unicodedata.decimal(ch, None)  # ASCII, full-width and other scripts' decimal digits
    return None if value is None else str(value)


def _separator(ch: str) -> bool:
    return ch in SEPARATORS or ch.isspace() or unicodedata.category(ch) == "Cf"


# logging ------------------------------------------------------------------------------------------------

def install_log_masking() -> None:
    """Mask My Numbers in every log record this process creates (messages, arguments and tracebacks),
    whichever library logs it. Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "masks_my_numbers", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _mask_record(record)
        return record

    factory.masks_my_numbers = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _mask_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = mask_my_numbers(record.msg)[0]
    if isinstance(record.args, tuple):
        record.args = tuple(mask_my_numbers(a)[0] if isinstance(a, str) else a for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: mask_my_numbers(v)[0] if isinstance(v, str) else v for k, v in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it later, as it always does
        message = ""
    masked, count = mask_my_numbers(message)
    if count:  # a number hidden in a non-string argument: keep the masked text only
        record.msg, record.args = masked, ()
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        formatted = logging.Formatter().formatException(record.exc_info)
        masked, count = mask_my_numbers(formatted)
        if count:
            record.exc_text = masked
