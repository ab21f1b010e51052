"""Small texts in the shapes other cities' regulations take."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.errors import CorpusParseError
from corpus.labels import label
from corpus.parser import parse_text


def keys(reg):
    return [u.key.split(":", 1)[1] for u in reg.units]


def test_fullwidth_kanji_and_spaced_article_numbers():
    reg = parse_text(
        "○テスト市規則\n\n（目的）\n第１条　この規則は、目的を定める。\n２　前項の規定は、準用する。\n"
        "第二条 職員は、次に掲げる事項を守る。\n（１）秘密を守ること。\n（２）記録すること。\n"
        "第 3 条の 2 市長は、定める。\n第十二条　委任する。\n",
        doc_id="t",
    )
    assert [u.article for u in reg.articles()] == ["1", "2", "3_2", "12"]
    assert reg.get("t:1:2").text == "前項の規定は、準用する。" and reg.get("t:1:2").marker == "２"
    assert [u.item for u in reg.children(reg.get("t:2:1"))] == ["1", "2"]
    assert reg.get("t:1").heading == "目的"
    assert label(reg, reg.get("t:3_2:1")) == "テスト市規則 第3条の2"


def test_kanji_branch_article_and_kanji_items():
    reg = parse_text("第四条の二 次のとおりとする。\n（一）甲\n（二）乙\n第五条 以上。\n", doc_id="t")
    assert keys(reg) == ["4_2", "4_2:1", "4_2:1:1", "4_2:1:2", "5", "5:1"]


def test_bare_kanji_numeral_items_as_laws_and_many_cities_write_them():
    reg = parse_text(
        "第五条　委託契約には、次に掲げる事項を定めなければならない。\n一　秘密の保持に関する事項\n"
        "二　再委託の制限に関する事項\n　イ　書面による承諾\n　ロ　再委託先の監督\n三　その他必要な事項\n"
        "２　前項の規定は、一の課が行う委託にも適用する。\n一部の事務は、この限りでない。\n第六条　以上。\n",
        doc_id="t",
    )
    assert keys(reg) == ["5", "5:1", "5:1:1", "5:1:2", "5:1:2:イ", "5:1:2:ロ", "5:1:3", "5:2", "6", "6:1"]
    assert reg.get("t:5:1:2").text == "再委託の制限に関する事項" and reg.get("t:5:1:2").marker == "二"
    assert reg.get("t:5:2").text.endswith("この限りでない。")  # 「一部の…」 is text, not item 1


def test_youryou_style_without_jo():
    reg = parse_text(
        "個人情報取扱要領\n\n第1 趣旨\nこの要領は、取扱いを定める。\n第2 定義\n1 この要領で使う用語は次のとおり。\n"
        "(1) 職員 市の職員\n(2) 媒体 USBメモリ等\n2 前項に定めない用語は規程による。\n第3 委任\n市長が定める。\n",
        doc_id="y",
    )
    assert [u.article for u in reg.articles()] == ["1", "2", "3"]
    assert reg.get("y:1").heading == "趣旨" and reg.get("y:1:1").text == "この要領は、取扱いを定める。"
    assert reg.paragraph_count("2") == 2 and reg.get("y:2:1").marker == "1"
    assert [u.item for u in reg.children(reg.get("y:2:1"))] == ["1", "2"]
    assert label(reg, reg.get("y:2:1:2")) == "個人情報取扱要領 第2第1項第2号"


def test_subitem_markers_of_every_kind():
    reg = parse_text(
        "第1条 次に掲げるもの\n(1) 媒体\nア USBメモリ\nイ 光ディスク\n(2) 書類\n① 申請書\n② 台帳\n"
        "(3) 機器\n1) パソコン\n２） サーバ\n(4) その他\n(ア) 写真\n(イ) 図面\n",
        doc_id="t",
    )
    subs = [u.subitem for u in reg.units if u.kind == "subitem"]
    assert subs == ["ア", "イ", "①", "②", "1", "2", "ア", "イ"]
    assert reg.get("t:1:1:3:2").text == "サーバ"


def test_heading_in_list_markup_after_item_list_and_skipped_paragraph_numbers():
    reg = parse_text(
        "第1条 職を置く。\n- (1) 管理者\n- (2) 担当者\n- (管理者)\n\n第2条 管理者は総括する。\n\n"
        "- 2 管理者は補佐する。\n- 4 管理者は報告する。\n",
        doc_id="t",
    )
    assert reg.get("t:2").heading == "管理者"
    assert reg.get("t:1:1:2").text == "担当者"
    assert [u.paragraph for u in reg.children(reg.get("t:2"))] == [1, 2, 4]


def test_page_break_joins_but_real_boundaries_stay():
    reg = parse_text(
        "第1条 職員は、アクセスを必\n\n要最小限とする。\n2 職員は、確認するとと\n\nもに、記録する。\n"
        "第2条 次の規定は第\n14条の規定による。\n(1) 規定の年\n1 回以上の点検\n",
        doc_id="t",
    )
    assert reg.get("t:1:1").text == "職員は、アクセスを必要最小限とする。"
    assert reg.get("t:1:2").text == "職員は、確認するとともに、記録する。"
    assert [u.article for u in reg.articles()] == ["1", "2"]
    assert reg.get("t:2:1").text == "次の規定は第14条の規定による。"
    assert reg.get("t:2:1:1").text == "規定の年1 回以上の点検"


def test_continuation_line_starting_with_an_article_reference_is_not_an_article():
    reg = parse_text(
        "第13条 保護管理者は、\n第14条の規定により記録する。\n第14条 職員は、守る。\n", doc_id="t"
    )
    assert [u.article for u in reg.articles()] == ["13", "14"]
    assert reg.get("t:13:1").text == "保護管理者は、第14条の規定により記録する。"


def test_chapters_sections_toc_suppl_notes_forms_and_trailer():
    text = (
        "○サンプル市情報管理規程\n令和2年3月31日訓令第9号\n\n目次\n第1章 総則（第1条・第2条）\n"
        "- 第1節 通則（第1条）\n第2章 管理（第3条）\n附則\n\n第1章 総則\n第1節 通則\n（趣旨）\n第1条 趣旨を定める。\n"
        "(令2訓令9・一部改正)\n第2条 定義は法による。\n第2章 管理\n第3条 管理する。\n\n附 則\nこの規程は、令和2年4月1日から施行する。\n"
        "附 則（令和4年3月31日訓令第5号）\nこの規程は、令和4年4月1日から施行する。\n様式第1号（第3条関係）\n管理簿\n番号\t氏名\n"
        "サンプル市情報管理規程\n沿革情報\n令和2年3月31日 訓令第9号\n"
    )
    reg = parse_text(text, doc_id="s")
    assert keys(reg) == ["1", "1:1", "2", "2:1", "3", "3:1", "suppl-1", "suppl-2", "form-1"]
    assert [(c["kind"], c["title"]) for c in reg.chapters] == [("章", "総則"), ("節", "通則"), ("章", "管理")]
    assert (
        reg.get("s:1").section == "通則"
        and reg.get("s:3").chapter == "管理"
        and reg.get("s:3").section is None
    )
    assert reg.get("s:1").notes == ["(令2訓令9・一部改正)"]
    assert reg.get("s:suppl-2").heading == "令和4年3月31日訓令第5号"
    assert reg.get("s:suppl-2").date == "令和4年3月31日"
    assert "番号\t氏名" in reg.get("s:form-1").text
    assert reg.trailer[1:] == ["沿革情報", "令和2年3月31日 訓令第9号"]
    assert len(reg.toc) == 5


def test_partial_text_that_stops_mid_article_parses_with_a_warning():
    reg = parse_text("第1条 この規程は、\n第2条 保護管理者は、次に掲げる\n(1) 漏えいの", doc_id="t")
    assert keys(reg)[-1] == "2:1:1"
    reg = parse_text("第1条 目的を定める。\n第2条 保護管理者は、漏えい等の事案を", doc_id="t")
    assert reg.warnings and "t:2:1" in reg.warnings[0]


@pytest.mark.parametrize(
    "text", ["", "   \n\n\t", "こんにちは。今日は晴れです。\n明日は雨です。", "第1章 総則\n"]
)
def test_text_that_is_not_a_regulation_gives_a_clear_error(text):
    with pytest.raises(CorpusParseError) as err:
        parse_text(text)
    assert "line" in str(err.value)


REGULATION_ALPHABET = st.sampled_from(
    list("第条の項号章節附則様式目次()（）「」、。 　\n-1234567890１２３一二三十アイウ①②")
    + [
        "第1条 ",
        "\n2 ",
        "\n(1) ",
        "\nア ",
        "\n附 則\n",
        "\n様式第1号\n",
        "\n(見出し)\n",
        "\n第1章 総則\n",
        "\n目次\n",
        "この規程は、施行する。",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(REGULATION_ALPHABET, max_size=60).map("".join) | st.text(max_size=300))
def test_parser_never_crashes_on_arbitrary_text(text):
    try:
        reg = parse_text(text, doc_id="x")
    except CorpusParseError as exc:
        assert exc.line >= 1
        return
    assert reg.articles()
    assert len({u.key for u in reg.units}) == len(reg.units)


def test_a_chapter_title_may_hold_a_comma():
    reg = parse_text(
        "○テスト市規程\n第1章 総則\n第1条 目的を定める。\n第2章 教育研修、点検及び監査\n第2条 研修を行う。\n"
        "第3条 第2章に規定する研修は、毎年行う。\n",
        doc_id="t",
    )
    assert [u.chapter for u in reg.articles()] == ["総則", "教育研修、点検及び監査", "教育研修、点検及び監査"]
    assert reg.get("t:3:1").text.startswith("第2章に規定する研修")
