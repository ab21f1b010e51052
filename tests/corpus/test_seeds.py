"""The two seed regulations, pinned clause by clause."""

from __future__ import annotations

import re

import pytest

from corpus.loader import BUNDLED_DIR, split_front_matter

KORIYAMA_PARAGRAPHS = {
    "1": 1,
    "2": 1,
    "3": 1,
    "4": 2,
    "4_2": 5,
    "4_3": 2,
    "5": 2,
    "6": 2,
    "7": 2,
    "7_2": 3,
    "8": 4,
    "9": 1,
    "10": 1,
    "11": 6,
    "12": 2,
    "13": 3,
    "14": 1,
    "15": 1,
    "16": 1,
    "17": 2,
    "17_2": 1,
    "18": 4,
    "19": 1,
    "19_2": 1,
    "20": 3,
    "21": 3,
    "22": 9,
    "23": 5,
    "24": 1,
    "25": 3,
    "26": 2,
    "27": 1,
    "28": 1,
    "29": 1,
    "30": 1,
    "31": 1,
}
MIMA_PARAGRAPHS = {
    "1": 1,
    "2": 1,
    "3": 1,
    "4": 1,
    "5": 1,
    "6": 3,
    "7": 1,
    "8": 2,
    "9": 1,
    "10": 1,
    "11": 1,
    "12": 1,
    "13": 3,
    "14": 1,
    "15": 1,
    "16": 1,
    "17": 1,
    "18": 1,
    "19": 2,
    "20": 4,
    "21": 3,
    "22": 4,
    "23": 2,
    "24": 5,
    "25": 4,
    "26": 1,
}


@pytest.mark.parametrize(
    ("doc", "expected"), [("koriyama-kijun", KORIYAMA_PARAGRAPHS), ("mima-kitei", MIMA_PARAGRAPHS)]
)
def test_article_keys_and_paragraph_counts(corpus, doc, expected):
    reg = corpus.doc(doc)
    assert [u.article for u in reg.articles()] == list(expected)
    assert {a: reg.paragraph_count(a) for a in expected} == expected


def test_paragraph_numbers_are_consecutive_in_the_seeds(corpus):
    for reg in corpus:
        for article in reg.articles():
            numbers = [u.paragraph for u in reg.children(article)]
            assert numbers == list(range(1, len(numbers) + 1)), article.key


def test_koriyama_22_1_has_the_nine_contract_items(corpus):
    reg = corpus.doc("koriyama-kijun")
    items = reg.children(reg.get("koriyama-kijun:22:1"))
    assert [u.item for u in items] == [str(n) for n in range(1, 10)]
    assert items[0].text == "個人情報に関する秘密保持、利用目的以外の目的のための利用の禁止等の義務"
    assert items[1].text.startswith("再委託（再委託先が委託先の子会社")
    assert items[8].text.endswith("業務従事者に対する監督・教育の状況に関すること。")
    assert reg.get("koriyama-kijun:22:1").text.endswith("必要な事項について書面で確認する。")
    assert corpus.label(items[1]) == "郡山市保有個人情報等の取扱基準 第22条第1項第2号"


def test_mima_2_has_fourteen_items_and_two_unmarked_subitems(corpus):
    reg = corpus.doc("mima-kitei")
    items = reg.children(reg.get("mima-kitei:2:1"))
    assert [u.item for u in items] == [str(n) for n in range(1, 15)]
    assert items[13].text.startswith("事務取扱担当者 保有個人情報等取扱規程第7条第2項")
    subitems = reg.children(items[0])
    assert [u.kind for u in subitems] == ["subitem", "subitem"]
    assert subitems[0].text.startswith("地方公務員法(昭和25年法律第261号)")
    assert subitems[0].text.endswith("市に勤務していた者")
    assert subitems[1].text == "個人番号関係事務に関して取り扱われる者"
    assert items[0].text == "職員等 次に掲げる者をいう。"
    assert corpus.label(items[0]) == "美馬市職員等の特定個人情報等取扱規程 第2条第1号"


def test_koriyama_supplementary_provisions_and_forms(corpus):
    reg = corpus.doc("koriyama-kijun")
    suppl = [u for u in reg.units if u.kind == "suppl"]
    assert [u.key for u in suppl] == [f"koriyama-kijun:suppl-{n}" for n in (1, 2, 3)]
    assert [u.date for u in suppl] == ["令和3年4月1日", "令和4年2月25日", "令和5年4月1日"]
    forms = [u for u in reg.units if u.kind == "form"]
    assert [u.key for u in forms] == [f"koriyama-kijun:form-{n}" for n in (1, 2, 3, 4)]
    assert "事務取扱担当者一覧（個人単位）" in forms[0].text
    assert "部\t課\t氏名\t役職\t事務\t備考" in forms[0].text
    assert "年度 特定個人情報等に関する監査計画" in forms[3].text
    assert forms[3].text.rstrip().endswith("取扱規程等の見直し等の措置を講ずることとする。")
    assert corpus.label(forms[2]) == "郡山市保有個人情報等の取扱基準 様式第3号"


def test_mima_supplementary_provisions_without_header_and_trailing_metadata(corpus):
    reg = corpus.doc("mima-kitei")
    suppl = [u for u in reg.units if u.kind == "suppl"]
    assert [u.text for u in suppl][0] == "この訓令は、平成28年1月1日から施行する。"
    assert [u.date for u in suppl] == ["平成28年1月1日", "令和3年4月1日", "令和5年3月17日"]
    assert (
        reg.get("mima-kitei:26:1").text
        == "この訓令に定めるもののほか、特定個人情報等の取扱いについて必要な事項は、市長が別に定める。"
    )
    assert "体系情報" in reg.trailer and "沿革情報" in reg.trailer
    assert not any("訓令第2号/議会訓令" in u.text for u in reg.units)


@pytest.mark.parametrize(
    ("key", "joined"),
    [
        ("koriyama-kijun:9:1", "事務取扱担当者に対して"),
        ("koriyama-kijun:13:1", "必要最小限の範囲に限る"),
        ("koriyama-kijun:21:2", "要求するとともに、必要があると認める"),
        ("koriyama-kijun:18:1", "端末及びサーバに内蔵"),
        ("koriyama-kijun:5:1:4", "第2条に規定する課の長"),
        ("koriyama-kijun:24:1", "同条第2項の規定による本人への通知"),
    ],
)
def test_lines_broken_by_page_breaks_are_joined(corpus, key, joined):
    assert joined in corpus.unit(key).text


def test_headings_in_list_markup_and_after_items(corpus):
    reg = corpus.doc("koriyama-kijun")
    assert reg.get("koriyama-kijun:4").heading == "総括保護管理者"
    assert reg.get("koriyama-kijun:8").heading == "事務取扱担当者の指定等"
    assert reg.get("koriyama-kijun:19_2").heading == "外的環境の把握"
    assert reg.get("koriyama-kijun:3:1:8").text == "事務取扱担当者"  # no heading glued onto the last item
    assert reg.get("koriyama-kijun:7_2:3:2").text.endswith("第23条から第25条までの規定")


def test_chapters_are_context_and_the_table_of_contents_is_not_a_unit(corpus):
    reg = corpus.doc("koriyama-kijun")
    assert [c["title"] for c in reg.chapters][:2] == ["総則", "管理体制"]
    assert len(reg.chapters) == 10
    assert reg.get("koriyama-kijun:23").chapter == "安全確保上の問題への対応"
    assert reg.toc[0] == "目次" and reg.toc[-1] == "附則" and len(reg.toc) == 12
    assert reg.preamble[0] == "郡山市保有個人情報等の取扱基準"


def _nonblank(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("doc", ["koriyama-kijun", "mima-kitei"])
def test_every_character_lands_in_exactly_one_place(corpus, doc):
    reg = corpus.doc(doc)
    _, body, _ = split_front_matter((BUNDLED_DIR / f"{doc}.txt").read_text(encoding="utf-8"))
    without_markup = "\n".join(re.sub(r"^\s*-\s+", "", line) for line in body.splitlines())
    assert _nonblank("".join(raw for _, raw in reg.trace)) == _nonblank(without_markup)

    owned: dict[str, str] = {}
    for owner, raw in reg.trace:
        owned[owner] = owned.get(owner, "") + raw
    for unit in reg.units:
        own = unit.marker + ("".join(unit.notes) if unit.kind == "article" else "") + unit.text
        if unit.kind == "suppl" and unit.heading and not unit.marker:
            own = f"({unit.heading})" + unit.text
        if unit.kind == "suppl" and unit.marker:
            own = owned[unit.key][: len(owned[unit.key]) - len(unit.text)] + unit.text
        assert sorted(_nonblank(own)) == sorted(_nonblank(owned.get(unit.key, ""))), unit.key
    unit_text = "".join(_nonblank(u.marker + u.text) for u in reg.units)
    assert len(unit_text) < len(
        _nonblank(without_markup)
    )  # headings, chapters and metadata are outside units
