"""Consignment checklist: which items apply, gaps first with clause text, reasons for 該当なし."""

from __future__ import annotations

import pytest

from bot.dialogue.engine import FlowService
from bot.dialogue.values import AnswerError
from bot.store import Store
from corpus.model import clause_text

KORIYAMA_ITEMS = [
    "koriyama-kijun:22:1", *[f"koriyama-kijun:22:1:{n}" for n in range(1, 10)], "koriyama-kijun:22:2",
    "koriyama-kijun:22:3", "koriyama-kijun:22:7", "koriyama-kijun:22:8", "koriyama-kijun:22:4",
    "koriyama-kijun:22:5", "koriyama-kijun:22:9", "koriyama-kijun:22:6", "koriyama-kijun:18:4",
]
MY_NUMBER_ONLY = {"koriyama-kijun:22:8", "koriyama-kijun:22:9"}


@pytest.fixture(scope="module")
def run(tmp_path_factory, library, corpus):
    service = FlowService(Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'hogo.sqlite3'}"), library, corpus)

    def go(answers):
        report, _warnings = service.run("consignment", answers)
        return report.data

    return go


def context(**changes):
    return {"scope": "koriyama-kijun", "work": "住民税通知書の印刷・封入封緘", "handles_my_number": "no",
            "reconsignment_planned": "no", "dispatched_workers": "no", **changes}


def test_checklist_covers_article_22_and_disposal(library):
    items = [s.id for s in library.get("consignment").city("koriyama-kijun").steps]
    assert items == KORIYAMA_ITEMS


def test_my_number_work_with_reconsignment_gaps(run, corpus):
    answers = context(handles_my_number="yes", reconsignment_planned="yes",
                      **{key: "済" for key in KORIYAMA_ITEMS})
    answers["koriyama-kijun:22:8"] = "未"
    answers["koriyama-kijun:22:9"] = {"status": "未", "note": "子会社への再委託の申請あり、確認中"}
    answers["koriyama-kijun:22:5"] = "未: 再委託先の検査方法が未定"
    report = run(answers)
    gaps = {g["key"]: g for g in report["gaps"]}
    assert set(gaps) == {"koriyama-kijun:22:8", "koriyama-kijun:22:9", "koriyama-kijun:22:5"}
    assert gaps["koriyama-kijun:22:9"]["note"] == "子会社への再委託の申請あり、確認中"
    assert gaps["koriyama-kijun:22:5"]["note"] == "再委託先の検査方法が未定"
    reg = corpus.doc("koriyama-kijun")
    assert gaps["koriyama-kijun:22:8"]["text"] == clause_text(reg, corpus.unit("koriyama-kijun:22:8"))
    assert "特定個人情報保護評価" in gaps["koriyama-kijun:22:8"]["text"]
    # every item is listed with its key and status, gaps first
    assert [i["status"] for i in report["items"]][:3] == ["未", "未", "未"]
    assert {i["key"] for i in report["items"]} == set(KORIYAMA_ITEMS)
    assert [n["key"] for n in report["not_applicable"]] == ["koriyama-kijun:22:6"]
    assert report["counts"] == {"total": 19, "gaps": 3, "done": 15, "not_applicable": 1}
    assert not report["complete"]


def test_items_that_cannot_apply_say_why(run):
    report = run(context(**{key: "済" for key in KORIYAMA_ITEMS}))
    reasons = {n["key"]: n["reason"] for n in report["not_applicable"]}
    assert set(reasons) == MY_NUMBER_ONLY | {"koriyama-kijun:22:5", "koriyama-kijun:22:6"}
    assert reasons["koriyama-kijun:22:8"] == "個人番号利用事務等の委託ではないため"
    assert reasons["koriyama-kijun:22:5"] == "再委託の予定がないため"
    assert report["gaps"] == [] and report["complete"]


def test_unknown_context_keeps_items_in(run):
    report = run(context(handles_my_number="unknown", reconsignment_planned="unknown"))
    keys = {g["key"] for g in report["gaps"]}
    assert MY_NUMBER_ONLY | {"koriyama-kijun:22:5"} <= keys


def test_unanswered_items_are_gaps(run):
    report = run(context())
    assert all(g["note"] == "未回答" and not g.get("answered") for g in report["gaps"])
    assert len(report["gaps"]) == 15


def test_clerk_can_mark_an_item_not_applicable_with_a_reason(run):
    report = run(context(**{"koriyama-kijun:22:7": "該当なし: 氏名を使う業務のため置換えできない"}))
    reasons = {n["key"]: n["reason"] for n in report["not_applicable"]}
    assert reasons["koriyama-kijun:22:7"] == "氏名を使う業務のため置換えできない"


def test_mima_checklist(run):
    report = run({"scope": "mima-kitei", "work": "職員の扶養控除申告書の処理", "handles_my_number": "yes",
                  "reconsignment_planned": "no", "dispatched_workers": "no", "mima-kitei:25:2": "済",
                  "mima-kitei:25:4": "未"})
    assert [g["key"] for g in report["gaps"]] == ["mima-kitei:25:3", "mima-kitei:24:2", "mima-kitei:24:3",
                                                  "mima-kitei:25:4"]
    assert report["citations"] == ["mima-kitei:25:2", "mima-kitei:25:3", "mima-kitei:24:2", "mima-kitei:24:3",
                                   "mima-kitei:25:4"]
    assert "削除・廃棄証明書" in report["gaps"][-1]["text"]


def test_bad_status_names_the_field(run):
    with pytest.raises(AnswerError) as info:
        run(context(**{"koriyama-kijun:22:2": "たぶん"}))
    assert info.value.step_id == "koriyama-kijun:22:2"
    assert "「済」「未」「該当なし」" in info.value.message_ja


def test_markdown_lists_gaps_with_clause_text(run, library, corpus):
    report = run(context(**{key: "済" for key in KORIYAMA_ITEMS if key != "koriyama-kijun:22:2"}))
    from bot.dialogue.render import markdown

    md = markdown(report)
    assert "## 未対応の項目" in md
    assert "### 秘密保持契約の締結（郡山市保有個人情報等の取扱基準 第22条第2項）" in md
    assert "> 保護管理者は、保有個人情報等の取扱いに係る業務を外部に委託する場合には、委託先と秘密保持契約" in md
