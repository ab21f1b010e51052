"""What every channel does to a question before searching: check it, then mask My Numbers in it."""

from __future__ import annotations

from bot.plaintext import refuse_control
from bot.privacy import mask_my_numbers
from corpus.errors import HogoError

MAX_QUESTION = 1000
TOO_LONG_JA = f"質問が長すぎます（{MAX_QUESTION}文字以内で入力してください）。"


class BadQuestion(HogoError):
    code = "bad_question"
    exit_code = 2
    http_status = 422


def check_question(question: str) -> str:
    question = (question or "").strip()
    if not question:
        raise BadQuestion("the question is empty", "質問を入力してください。")
    if len(question) > MAX_QUESTION:
        raise BadQuestion(f"the question is longer than {MAX_QUESTION} characters", TOO_LONG_JA)
    return refuse_control(question, "the question")


def prepare_question(question: str) -> tuple[str, int]:
    """The checked question with every valid My Number masked, and how many were masked."""
    return mask_my_numbers(check_question(question))
