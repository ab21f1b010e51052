"""The flow files are data checked against the corpus: a cited key that does not exist fails loading."""

from __future__ import annotations

import shutil

import pytest

from bot.dialogue import conditions
from bot.dialogue.spec import BUNDLED_FLOWS, FlowError, FlowLibrary


def test_every_flow_has_a_file_for_both_seed_regulations(library):
    assert set(library.flows) == {"incident", "consignment"}
    for flow in library.flows.values():
        assert set(flow.cities) == {"koriyama-kijun", "mima-kitei"}


def test_no_cited_key_is_missing_from_the_corpus(library, corpus):
    assert library.problems(corpus) == []
    cited = {k for flow in library.flows.values() for doc in flow.cities
             for step in flow.steps({"scope": doc}) for k in step.cites}
    assert len(cited) >= 30
    for key in cited:
        corpus.unit(key)


def test_a_missing_clause_key_fails_loading(tmp_path, corpus):
    folder = tmp_path / "flows"
    shutil.copytree(BUNDLED_FLOWS, folder)
    path = folder / "incident" / "koriyama-kijun.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("koriyama-kijun:23:4", "koriyama-kijun:23:9"),
                    encoding="utf-8")
    with pytest.raises(FlowError) as info:
        FlowLibrary.load(corpus, folder)
    assert "incident/koriyama-kijun: koriyama-kijun:23:9" in info.value.message


def test_a_condition_on_an_unknown_field_fails_loading(tmp_path, corpus):
    folder = tmp_path / "flows"
    shutil.copytree(BUNDLED_FLOWS, folder)
    path = folder / "consignment" / "mima-kitei.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "    when: {handles_mynumber: [yes]}\n", encoding="utf-8")
    with pytest.raises(FlowError, match="handles_mynumber"):
        FlowLibrary.load(corpus, folder)


def test_a_city_folder_holds_only_its_own_files_and_the_bundled_flows_are_read_too(tmp_path, corpus):
    # HOGO_FLOWS_DIR may be a folder of a city's files alone: the questions and the other cities come bundled.
    folder = tmp_path / "flows"
    (folder / "consignment").mkdir(parents=True)
    mine = (BUNDLED_FLOWS / "consignment" / "koriyama-kijun.yaml").read_text(encoding="utf-8")
    (folder / "consignment" / "koriyama-kijun.yaml").write_text(
        mine.replace("title: 委託先の選定", "title: 委託先の選定（本市の様式で確認）"), encoding="utf-8")
    library = FlowLibrary.load(corpus, folder)
    assert set(library.flows) == {"incident", "consignment"}
    assert set(library.get("incident").cities) == set(library.get("consignment").cities) == {"koriyama-kijun",
                                                                                              "mima-kitei"}
    titles = [s.title for s in library.get("consignment").city("koriyama-kijun").steps]
    assert "委託先の選定（本市の様式で確認）" in titles  # the folder's file replaces the bundled one
    assert "委託先の選定" not in titles


def test_a_city_file_counts_only_for_a_regulation_in_the_corpus(tmp_path, corpus):
    from corpus.loader import Corpus

    only_koriyama = Corpus({"koriyama-kijun": corpus.doc("koriyama-kijun")})
    assert set(FlowLibrary.load(only_koriyama, BUNDLED_FLOWS).get("consignment").cities) == {"koriyama-kijun"}


def test_yes_and_no_stay_strings_in_flow_files(library):
    step = next(s for s in library.get("incident").steps({}) if s.id == "my_number_system")
    assert step.when == {"contains_my_number": ["yes", "unknown"]}


@pytest.mark.parametrize(
    ("cond", "answers", "expected"),
    [
        ({"a": ["yes"]}, {"a": "yes"}, True),
        ({"a": ["yes"]}, {}, False),
        ({"m": {"other_than": ["paper"]}}, {"m": ["paper"]}, False),
        ({"m": {"other_than": ["paper"]}}, {"m": ["paper", "usb"]}, True),
        ({"n": {"gt": 100, "unknown": True}}, {"n": 100}, False),
        ({"n": {"gt": 100, "unknown": True}}, {"n": 101}, True),
        ({"n": {"gt": 100, "unknown": True}}, {"n": "unknown"}, True),
        ({"n": {"gt": 100}}, {"n": "unknown"}, False),
        ({"any": [{"a": ["yes"]}, {"b": ["yes"]}]}, {"b": "yes"}, True),
        ({"not": {"a": ["yes"]}}, {"a": "no"}, True),
        ({"a": {"answered": False}}, {}, True),
    ],
)
def test_conditions(cond, answers, expected):
    assert conditions.holds(cond, answers) is expected


@pytest.mark.parametrize(
    ("step_id", "raw", "value"),
    [
        ("event_type", "誤送付", "misdelivery"),
        ("event_type", "メール誤送信", "mis_sending"),
        ("event_type", "紛失", "loss"),
        ("event_type", "3", "loss"),  # menu numbers count only the listed choices
        ("event_type", "ランサムウェア", "unauthorized_access"),
        ("event_type", "まだわからない", "unknown"),
        ("event_type", "漏えい", "leak"),  # the earlier categories are still accepted, no longer offered
        ("event_type", "毀損", "damage"),
        ("media", "USB、紙", ["usb", "paper"]),
        ("media", ["email", "ＦＡＸ"], ["email", "fax"]),
        ("data_items", "氏名、口座番号、学校名", ["name", "bank", "学校名"]),
        ("affected_count", "１，２００人", 1200),
        ("affected_count", "わからない", "unknown"),
        ("contains_my_number", "不明", "unknown"),
        ("contains_my_number", True, "yes"),
        ("discovered_at", "2026年4月1日 9時30分", "2026-04-01T09:30+09:00"),
    ],
)
def test_answers_are_read_the_way_staff_write_them(library, step_id, raw, value):
    from bot.dialogue import values

    step = next(s for s in library.get("incident").steps({}) if s.id == step_id)
    assert values.parse(step, raw)[0] == value
