"""Amendments: the clause-level difference between two versions, effective dates, and kept versions on disk.

The two versions are written here: the amendment adds 第4条, changes 第3条第2項 and removes 第2条第3号.
"""

from __future__ import annotations

import pytest

from corpus.amend import diff
from corpus.frontmatter import effective_date, iso_date
from corpus.loader import Corpus
from corpus.parser import parse_text
from corpus.versions import (
    Version,
    amended_since,
    archive,
    in_force,
    version_hash,
    version_record,
    versions_of,
)

HEAD = ["○サンプル市個人情報取扱規程", "令和2年3月31日訓令第5号"]
OLD = [
    *HEAD,
    "（趣旨）",
    "第1条 この規程は、サンプル市における個人情報の適正な取扱いに関し必要な事項を定めるものとする。",
    "（定義）",
    "第2条 この規程において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。",
    "(1) 個人情報 個人情報の保護に関する法律第2条第1項に規定する個人情報をいう。",
    "(2) 職員 市の職員をいう。",
    "(3) 課 市の課をいう。",
    "（漏えい等の報告）",
    "第3条 職員は、漏えい等の事案が発生したときは、直ちに保護管理者に報告しなければならない。",
    "2 保護管理者は、前項の報告を受けたときは、速やかに市長に報告しなければならない。",
    "附則",
    "この規程は、令和2年4月1日から施行する。",
]
NEW = [
    *HEAD,
    "令和6年3月29日一部改正",
    *OLD[2:8],
    *OLD[9:11],
    "2 保護管理者は、前項の報告を受けたときは、直ちに市長及び個人情報保護委員会に報告しなければならない。",
    "（委託）",
    "第4条 個人情報の取扱いを委託するときは、受託者に安全管理措置を講じさせなければならない。",
    "2 前項の受託者は、再委託をしてはならない。",
    *OLD[-2:],
    "附則（令和6年3月29日訓令第3号）",
    "この規程は、令和6年4月1日から施行する。",
]


def version(lines, doc="s"):
    return parse_text("\n".join(lines), doc_id=doc)


def test_the_difference_is_clause_by_clause():
    changes = diff(version(OLD), version(NEW))
    assert changes.keys() == {"added": ["s:4", "s:suppl-2"], "changed": ["s:3:2"], "removed": ["s:2:1:3"]}
    assert changes.summary() == "追加 2、変更 1、削除 1"
    article, suppl = changes.added
    assert (article.label, article.old) == ("第4条", None)
    assert article.new == ("（委託）\n個人情報の取扱いを委託するときは、受託者に安全管理措置を講じさせなければならない。\n"
                           "2 前項の受託者は、再委託をしてはならない。")
    assert (suppl.label, suppl.new) == ("附則（令和6年3月29日訓令第3号）", "この規程は、令和6年4月1日から施行する。")
    [changed] = changes.changed
    assert changed.label == "第3条第2項"
    assert changed.old == "保護管理者は、前項の報告を受けたときは、速やかに市長に報告しなければならない。"
    assert changed.new == "保護管理者は、前項の報告を受けたときは、直ちに市長及び個人情報保護委員会に報告しなければならない。"
    [removed] = changes.removed
    assert (removed.label, removed.old, removed.new) == ("第2条第3号", "課 市の課をいう。", None)


def test_a_changed_heading_is_a_change_of_the_article_and_the_same_text_is_no_change():
    renamed = [line.replace("（漏えい等の報告）", "（漏えい等事案の報告）") for line in OLD]
    changes = diff(version(OLD), version(renamed))
    assert changes.keys() == {"added": [], "changed": ["s:3"], "removed": []}
    assert (changes.changed[0].old, changes.changed[0].new) == ("（漏えい等の報告）", "（漏えい等事案の報告）")
    assert not diff(version(OLD), version(OLD))
    assert diff(version(NEW), version(OLD)).keys() == {"added": ["s:2:1:3"], "changed": ["s:3:2"],
                                                      "removed": ["s:4", "s:suppl-2"]}


def test_dates_in_front_matter_become_an_effective_date():
    assert iso_date("令和4年3月31日") == "2022-03-31"
    assert iso_date("令和元年５月１日") == "2019-05-01"
    assert iso_date("平成二十七年十二月二十四日") == "2015-12-24"
    assert iso_date("令和3年告示第12号") is None  # an amendment known by its year only
    assert effective_date({"enacted": "令和3年4月1日", "amended": ["令和4年2月25日", "令和5年3月30日"]}) == "2023-03-30"
    assert effective_date({"enacted": "令和3年4月1日", "amended": ["令和3年告示第12号"]}) == "2021-04-01"
    assert effective_date({"enacted": "令和3年4月1日", "effective": "2024-04-01"}) == "2024-04-01"
    assert effective_date({"title": "日付のない規程"}) is None


def test_the_version_in_force_is_the_latest_effective_on_or_before_the_day(tmp_path):
    kept = [Version("s", "2020-04-01", tmp_path / "a", False), Version("s", "2022-04-01", tmp_path / "b", False)]
    found = [*kept, Version("s", "2024-04-01", tmp_path / "c", True)]
    assert in_force(found, "2019-12-31") is None
    assert in_force(found, "2020-04-01") is kept[0]
    assert in_force(found, "2024-03-31") is kept[1]
    assert in_force(found, "2030-01-01") is found[-1]
    undated = [Version("s", None, tmp_path / "d", True)]
    assert in_force(undated, "1990-01-01") is undated[0]


def test_kept_versions_live_beside_the_corpus_and_are_not_loaded(tmp_path):
    regs = tmp_path / "regs"
    regs.mkdir()
    current = regs / "s.txt"
    current.write_text("---\nid: s\nenacted: 令和2年3月31日\n---\n" + "\n".join(OLD) + "\n", encoding="utf-8")
    kept = archive(current, regs, "s", "2020-03-31")
    assert kept == regs / "versions" / "s" / "2020-03-31.txt" and not current.exists()
    current.write_text("---\nid: s\neffective: 2024-03-29\n---\n" + "\n".join(NEW) + "\n", encoding="utf-8")
    corpus = Corpus.load(regs)
    assert list(corpus.regulations) == ["s"] and corpus.get("s:4:1") is not None
    assert corpus.doc("s").meta["effective"] == "2024-03-29"  # a YAML date is kept as text
    assert [(v.effective, v.current) for v in versions_of(regs, "s", current)] == [("2020-03-31", False),
                                                                                 ("2024-03-29", True)]
    with pytest.raises(Exception, match="already kept"):
        archive(current, regs, "s", "2020-03-31")


def test_a_report_records_the_version_and_learns_what_was_amended_since():
    old, new = version(OLD), version(NEW)
    record = version_record(old, ["s:3:2", "s:2:1:3", "s:1:1", "s:9:9"])
    assert record["doc"] == "s" and record["hash"] == version_hash(old) != version_hash(new)
    assert list(record["clauses"]) == ["s:3:2", "s:2:1:3", "s:1:1"]  # a key the text lacks is not recorded
    assert amended_since(record, old) == {}
    assert amended_since(record, new) == {"s:3:2": "changed", "s:2:1:3": "removed"}
