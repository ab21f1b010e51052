"""Incident decisions: tables of facts → expected decisions, run through the same path as
`hogo flow run incident` (FlowService.run) against the real flow files and corpus."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.dialogue.engine import FlowService
from bot.store import Store

BASE = {
    "scope": "koriyama-kijun",
    "discovered_at": "2026-04-01T10:00:00+09:00",
    "event_type": "leak",
    "media": ["paper"],
    "summary": "住民1名分の通知書を別の住民に誤送付した",
    "data_items": ["name", "address"],
    "affected_count": 1,
    "contains_my_number": "no",
    "sensitive": "no",
    "ordinance_sensitive": "no",
    "financial_risk": "no",
    "malicious": "no",
    "publicly_viewable": "no",
    "contractor_involved": "no",
    "containment": "誤送付先から回収した",
    "cause": "封入時の確認漏れ",
    "secondary_damage": "なし",
    "individuals_notified": "yes",
    "publication": "no",
    "prevention": "封入時のダブルチェック",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory, library, corpus):
    service = FlowService(Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'hogo.sqlite3'}"), library, corpus)

    def go(**changes):
        answers = {**BASE, **changes}
        answers = {k: v for k, v in answers.items() if v is not None}
        report, _warnings = service.run("incident", answers)
        return report.data

    go.service = service
    return go


# (id, changes, expected triggers) -------------------------------------------------------------------
TRIGGERS = [
    ("nothing fires", {}, []),
    ("sensitive", {"sensitive": "yes"}, ["sensitive"]),
    ("financial", {"financial_risk": "yes"}, ["financial"]),
    ("malicious", {"malicious": "yes"}, ["malicious"]),
    ("exactly 100 is not over 100", {"affected_count": 100}, []),
    ("101 people", {"affected_count": 101}, ["over_100"]),
    ("count as text with unit", {"affected_count": "約150人"}, ["over_100"]),
    ("ordinance sensitive", {"ordinance_sensitive": "yes"}, ["ordinance_sensitive"]),
    ("unknown sensitivity counts as yes", {"sensitive": "unknown"}, ["sensitive"]),
    ("unknown count counts as over 100", {"affected_count": "unknown"}, ["over_100"]),
    ("several at once", {"sensitive": "yes", "malicious": "yes", "affected_count": 5000},
     ["sensitive", "malicious", "over_100"]),
    ("my number in a system, one person",
     {"contains_my_number": "yes", "my_number_system": "yes"}, ["my_number_system"]),
    ("my number on paper to one person is not reportable",
     {"contains_my_number": "yes", "my_number_system": "no"}, []),
    ("my number posted online", {"contains_my_number": "yes", "my_number_system": "no", "publicly_viewable": "yes"},
     ["my_number_public"]),
    ("my number, improper purpose", {"contains_my_number": "yes", "my_number_system": "no", "malicious": "yes"},
     ["malicious", "my_number_malicious"]),
    ("my number, over 100", {"contains_my_number": "yes", "my_number_system": "no", "affected_count": 300},
     ["over_100", "my_number_over_100"]),
    ("unsure about my number: treated as yes",
     {"contains_my_number": "unknown", "my_number_system": "unknown"}, ["my_number_system"]),
    ("publicly viewable without my number is not a trigger", {"publicly_viewable": "yes"}, []),
    ("my_number_system ignored when no my number", {"my_number_system": "yes"}, []),
]


@pytest.mark.parametrize(("changes", "expected"), [t[1:] for t in TRIGGERS], ids=[t[0] for t in TRIGGERS])
def test_triggers(run, changes, expected):
    report = run(**changes)
    assert report["ppc_triggers"] == expected
    assert report["ppc_report_required"] is bool(expected)
    assert report["notify_individuals"] is bool(expected)
    assert report["deadlines"]["final"]["required"] is bool(expected)
    if not expected:
        assert report["deadlines"]["final"]["by"] is None


def test_my_number_route_paper_vs_system(run):
    paper = run(contains_my_number="yes", my_number_system="no")["my_number_route"]
    system = run(contains_my_number="yes", my_number_system="yes")["my_number_route"]
    none = run()["my_number_route"]
    assert paper["applies"] and not paper["report_required"]
    assert system["applies"] and system["report_required"] and system["triggers"] == ["my_number_system"]
    assert not none["applies"] and not none["report_required"]
    assert "含まれるものとして" in run(contains_my_number="unknown", my_number_system="no")["my_number_route"]["note"]


@pytest.mark.parametrize(
    ("changes", "required", "would_have"),
    [
        ({"media": ["usb"], "sensitive": "yes", "affected_count": 500, "strongly_encrypted": "yes"},
         False, ["sensitive", "over_100"]),
        ({"media": ["usb"], "sensitive": "yes", "strongly_encrypted": "no"}, True, []),
        ({"media": ["usb"], "sensitive": "yes", "strongly_encrypted": "unknown"}, True, []),
        ({"media": ["pc"], "contains_my_number": "yes", "my_number_system": "yes", "strongly_encrypted": "yes"},
         False, ["my_number_system"]),
        # paper cannot be encrypted: the question is not asked and an answer to it is ignored
        ({"media": ["paper"], "sensitive": "yes", "strongly_encrypted": "yes"}, True, []),
    ],
)
def test_strong_encryption_exception(run, changes, required, would_have):
    report = run(**changes)
    assert report["ppc_report_required"] is required
    assert report["encryption_exception"]["would_have_fired"] == would_have
    assert report["encryption_exception"]["applied"] is (changes.get("strongly_encrypted") == "yes"
                                                         and changes["media"] != ["paper"])


def test_unknowns_that_drove_a_decision_are_reported(run):
    report = run(media=["usb"], sensitive="unknown", strongly_encrypted="unknown", affected_count="unknown")
    drove = {u["field"]: u["drove"] for u in report["unknowns"]}
    assert drove["sensitive"] == ["sensitive"]
    assert drove["affected_count"] == ["over_100"]
    assert drove["strongly_encrypted"] == ["encryption_exception_not_applied"]
    assert {t["id"]: t["from_unknown"] for t in report["triggers"]}["over_100"] == ["affected_count"]
    assert "本人の数" in report["missing_items"]


def test_fields_left_out_count_as_unknown(run):
    report = go_minimal(run)
    assert set(report["ppc_triggers"]) >= {"sensitive", "financial", "malicious", "over_100", "my_number_system"}
    assert {u["field"] for u in report["unknowns"]} >= {"sensitive", "malicious", "contains_my_number"}
    assert "原因" in report["missing_items"]


def go_minimal(run):
    report, _warnings = run.service.run("incident", {"scope": "mima-kitei", "discovered_at": "2026-06-10",
                                                    "summary": "書類を紛失した"})
    return report.data


# deadlines: the day of knowledge is not counted (初日不算入); 30 days, 60 for an improper purpose -----------
DEADLINES = [
    ("2026-04-01T10:00:00+09:00", "no", "2026-05-01", 30),  # the example in the guidance
    ("2026-04-01T10:00:00+09:00", "yes", "2026-05-31", 60),
    ("2026-01-31T09:00:00+09:00", "no", "2026-03-02", 30),  # across February
    ("2026-12-15T09:00:00+09:00", "no", "2027-01-14", 30),  # across the year end
    ("2026-12-31T23:59:00+09:00", "yes", "2027-03-01", 60),
    ("2028-01-30T09:00:00+09:00", "no", "2028-02-29", 30),  # leap year
    ("2026-03-31T20:00:00+00:00", "no", "2026-05-01", 30),  # 05:00 on 1 April in Japan
    ("2026-04-01", "no", "2026-05-01", 30),  # a date alone is a day in Japan
    ("2026/4/1 23:30", "no", "2026-05-01", 30),
]


@pytest.mark.parametrize(("discovered", "malicious", "by", "days"), DEADLINES)
def test_final_report_deadline(run, discovered, malicious, by, days):
    report = run(discovered_at=discovered, malicious=malicious, affected_count=200)
    final = report["deadlines"]["final"]
    assert (final["by"], final["days"]) == (by, days)
    assert report["deadlines"]["preliminary"]["note"] == "速やかに（目安: 3〜5日以内）"


def test_preliminary_guide_dates(run):
    prelim = run(affected_count=200)["deadlines"]["preliminary"]
    assert (prelim["guide_from"], prelim["guide_to"]) == ("2026-04-04", "2026-04-06")


def test_my_number_improper_purpose_extends_to_60_days(run):
    report = run(contains_my_number="yes", my_number_system="yes", malicious="unknown")
    assert report["deadlines"]["final"]["days"] == 60
    assert report["deadlines"]["final"]["extended_by"] == ["malicious", "my_number_malicious"]


# the city's own rules ------------------------------------------------------------------------------------

def test_internal_chain_always_required_even_when_no_ppc_report(run):
    report = run()
    assert not report["ppc_report_required"]
    assert [c["key"] for c in report["internal_chain"]][:1] == ["koriyama-kijun:23:1"]
    assert report["internal_chain"][0]["role"] == "事案を認識した職員"
    assert {a["key"] for a in report["when_not_reportable"]} == {"koriyama-kijun:25:1", "koriyama-kijun:25:2"}
    assert report["ppc_report_by"] is None


def test_reportable_case_names_who_reports_to_the_ppc(run):
    report = run(sensitive="yes")
    assert report["ppc_report_by"]["key"] == "koriyama-kijun:24"
    assert "koriyama-kijun:24" in report["citations"]
    assert report["when_not_reportable"] == []
    assert {s["key"] for s in report["immediate_steps"]} >= {"koriyama-kijun:23:2", "koriyama-kijun:23:5"}


def test_mima_chain_comes_from_its_own_regulation(run):
    report = run(scope="mima-kitei", sensitive="yes")
    assert [c["key"] for c in report["internal_chain"]] == ["mima-kitei:8:1", "mima-kitei:8:2"]
    assert all(k.startswith("mima-kitei:") for k in report["citations"])
    assert report["body_name"] == "美馬市長"


@pytest.mark.parametrize(("scope", "key"), [("koriyama-kijun", "koriyama-kijun:25:2"), ("mima-kitei", "mima-kitei:25:3")])
def test_contractor_leak(run, scope, key):
    report = run(scope=scope, contractor_involved="yes", contractor_name="株式会社サンプル印刷",
                 contractor_notified_at="2026-04-02T09:00", contains_my_number="yes", my_number_system="yes")
    contractor = report["contractor"]
    assert contractor["involved"] and contractor["name"] == "株式会社サンプル印刷"
    assert contractor["notified_at"] == "2026-04-02T09:00+09:00"
    assert key in {a["key"] for a in contractor["actions"]}
    assert key in report["citations"]
    assert "委託元である自治体が報告" in report["my_number_route"]["note"]
    # the clock runs from when the city learned of it, not from the contractor's later notice
    assert report["deadlines"]["known_on"] == "2026-04-01"


def test_no_contractor_section_without_contractor(run):
    report = run()
    assert report["contractor"] == {"involved": False, "name": None, "notified_at": None, "actions": []}


def test_report_items_and_missing(run):
    full = run()
    assert [i["name"] for i in full["report_items"]][:3] == ["概要", "漏えい等が発生し又は発生したおそれがある保有個人情報の項目", "本人の数"]
    assert len(full["report_items"]) == 9
    assert full["missing_items"] == []
    partial = run(cause="調査中", prevention=None, secondary_damage="不明")
    assert partial["missing_items"] == ["原因", "二次被害又はそのおそれの有無及びその内容", "再発防止のための措置"]


def test_every_cited_key_exists(run, corpus):
    for changes in ({}, {"sensitive": "yes", "contractor_involved": "yes", "contains_my_number": "yes"},
                    {"scope": "mima-kitei", "contractor_involved": "yes"}):
        report = run(**changes)
        for key in report["citations"]:
            corpus.unit(key)


def test_my_number_in_free_text_is_masked_in_report_and_database(run):
    report = run(summary="番号 1234 5678 9018 の通知書を誤送付", cause="123456789018 を誤入力")
    assert "9018" not in report["answers"]["summary"]["value"]
    assert "[個人番号のため伏せ字]" in report["answers"]["cause"]["value"]
    stored = run.service.store
    with stored.engine.connect() as conn:
        dump = " ".join(str(value) for table in ("hogo_reports", "hogo_flow_sessions")
                        for row in conn.execute(sa.text(f"SELECT * FROM {table}")) for value in row)
    assert "123456789018" not in dump and "5678 9018" not in dump
    assert "[個人番号のため伏せ字]" in dump


def test_markdown_is_japanese_and_complete(run):
    report = run(sensitive="yes", cause="調査中")
    row = run.service.store.get_report(report["id"])
    md = row.markdown
    assert md.startswith("# 漏えい等事案報告（郡山市）")
    assert "個人情報保護委員会への報告: **必要**" in md
    assert "2026-05-01まで" in md
    assert "| 原因 | **未記入** |" in md
    assert "郡山市保有個人情報等の取扱基準 第23条第1項" in md
