"""Text that may be stored: no control characters but tab, line feed and carriage return.

PostgreSQL refuses NUL in text while SQLite keeps it, and nobody types the other C0 codes (a lone surrogate
cannot be stored or sent back either). Every channel refuses such text where it comes in, with one Japanese
message, so both databases behave the same and nothing half-stored breaks a later step.
"""

from __future__ import annotations

import re
from typing import Any

from corpus.errors import HogoError

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
CONTROL_JA = "制御文字（NULなど）は入力できません。取り除いてからもう一度送信してください。"


class ControlCharacters(HogoError):
    code = "control_characters"
    exit_code = 2
    http_status = 422
    default_ja = CONTROL_JA


def has_control(value: Any) -> bool:
    """Whether a text, or any text inside a list or mapping (keys too), holds a refused character."""
    if isinstance(value, str):
        return CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(has_control(k) or has_control(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_control(v) for v in value)
    return False


def refuse_control(text: str, what: str = "the text") -> str:
    """``text`` unchanged, or ControlCharacters."""
    if has_control(text):
        raise ControlCharacters(f"{what} contains control characters (NUL and the like); remove them")
    return text
