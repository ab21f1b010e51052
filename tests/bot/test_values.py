"""Answers with control characters are refused for every channel (web, Slack, CLI), on both databases."""

from __future__ import annotations

import pytest

from bot.dialogue.values import AnswerError
from bot.plaintext import CONTROL_JA
from bot.questions import prepare_question
from corpus.errors import HogoError
from tests.bot.test_engine import INCIDENT_ANSWERS, answer_all


@pytest.mark.parametrize("value", ["再発\x00防止", "\x1b[31m", ["name", "住所\x00"], {"note\x00": "x"}])
def test_a_control_character_in_an_answer_is_refused_and_the_report_still_finishes(service, value):
    view = service.start("incident", "koriyama-kijun")
    answer_all(service, view.id, INCIDENT_ANSWERS[:-1])
    with pytest.raises(AnswerError) as refused:
        service.answer(view.id, "prevention", value)
    assert refused.value.message_ja == CONTROL_JA
    assert service.answer(view.id, "prevention", "一行目\r\n\t二行目").status == "confirm"
    assert service.finish(view.id).markdown


def test_a_question_with_a_control_character_is_refused():
    with pytest.raises(HogoError) as refused:
        prepare_question("委託\x00先")
    assert refused.value.message_ja == CONTROL_JA and refused.value.exit_code == 2
