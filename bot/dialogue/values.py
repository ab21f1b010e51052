"""Turning what a clerk typed (or a script sent) into a stored answer, with Japanese messages when it
cannot be accepted. Free text is screened for My Numbers here, before anything is stored or logged."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from bot.dialogue.spec import FlowError, Step
from bot.plaintext import CONTROL_JA, has_control
from bot.privacy import mask_my_numbers

JST = timezone(timedelta(hours=9), "JST")
UNKNOWN = "unknown"
MY_NUMBER_NOTICE = (
    "個人番号（マイナンバー）と思われる12桁の番号が含まれていたため、伏せ字にして保存しました。"
    "住民の氏名や個人番号は入力しないでください。"
)

YES = {"yes", "y", "はい", "有", "あり", "有り", "true", "1"}
NO = {"no", "n", "いいえ", "無", "なし", "無し", "false", "0"}
UNKNOWNS = {"unknown", "u", "不明", "わからない", "分からない", "?", "？", "わかりません"}
CHECK = {"済": "済", "済み": "済", "done": "済", "yes": "済", "未": "未", "未了": "未", "todo": "未", "no": "未",
         "該当なし": "該当なし", "n/a": "該当なし", "na": "該当なし", "not_applicable": "該当なし"}


class AnswerError(FlowError):
    """An answer that cannot be accepted for its step; ``message_ja`` tells the clerk how to fix it."""

    code = "invalid_answer"
    http_status = 422

    def __init__(self, step: Step, message_ja: str) -> None:
        super().__init__(f"invalid answer for {step.id!r}: {message_ja}", message_ja)
        self.step_id = step.id


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse(step: Step, raw: Any) -> tuple[Any, list[str]]:
    """Return (stored value, notices for the clerk). Raises AnswerError."""
    notices: list[str] = []
    if has_control(raw):  # PostgreSQL cannot store NUL: refused on every database alike
        raise AnswerError(step, CONTROL_JA)
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "" or raw == []:
        if step.required and step.kind != "check":
            raise AnswerError(step, "この質問には回答が必要です。わからない場合は「わからない」を選んでください。"
                              if step.allow_unknown else "この質問には回答が必要です。")
        return (None if step.kind != "multiselect" else []), notices
    handler = PARSERS[step.kind]
    value = handler(step, raw, notices)
    return value, notices


def _choice_value(step: Step, raw: Any) -> str | None:
    text = fold(str(raw))
    lowered = text.lower()
    for option in step.options:
        short = fold(option.label).split("(")[0]  # 漏えい for 漏えい（外部に出た…）
        names = {option.value.lower(), fold(option.label), short, *(fold(a).lower() for a in option.aliases)}
        if lowered in names or text in names:
            return option.value
    listed = step.listed_options()  # menu numbers count only the choices shown
    if text.isdigit() and 1 <= int(text) <= len(listed):
        return listed[int(text) - 1].value
    return None


def _choices_text(step: Step) -> str:
    return "、".join(f"{i}. {o.label}" for i, o in enumerate(step.listed_options(), 1))


def _choice(step: Step, raw: Any, notices: list[str]) -> str:
    value = _choice_value(step, raw)
    if value is None:
        raise AnswerError(step, f"選択肢から選んでください（{_choices_text(step)}）。")
    return value


def _yesno(step: Step, raw: Any, notices: list[str]) -> str:
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    text = fold(str(raw)).lower()
    if text in YES:
        return "yes"
    if text in NO or text == "2":  # "1"/"2"/"3" are the menu numbers of はい/いいえ/わからない
        return "no"
    if text in UNKNOWNS or text == "3":
        return UNKNOWN
    raise AnswerError(step, "「はい」「いいえ」「わからない」のいずれかで答えてください。")


def _multiselect(step: Step, raw: Any, notices: list[str]) -> list[str]:
    items = raw if isinstance(raw, list) else re.split(r"[,、，/／・\s]+", str(raw))
    out: list[str] = []
    for item in items:
        if item is None or str(item).strip() == "":
            continue
        value = _choice_value(step, item)
        if value is None:
            if not step.allow_other:
                raise AnswerError(step, f"選択肢から選んでください（{_choices_text(step)}）。"
                                  "複数ある場合は「、」で区切ってください。")
            value = _screen(str(item).strip()[:100], notices)
        if value not in out:
            out.append(value)
    if not out and step.required:
        raise AnswerError(step, "少なくとも1つ選んでください。")
    return out


def _number(step: Step, raw: Any, notices: list[str]) -> int | str:
    if isinstance(raw, bool):
        raise AnswerError(step, "人数を数字で入力してください。わからない場合は「わからない」と入力してください。")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        text = fold(str(raw)).lower()
        if text in UNKNOWNS:
            if step.allow_unknown:
                return UNKNOWN
            raise AnswerError(step, "数字で入力してください。")
        match = re.fullmatch(r"(?:約|およそ|概ね)?\s*([0-9][0-9,]*)\s*(?:人|名|件)?(?:程度|くらい|ぐらい)?", text)
        if not match:
            raise AnswerError(step, "人数を数字で入力してください（例: 120）。"
                              "わからない場合は「わからない」と入力してください。")
        value = int(match.group(1).replace(",", ""))
    if value < 0:
        raise AnswerError(step, "0以上の数を入力してください。")
    if value > 100_000_000:
        raise AnswerError(step, "数が大きすぎます。確認してください。")
    return value


DATE_FORMS = (
    re.compile(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T]*(\d{1,2})[:時](\d{1,2})?分?(?::(\d{1,2}))?)?"),
)


def parse_datetime(text: str) -> datetime:
    """ISO 8601 or 2026/4/1 10:00 or 2026年4月1日10時; naive times are Japan time."""
    text = fold(text)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        match = DATE_FORMS[0].fullmatch(text)
        if not match:
            raise ValueError(text) from None
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        value = datetime(y, mo, d, h, mi, s)
    if value.tzinfo is None:
        value = value.replace(tzinfo=JST)
    return value


def _datetime(step: Step, raw: Any, notices: list[str]) -> str:
    if isinstance(raw, datetime):
        value = raw if raw.tzinfo else raw.replace(tzinfo=JST)
    elif isinstance(raw, date):
        value = datetime.combine(raw, time(0, 0), JST)
    else:
        try:
            value = parse_datetime(str(raw))
        except ValueError:
            raise AnswerError(step, "日時は「2026-04-01 10:30」のように入力してください。") from None
    if value.year < 2000:
        raise AnswerError(step, "日時を確認してください（2000年以降の日付を入力してください）。")
    if value > datetime.now(JST) + timedelta(days=1):
        notices.append("入力された日時は未来の日付です。誤りがないか確認してください。")
    return value.isoformat(timespec="minutes")


def _screen(text: str, notices: list[str]) -> str:
    masked, count = mask_my_numbers(text)
    if count and MY_NUMBER_NOTICE not in notices:
        notices.append(MY_NUMBER_NOTICE)
    return masked


def _text(step: Step, raw: Any, notices: list[str]) -> str:
    if isinstance(raw, bool | int | float):
        raw = str(raw)
    if not isinstance(raw, str):
        raise AnswerError(step, "文章で入力してください。")
    if len(raw) > step.max_length:
        raise AnswerError(step, f"{step.max_length}文字以内で入力してください（現在{len(raw)}文字）。")
    return _screen(raw, notices)


def _check(step: Step, raw: Any, notices: list[str]) -> dict[str, str]:
    note = ""
    if isinstance(raw, dict):
        note = str(raw.get("note") or "")
        raw = raw.get("status")
    text = fold(str(raw or ""))
    status = CHECK.get(text.lower()) or CHECK.get(text) or _choice_value(step, text)
    if status is None:
        # "未: 理由" / "済 契約書第5条" — a status followed by a note
        match = re.match(r"(済み?|未了?|該当なし)\s*[:：、,]?\s*(.*)", text)
        if not match:
            raise AnswerError(step, "「済」「未」「該当なし」のいずれかで答えてください（メモを続けて書けます）。")
        status, note = CHECK[match.group(1)], match.group(2) or note
    if len(note) > step.max_length:
        raise AnswerError(step, f"メモは{step.max_length}文字以内で入力してください。")
    return {"status": status, "note": _screen(note.strip(), notices)}


PARSERS = {
    "choice": _choice, "yesno": _yesno, "multiselect": _multiselect, "number": _number,
    "datetime": _datetime, "text": _text, "check": _check,
}


def display(step: Step, value: Any, in_report: bool = False) -> str:
    """How an answer reads back to the clerk (summary) or in a report."""
    if in_report and isinstance(value, str) and value in dict(step.report_labels):
        return dict(step.report_labels)[value]
    if value is None or value == []:
        return "（未回答）"
    if step.kind in ("choice", "yesno"):
        return step.option_label(value)
    if step.kind == "multiselect":
        return "、".join(step.option_label(v) for v in value)
    if step.kind == "number":
        return "不明" if value == UNKNOWN else f"{value:,}"
    if step.kind == "datetime":
        return datetime.fromisoformat(value).strftime("%Y年%m月%d日 %H:%M")
    if step.kind == "check":
        return value["status"] + (f"（{value['note']}）" if value.get("note") else "")
    return str(value)
