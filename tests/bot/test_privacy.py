"""My Numbers are masked however staff write the twelve digits, and only when the check digit passes."""

from __future__ import annotations

import json
import logging

import pytest

from bot import privacy
from bot.privacy import MASK, mask_my_numbers

# Each way a clerk types (or pastes) the valid My Number 9876 5432 1093.
SPELLINGS = {
    "plain": "987654321093",
    "ime hyphen ー": "9876ー5432ー1093",
    "ascii hyphen": "9876-5432-1093",
    "hyphen ‐": "9876‐5432‐1093",
    "en dash –": "9876–5432–1093",
    "em dash —": "9876—5432—1093",
    "minus −": "9876−5432−1093",
    "full-width hyphen －": "9876－5432－1093",
    "full-width stop ．": "9876．5432．1093",
    "slash /": "9876/5432/1093",
    "ideographic comma 、": "9876、5432、1093",
    "space": "9876 5432 1093",
    "two spaces": "9876  5432  1093",
    "ideographic space": "9876　5432　1093",
    "newline": "9876\n5432\n1093",
    "zero-width space": "9876\u200b5432\u200b1093",
    "full-width digits": "９８７６５４３２１０９３",
    "full-width digits and hyphens": "９８７６－５４３２－１０９３",
    "3-3-3-3": "987-654-321-093",
    "3 3 3 3 with spaces": "987 654 321 093",
    "digit by digit": "9 8 7 6 5 4 3 2 1 0 9 3",
    "spaced dash": "9876 - 5432 - 1093",
}


def leaked(text: str) -> bool:
    """Whether any spelling shows in ``text``, as typed or escaped (JSON, repr)."""
    return any(form in text for spelling in SPELLINGS.values()
               for form in (spelling, json.dumps(spelling, ensure_ascii=False)[1:-1], repr(spelling)[1:-1]))


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_every_spelling_of_a_my_number_is_masked(spelling):
    masked, count = mask_my_numbers(f"番号{spelling}の通知書を誤送付")
    assert (masked, count) == (f"番号{MASK}の通知書を誤送付", 1)


def test_numbers_failing_the_check_digit_are_kept():
    for text in ("987654321094", "9876ー5432ー1094", "９８７６－５４３２－１０９４", "987-654-321-094"):
        assert mask_my_numbers(f"番号{text}") == (f"番号{text}", 0)


@pytest.mark.parametrize("text", ["1987654321093", "9876543210931", "19876ー5432ー1093", "9876ー5432ー10931",
                                  "９８７６５４３２１０９３１"])
def test_a_longer_number_is_not_cut_into_a_my_number(text):
    assert mask_my_numbers(text) == (text, 0)


def test_neighbouring_numbers_stay_as_written():
    text = "電話 03-1234-5678、番号 9876ー5432ー1093、件数 12件、2026-04-01 10:30"
    masked, count = mask_my_numbers(text)
    assert count == 1
    assert masked == f"電話 03-1234-5678、番号 {MASK}、件数 12件、2026-04-01 10:30"


def test_two_numbers_in_one_text():
    masked, count = mask_my_numbers("987654321093 と 1234 5678 9018")
    assert (masked, count) == (f"{MASK} と {MASK}", 2)


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_log_records_never_carry_a_my_number(spelling, caplog):
    privacy.install_log_masking()
    log = logging.getLogger("hogo.test")
    with caplog.at_level(logging.INFO):
        log.info("question: %s", f"番号{spelling}の件")
        log.warning(f"inline {spelling}")
        try:
            raise ValueError(f"cannot parse {spelling}")
        except ValueError:
            log.exception("failed")
    text = caplog.text
    assert not leaked(text), text
    assert text.count(MASK) >= 3
