"""Cross-references inside clauses (前項, 第5条第2項, 前各号, 番号法第19条 …), resolved to clause keys."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.crossrefs import describe, references_in
from corpus.loader import Corpus, parse_file
from corpus.model import clause_text
from corpus.parser import parse_text

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def corpus():
    return Corpus.load()


def refs(reg, key):
    """(text, kind, keys without the document id, label) of one unit's references."""
    return [
        (r.text, r.kind, tuple(k.split(":", 1)[1] for k in r.keys), r.label) for r in reg.get(key).references
    ]


def regulation(*articles: str, extra: str = "") -> object:
    """A regulation with articles 1..N, each as given (None-like blanks become filler articles)."""
    lines = ["○テスト市個人情報取扱規程"]
    for number, body in enumerate(articles, start=1):
        lines.append(f"第{number}条 {body or '職員は、定めに従う。'}")
    return parse_text("\n".join(lines) + "\n" + extra, doc_id="t")


# -- the seeds -----------------------------------------------------------------------------------------


def test_koriyama_article_23_cites_only_its_paragraph_3(corpus):
    reg = corpus.doc("koriyama-kijun")
    found = references_in(reg, reg.get("koriyama-kijun:23"))
    assert [(r.text, r.keys, r.label, r.source) for r in found] == [
        ("前項", ("koriyama-kijun:23:3",), "第23条第3項", "koriyama-kijun:23:4")
    ]
    assert describe(corpus, found[0]) == "前項（第23条第3項）"
    text = clause_text(reg, reg.get("koriyama-kijun:23"))
    assert text[found[0].start : found[0].end] == "前項"


def test_koriyama_article_24_cites_the_law_and_every_paragraph_of_article_23(corpus):
    reg = corpus.doc("koriyama-kijun")
    assert refs(reg, "koriyama-kijun:24:1") == [
        ("法第68条第1項", "external", (), "法第68条第1項"),
        ("同条第2項", "external", (), "法第68条第2項"),
        ("前条第1項から第5項まで", "internal", ("23:1", "23:2", "23:3", "23:4", "23:5"), "第23条第1項から第5項まで"),
    ]
    same_article = reg.get("koriyama-kijun:24:1").references[1]
    assert same_article.instrument == "法" and describe(reg, same_article) == "同条第2項（法第68条第2項、他の法令）"


def test_koriyama_lists_ranges_and_branch_articles(corpus):
    reg = corpus.doc("koriyama-kijun")
    first = refs(reg, "koriyama-kijun:7_2:3:1")
    assert [(text, keys) for text, _, keys, _ in first] == [
        ("第8条", ("8",)),
        ("第9条", ("9",)),
        ("第11条第1項", ("11:1",)),
        ("第5項", ("11:5",)),  # 第11条第1項及び第5項
        ("第13条", ("13",)),
        ("第14条", ("14",)),
        ("第16条から第18条まで", ("16", "17", "17_2", "18")),
        ("第20条", ("20",)),
        ("第22条", ("22",)),
    ]
    second = refs(reg, "koriyama-kijun:7_2:3:2")
    assert second[0] == ("第3条から第7条の2まで", "internal", ("3", "4", "4_2", "4_3", "5", "6", "7", "7_2"),
                         "第3条から第7条の2まで")
    assert [(text, keys) for text, _, keys, _ in second[2:5]] == [
        ("第11条", ("11",)), ("第1項", ("11:1",)), ("第5項", ("11:5",))  # 第11条(第1項及び第5項を除く。)
    ]
    assert ("第19条の2", "internal", ("19_2",), "第19条の2") in second
    assert second[-1][:3] == ("第23条から第25条まで", "internal", ("23", "24", "25"))


def test_koriyama_paragraphs_items_and_forms(corpus):
    reg = corpus.doc("koriyama-kijun")
    assert refs(reg, "koriyama-kijun:21:3")[-1] == ("前 2 項", "internal", ("21:1", "21:2"), "第21条第1項及び第2項")
    assert refs(reg, "koriyama-kijun:22:1:2")[1:] == [
        ("本項", "internal", ("22:1",), "第22条第1項"),
        ("第 4 項", "internal", ("22:4",), "第22条第4項"),
    ]
    assert refs(reg, "koriyama-kijun:22:5") == [
        ("第1項", "internal", ("22:1",), "第22条第1項"),
        ("前項", "internal", ("22:4",), "第22条第4項"),
    ]
    assert [r[:3] for r in refs(reg, "koriyama-kijun:8:2")] == [
        ("様式第1号", "internal", ("form-1",)),
        ("様式第2号", "internal", ("form-2",)),
        ("前項", "internal", ("8:1",)),
    ]
    # The seed text has no 様式第5号 (its forms stop at 第4号): kept, but unresolved.
    assert refs(reg, "koriyama-kijun:29:1") == [("様式第5号", "unresolved", (), "様式第5号")]
    assert refs(reg, "koriyama-kijun:form-3") == [("第11条", "internal", ("11",), "第11条")]


def test_koriyama_other_instruments_are_never_its_own_articles(corpus):
    reg = corpus.doc("koriyama-kijun")
    external = [
        (u.key.split(":", 1)[1], r.text, r.instrument, r.label)
        for u in reg.units
        for r in u.references
        if r.kind == "external"
    ]
    assert external == [
        ("1:1", "第9条", "郡山市保有個人情報等の安全管理に関する要綱", "郡山市保有個人情報等の安全管理に関する要綱第9条"),
        ("4:1", "第2条", "郡山市副市長の事務分担等に関する規則", "郡山市副市長の事務分担等に関する規則第2条"),
        ("4_3:1", "第1条", "郡山市部設置条例", "郡山市部設置条例第1条"),
        ("5:1:1", "第7条", "郡山市行政組織規則", "郡山市行政組織規則第7条"),
        ("5:1:1", "第8条", "郡山市行政組織規則", "郡山市行政組織規則第8条"),  # …第7条に規定する課、第8条に規定する会計課
        ("5:1:2", "第2条", "郡山市教育委員会事務局等組織規則", "郡山市教育委員会事務局等組織規則第2条"),
        ("5:1:4", "第2条", "郡山市上下水道局管理規程", "郡山市上下水道局管理規程第2条"),
        ("11:2", "番号法第29条の2", "番号法", "番号法第29条の2"),
        ("21:1", "法第 69 条第 2 項第 3 号", "法", "法第69条第2項第3号"),
        ("21:1", "第 4 号", "法", "法第69条第2項第4号"),
        ("21:1", "法第 70 条", "法", "法第70条"),
        ("21:2", "法第 69 条第 2 項第 3 号", "法", "法第69条第2項第3号"),
        ("21:2", "第 4 号", "法", "法第69条第2項第4号"),
        ("21:2", "法第 70 条", "法", "法第70条"),
        ("21:3", "法第 69 条第 2 項第 3 号", "法", "法第69条第2項第3号"),
        ("21:3", "法第 70 条", "法", "法第70条"),
        ("22:1:2", "第 2 条第 1 項第 3 号", "会社法", "会社法第2条第1項第3号"),
        ("22:8", "番号法第28条", "番号法", "番号法第28条"),
        ("24:1", "法第68条第1項", "法", "法第68条第1項"),
        ("24:1", "同条第2項", "法", "法第68条第2項"),
        ("25:1", "法第68条第1項", "法", "法第68条第1項"),
        ("25:1", "同条第2項", "法", "法第68条第2項"),
        ("30:1", "サイバーセキュリティ基本法第 26 条第 1 項第 2 号", "サイバーセキュリティ基本法",
         "サイバーセキュリティ基本法第26条第1項第2号"),
    ]
    number_act = reg.get("koriyama-kijun:11:2").references[0]
    assert number_act.instrument_full == "行政手続における特定の個人を識別するための番号の利用等に関する法律"


def test_mima_every_other_instrument_with_its_name(corpus):
    reg = corpus.doc("mima-kitei")
    number_act = "行政手続における特定の個人を識別するための番号の利用等に関する法律"
    own_rules, council = "美馬市保有個人情報等取扱規程", "美馬市議会の個人情報の保護に関する条例"
    digital = "デジタル社会の形成を図るための関係法律の整備に関する法律"
    external = [
        (u.key.split(":", 1)[1], r.text, r.instrument, r.instrument_full, r.label)
        for u in reg.units
        for r in u.references
        if r.kind == "external"
    ]
    assert external == [
        ("2:1:1:1", "第3条第2項", "地方公務員法", None, "地方公務員法第3条第2項"),
        ("2:1:1:1", "同条第3項", "地方公務員法", None, "地方公務員法第3条第3項"),
        ("2:1:2", "第2条第1項", "個人情報の保護に関する法律", None, "個人情報の保護に関する法律第2条第1項"),
        ("2:1:2", "第2条第1項", council, None, f"{council}第2条第1項"),
        ("2:1:3", "法第2条第5項", "法", number_act, "法第2条第5項"),
        ("2:1:4", "法第2条第8項", "法", number_act, "法第2条第8項"),
        ("2:1:4", "議会個人情報保護条例第2条第10項", "議会個人情報保護条例", council, "議会個人情報保護条例第2条第10項"),
        ("2:1:5", "保護法第60条第2項", "保護法", "個人情報の保護に関する法律", "保護法第60条第2項"),
        ("2:1:5", "議会個人情報保護条例第2条第5項", "議会個人情報保護条例", council, "議会個人情報保護条例第2条第5項"),
        ("2:1:6", "法第2条第9項", "法", number_act, "法第2条第9項"),
        ("2:1:9", "保有個人情報等取扱規程第3条", "保有個人情報等取扱規程", own_rules, "保有個人情報等取扱規程第3条"),
        ("2:1:10", "保有個人情報等取扱規程第4条", "保有個人情報等取扱規程", own_rules, "保有個人情報等取扱規程第4条"),
        ("2:1:11", "保有個人情報等取扱規程第5条", "保有個人情報等取扱規程", own_rules, "保有個人情報等取扱規程第5条"),
        ("2:1:13", "保有個人情報等取扱規程第7条第1項", "保有個人情報等取扱規程", own_rules,
         "保有個人情報等取扱規程第7条第1項"),
        ("2:1:14", "保有個人情報等取扱規程第7条第2項", "保有個人情報等取扱規程", own_rules,
         "保有個人情報等取扱規程第7条第2項"),
        ("2:1:14", "同条第3項第2号", "保有個人情報等取扱規程", own_rules, "保有個人情報等取扱規程第7条第3項第2号"),
        ("suppl-3", "附則第1条第7号", digital, None, f"{digital}附則第1条第7号"),
        ("suppl-3", "同法第51条", digital, None, f"{digital}第51条"),
    ]
    assert describe(reg, reg.get("mima-kitei:2:1:3").references[0]) == f"法第2条第5項（他の法令: {number_act}）"


def test_mima_items_named_all_at_once(corpus):
    reg = corpus.doc("mima-kitei")
    lead = refs(reg, "mima-kitei:2:1")
    assert [(text, len(keys), label) for text, _, keys, label in lead] == [
        ("次の各号", 14, "第2条第1号から第14号まで"),
        ("当該各号", 14, "第2条第1号から第14号まで"),
    ]
    catch_all = refs(reg, "mima-kitei:4:1:7")
    assert catch_all == [("前各号", "internal", tuple(f"4:1:{i}" for i in range(1, 7)), "第4条第1号から第6号まで")] * 2
    assert refs(reg, "mima-kitei:6:1")[0][2] == ("6:1:1", "6:1:2", "6:1:3")
    assert refs(reg, "mima-kitei:23:2") == [("前項", "internal", ("23:1",), "第23条第1項")]
    assert {r[2] for key in ("6:1:3", "21:1", "21:2", "22:1", "24:1") for r in refs(reg, f"mima-kitei:{key}")} == {
        ("4",)
    }


def test_how_many_references_each_seed_has(corpus):
    counts = {reg.id: Counter(r.kind for u in reg.units for r in u.references) for reg in corpus}
    assert counts == {
        "koriyama-kijun": Counter(internal=37, external=23, unresolved=1),
        "mima-kitei": Counter(internal=12, external=18),
    }


# -- every form, in hand-written regulations ------------------------------------------------------------


def test_relative_paragraphs_and_articles():
    reg = regulation(
        "職員は、記録を作成する。\n2 前項の記録は、保存する。\n3 前二項の規定は、委託先に準用する。\n"
        "4 前3項の規定にかかわらず、次項の場合は除く。\n5 前各項の規定は、本項に定めるもののほかとする。",
        "前条第2項の記録は、次条の規定による。",
        "",
    )
    assert refs(reg, "t:1:2") == [("前項", "internal", ("1:1",), "第1条第1項")]
    assert refs(reg, "t:1:3") == [("前二項", "internal", ("1:1", "1:2"), "第1条第1項及び第2項")]
    assert refs(reg, "t:1:4") == [
        ("前3項", "internal", ("1:1", "1:2", "1:3"), "第1条第1項から第3項まで"),
        ("次項", "internal", ("1:5",), "第1条第5項"),
    ]
    assert refs(reg, "t:1:5") == [
        ("前各項", "internal", ("1:1", "1:2", "1:3", "1:4"), "第1条第1項から第4項まで"),
        ("本項", "internal", ("1:5",), "第1条第5項"),
    ]
    assert refs(reg, "t:2:1") == [
        ("前条第2項", "internal", ("1:2",), "第1条第2項"),
        ("次条", "internal", ("3",), "第3条"),
    ]
    first = regulation("前条の規定により、前項のとおりとする。")
    assert [r[1] for r in refs(first, "t:1:1")] == ["unresolved", "unresolved"]


def test_items_before_next_and_named():
    reg = regulation(
        "職員は、次に掲げる事項を守る。\n(1) 秘密を守ること。\n(2) 前号の秘密を記録すること。\n"
        "(3) 前二号に掲げるもののほか、次号及び第1号の趣旨に沿うこと。\n(4) 前各号に掲げるもののほか、同号の例による。\n"
        "2 前各号の事項は、課長が確認する。\n3 第1項第2号の記録は、前項各号の例による。"
    )
    assert refs(reg, "t:1:1:2") == [("前号", "internal", ("1:1:1",), "第1条第1項第1号")]
    assert refs(reg, "t:1:1:3") == [
        ("前二号", "internal", ("1:1:1", "1:1:2"), "第1条第1項第1号及び第2号"),
        ("次号", "internal", ("1:1:4",), "第1条第1項第4号"),
        ("第1号", "internal", ("1:1:1",), "第1条第1項第1号"),
    ]
    assert refs(reg, "t:1:1:4") == [
        ("前各号", "internal", ("1:1:1", "1:1:2", "1:1:3"), "第1条第1項第1号から第3号まで"),
        ("同号", "internal", ("1:1:4",), "第1条第1項第4号"),  # no 号 cited before: the item itself
    ]
    # 前各号 in a paragraph that follows a list: the items just printed, those of paragraph 1.
    assert refs(reg, "t:1:2") == [
        ("前各号", "internal", ("1:1:1", "1:1:2", "1:1:3", "1:1:4"), "第1条第1項第1号から第4号まで")
    ]
    # 前項各号: paragraph 2 has no items, so nothing to point at.
    assert refs(reg, "t:1:3") == [
        ("第1項第2号", "internal", ("1:1:2",), "第1条第1項第2号"),
        ("前項各号", "internal", ("1:2",), "第1条第2項各号"),
    ]


def test_the_lead_sentence_names_its_own_items():
    reg = regulation("この規程において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。\n(1) 職員 市の職員\n(2) 媒体 USBメモリ")
    assert [(r[0], r[2]) for r in refs(reg, "t:1:1")] == [("次の各号", ("1:1:1", "1:1:2")), ("当該各号", ("1:1:1", "1:1:2"))]


def test_same_article_paragraph_and_item_follow_the_last_citation():
    reg = regulation("", "", "", "", "職員は、届け出る。\n2 課長は、確認する。\n3 課長は、記録する。",
                     "第5条第1項の届出については、同条第2項の確認を経て、同項の規定による。",
                     "同条の規定は、第2条第1項及び第3条から第5条までに準用し、同項の例による。")
    assert refs(reg, "t:6:1") == [
        ("第5条第1項", "internal", ("5:1",), "第5条第1項"),
        ("同条第2項", "internal", ("5:2",), "第5条第2項"),
        ("同項", "internal", ("5:2",), "第5条第2項"),
    ]
    assert refs(reg, "t:7:1") == [
        ("同条", "internal", ("7",), "第7条"),  # nothing cited before it: the article itself
        ("第2条第1項", "internal", ("2:1",), "第2条"),  # 第2条 has one paragraph: cited without 第1項
        ("第3条から第5条まで", "internal", ("3", "4", "5"), "第3条から第5条まで"),
        ("同項", "internal", ("2:1",), "第2条"),
    ]


def test_lists_of_articles_paragraphs_and_items():
    reg = regulation(
        "", "", "次に掲げる者\n(1) 甲\n(2) 乙\n(3) 丙\n2 課長は、確認する。", "",
        "職員は、届け出る。\n2 課長は、確認する。\n3 課長は、記録する。",
        "第1条及び第2条、第4条又は第3条第1項第1号から第3号まで並びに第5条第1項及び第2項に定めるところによる。"
        "第1項から第3項までも同様とする。\n2 第3条第1項第1号若しくは第2号又は第3号による。\n3 第3条第2項及び第1号による。",
    )
    assert [(r[0], r[2]) for r in refs(reg, "t:6:1")] == [
        ("第1条", ("1",)),
        ("第2条", ("2",)),
        ("第4条", ("4",)),
        ("第3条第1項第1号から第3号まで", ("3:1:1", "3:1:2", "3:1:3")),
        ("第5条第1項", ("5:1",)),
        ("第2項", ("5:2",)),
        ("第1項から第3項まで", ("6:1", "6:2", "6:3")),  # its own article's paragraphs
    ]
    assert [(r[0], r[2]) for r in refs(reg, "t:6:2")] == [
        ("第3条第1項第1号", ("3:1:1",)),
        ("第2号", ("3:1:2",)),
        ("第3号", ("3:1:3",)),
    ]
    # 第N号 after 第3条第2項 (which names no item) is an item of this paragraph, which has none.
    assert [(r[0], r[1]) for r in refs(reg, "t:6:3")] == [("第3条第2項", "internal"), ("第1号", "unresolved")]


def test_branch_articles_kanji_and_full_width_numbers():
    reg = parse_text(
        "第一条 目的を定める。\n第二条 第四条の二及び第２条第１項の規定による。\n第三条 第三条の二から第四条の二までを除く。\n"
        "第三条の二 甲\n第四条 乙\n第四条の二 丙\n２ 第十一条の規定による。\n第四条の三 丁\n",
        doc_id="t",
    )
    assert refs(reg, "t:2:1") == [
        ("第四条の二", "internal", ("4_2",), "第4条の2"),
        ("第２条第１項", "internal", ("2:1",), "第2条"),  # a single-paragraph article is cited without 第1項
    ]
    assert refs(reg, "t:3:1") == [("第三条の二から第四条の二まで", "internal", ("3_2", "4", "4_2"), "第3条の2から第4条の2まで")]
    assert refs(reg, "t:4_2:2") == [("第十一条", "unresolved", (), "第11条")]  # no such article


def test_forms_and_tables():
    reg = regulation(
        "申請は、様式第2号により行う。ただし、様式第９号及び別表第1に定めるものを除く。",
        "手数料は、別表に定める額とし、条例別表第2の区分による。",
        extra="様式第1号（第1条関係）\n申請書\n様式第2号（第1条関係）\n届出書\n",
    )
    assert refs(reg, "t:1:1") == [
        ("様式第2号", "internal", ("form-2",), "様式第2号"),
        ("様式第９号", "unresolved", (), "様式第9号"),
        ("別表第1", "table", (), "別表第1"),
    ]
    assert refs(reg, "t:2:1") == [("別表", "table", (), "別表"), ("条例別表第2", "external", (), "条例別表第2")]
    assert refs(reg, "t:form-1") == [("第1条", "internal", ("1",), "第1条")]
    assert describe(reg, reg.get("t:2:1").references[0]) == "別表（別表は未収録）"


OTHER_INSTRUMENTS = [
    ("法第19条", "法"),
    ("番号法第19条", "番号法"),
    ("個人情報保護法第68条", "個人情報保護法"),
    ("行政手続における特定の個人を識別するための番号の利用等に関する法律第19条",
     "行政手続における特定の個人を識別するための番号の利用等に関する法律"),
    ("施行令第3条", "施行令"),
    ("条例第5条", "条例"),
    ("規則第2条", "規則"),
    ("要綱第9条", "要綱"),
    ("テスト市文書取扱規程第3条", "テスト市文書取扱規程"),
    ("情報セキュリティポリシー第4条", "情報セキュリティポリシー"),
]


@pytest.mark.parametrize(("written", "instrument"), OTHER_INSTRUMENTS)
def test_another_instruments_article_is_never_the_citys_own(written, instrument):
    reg = regulation(*[""] * 18, f"職員は、{written}の規定により提供する。", "")
    (ref,) = reg.get("t:19:1").references
    assert (ref.text, ref.kind, ref.keys, ref.instrument) == (written, "external", (), instrument)
    assert ref.label == written and describe(reg, ref) == f"{written}（他の法令）"


def test_other_instruments_short_names_lists_and_quotes():
    reg = regulation(
        "この規程は、行政手続における特定の個人を識別するための番号の利用等に関する法律（平成25年法律第27号。"
        "以下「番号法」という。）の施行に関し必要な事項を定める。",
        "この規程において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。\n"
        "(1) 法 個人情報の保護に関する法律（平成15年法律第57号）をいう。\n"
        "(2) 提供 法第27条第1項に規定する「第5条の規定による提供」をいう。",
        "職員は、番号法第19条及び第20条、法第69条第2項第3号又は第4号並びにこの規程第1条によるほか、"
        "同法第5条から第7条までの例による。",
        *[""] * 17,
    )
    assert refs(reg, "t:2:1:2") == [
        ("法第27条第1項", "external", (), "法第27条第1項"),
        ("第5条", "external", (), "法第5条"),  # quoted text of another law
    ]
    assert reg.get("t:2:1:2").references[0].instrument_full == "個人情報の保護に関する法律"
    assert refs(reg, "t:3:1") == [
        ("番号法第19条", "external", (), "番号法第19条"),
        ("第20条", "external", (), "番号法第20条"),
        ("法第69条第2項第3号", "external", (), "法第69条第2項第3号"),
        ("第4号", "external", (), "法第69条第2項第4号"),
        ("第1条", "internal", ("1",), "第1条"),  # この規程第1条
        ("同法第5条から第7条まで", "external", (), "法第5条から第7条まで"),
    ]
    assert reg.get("t:3:1").references[0].instrument_full == (
        "行政手続における特定の個人を識別するための番号の利用等に関する法律"
    )


def test_definition_with_toha_defines_a_short_name():
    reg = regulation("この規程において「条例」とは、テスト市個人情報保護法施行条例をいう。", "条例第5条による。")
    (ref,) = reg.get("t:2:1").references
    assert (ref.instrument, ref.instrument_full) == ("条例", "テスト市個人情報保護法施行条例")


def test_youryou_style_cites_without_jo():
    reg = parse_text(
        "テスト要領\n第1 趣旨\nこの要領は、取扱いを定める。\n第2 申請\n1 様式第1号により申請する。\n"
        "第3 審査\n1 課長は、第2の申請を審査する。\n2 前項の審査は、第三者に委ねない。\n",
        doc_id="y",
    )
    assert refs(reg, "y:3:1") == [("第2", "internal", ("2",), "第2")]
    assert refs(reg, "y:3:2") == [("前項", "internal", ("3:1",), "第3第1項")]


def test_instrument_numbers_and_chapters_are_not_references():
    reg = regulation(
        "この規程は、テスト市行政組織規則（平成6年テスト市規則第6号）第7条及び第3章に規定する課に適用する。"
    )
    assert refs(reg, "t:1:1") == [("第7条", "external", (), "テスト市行政組織規則第7条")]


# -- properties and the outside view ----------------------------------------------------------------------


def _every_reference_holds(reg):
    for unit in reg.units:
        for ref in unit.references:
            assert unit.text[ref.start : ref.end] == ref.text and ref.source == unit.key
            assert all(reg.get(key) is not None for key in ref.keys)
            assert (ref.kind == "internal") == bool(ref.keys)
            assert (ref.kind == "external") == (ref.instrument is not None)
        if unit.kind in {"article", "paragraph", "item"}:
            whole = clause_text(reg, unit)
            for ref in references_in(reg, unit):
                assert whole[ref.start : ref.end] == ref.text


def test_every_reference_is_in_its_text_and_every_key_exists(corpus):
    for reg in corpus:
        _every_reference_holds(reg)
    for path in sorted(FIXTURES.glob("*.txt")):
        _every_reference_holds(parse_file(path))


PIECES = ["第", "1", "２", "三", "条", "項", "号", "の2", "前", "次", "同", "各号", "及び", "、", "から", "まで",
          "法", "番号法", "条例", "（", "）", "「", "」", "様式", "別表", "附則", "。", "\n2 ", "\n(1) ", " "]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40))
def test_any_text_yields_references_that_hold(pieces):
    text = "第1条 " + "".join(pieces) + "\n第2条 甲\n2 乙\n第3条 丙\n"
    _every_reference_holds(parse_text(text, doc_id="h"))


def test_references_are_part_of_the_json_units(corpus):
    unit = corpus.get("koriyama-kijun:23:4").to_dict()
    assert unit["references"] == [
        {"text": "前項", "start": 9, "end": 11, "keys": ["koriyama-kijun:23:3"], "kind": "internal",
         "label": "第23条第3項", "instrument": None, "instrument_full": None, "source": "koriyama-kijun:23:4"}
    ]
    json.dumps(corpus.doc("mima-kitei").to_dict(), ensure_ascii=False)


def test_corpus_show_lists_the_references():
    hogo = str(Path(sys.executable).with_name("hogo"))
    result = subprocess.run([hogo, "corpus", "show", "koriyama-kijun:24"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "参照: 法第68条第1項（他の法令）、同条第2項（法第68条第2項、他の法令）、"
        "前条第1項から第5項まで → 第23条第1項から第5項まで (koriyama-kijun:23:1 … koriyama-kijun:23:5)"
    )
