"""A city with no hand-written flow files gets both dialogues end to end: `hogo flow draft`, `hogo flow run`
and `hogo flow review` as real processes, and the drafter with real retrieval over the fictional cities."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogue.draft import draft_flows, engine_search
from bot.dialogue.spec import BUNDLED_FLOWS
from corpus.loader import Corpus
from tests.bot.test_flow_draft import FIRST_REPORT, FIXTURES, NAMES, with_front_matter

HOGO = str(Path(sys.executable).with_name("hogo"))
CITY = "hibarigaoka-itaku-yoko"
INCIDENT = {"scope": CITY, "discovered_at": "2026-04-01T10:00+09:00", "event_type": "leak", "media": ["paper"],
            "summary": "委託先が住民20名分の通知書を誤送付した", "data_items": ["name", "address"], "affected_count": 20,
            "contains_my_number": "no", "sensitive": "no", "ordinance_sensitive": "no", "financial_risk": "no",
            "malicious": "no", "publicly_viewable": "no", "contractor_involved": "yes", "containment": "回収を依頼",
            "individuals_notified": "no", "publication": "no"}
CONSIGNMENT = {"scope": CITY, "work": "納税通知書の印刷", "handles_my_number": "no", "reconsignment_planned": "no",
               "dispatched_workers": "no", f"{CITY}:3:2:1": "済", f"{CITY}:2:1": "済"}


def copy_side_tables(data_dir: Path, target: Path) -> None:
    """The example and off-topic vectors the session engine embedded (cached by text): not embedded twice."""
    (target / "vectors").mkdir(parents=True, exist_ok=True)
    for path in (data_dir / "vectors").glob("*.npz"):
        if path.name.startswith(("examples-", "off-topic-")):
            shutil.copy(path, target / "vectors" / path.name)


@pytest.fixture
def env(tmp_path):
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    with_front_matter(FIXTURES / f"{CITY}.txt", corpus_dir)
    (tmp_path / "flows").mkdir()  # the city's own files only: the bundled flows are read beside them
    return {**os.environ, "HOGO_DATA_DIR": str(tmp_path / "data"), "HOGO_CORPUS_DIR": str(corpus_dir),
            "HOGO_FLOWS_DIR": str(tmp_path / "flows")}


def hogo(*args, env, input=None, timeout=600):
    return subprocess.run([HOGO, *args], capture_output=True, text=True, timeout=timeout, env=env, input=input)


def run_flow(name, answers, tmp_path, env):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(answers, ensure_ascii=False), encoding="utf-8")
    result = hogo("flow", "run", name, "--answers", str(path), "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def check_both_dialogues(tmp_path, env, draft: bool):
    incident = run_flow("incident", INCIDENT, tmp_path, env)
    assert incident["draft_flow"] is draft
    assert [s["key"] for s in incident["internal_chain"]] == [f"{CITY}:6:1"]
    assert incident["internal_chain"][0]["label"] == "雲雀丘市個人情報取扱業務委託要綱 第6条"
    assert all(k.startswith(f"{CITY}:") for k in incident["citations"]) and incident["citations"]
    assert incident["contractor"]["actions"][0]["key"] == f"{CITY}:6:1"
    checklist = run_flow("consignment", CONSIGNMENT, tmp_path, env)
    assert checklist["draft_flow"] is draft
    assert {f"{CITY}:3:2:{n}" for n in range(1, 6)} <= set(checklist["citations"])
    statuses = {i["key"]: i["status"] for i in checklist["items"]}
    assert statuses[f"{CITY}:3:2:1"] == "済" and statuses[f"{CITY}:3:2:2"] == "未"
    assert statuses[f"{CITY}:4:1"] == "該当なし"  # 再委託: none planned
    return incident, checklist


def test_a_new_city_gets_both_dialogues_from_its_regulation(tmp_path, env):
    drafted = hogo("flow", "draft", "--scope", CITY, "--no-search", env=env)
    assert drafted.returncode == 0, drafted.stderr
    assert "1. 受託者: 実施機関に個人情報の漏えい等の事故を報告する（第6条）" in drafted.stdout
    assert "派遣労働者の条項が見つかりませんでした。" in drafted.stdout
    assert (tmp_path / "flows" / "incident" / f"{CITY}.yaml").exists()
    incident, _ = check_both_dialogues(tmp_path, env, draft=True)
    shown = hogo("reports", "show", incident["id"], env=env)
    assert "この自治体の報告経路は自動作成の下書きです。" in shown.stdout
    # a second draft does not overwrite the first (which may have been edited) without --force
    again = hogo("flow", "draft", "--scope", CITY, "--no-search", env=env)
    assert again.returncode == 2 and "--force" in again.stderr
    # reviewed: the dialogues no longer call it a draft
    refused = hogo("flow", "review", "--scope", CITY, env=env, input="n\n")
    assert refused.returncode != 0 and "status: draft" in (tmp_path / "flows" / "consignment" / f"{CITY}.yaml").read_text(
        encoding="utf-8")
    reviewed = hogo("flow", "review", "--scope", CITY, "--yes", env=env)
    assert reviewed.returncode == 0, reviewed.stderr
    assert "【報告経路（internal_chain）】" in reviewed.stdout and "確認済みにしました" in reviewed.stdout
    check_both_dialogues(tmp_path, env, draft=False)
    assert hogo("flow", "review", "--scope", CITY, "--yes", env=env).returncode == 2  # nothing left to review


def test_a_city_folder_of_regulations_never_gets_its_drafts_written_into_the_bundled_flows(tmp_path, env):
    bundled = {str(p) for p in BUNDLED_FLOWS.rglob("*.yaml")}
    unset = {k: v for k, v in env.items() if k != "HOGO_FLOWS_DIR"}
    result = hogo("flow", "draft", "--scope", CITY, "--no-search", env=unset)
    leaked = {str(p) for p in BUNDLED_FLOWS.rglob("*.yaml")} - bundled
    for path in leaked:  # keep the checkout clean even when the guard fails
        Path(path).unlink()
    assert result.returncode == 2 and not leaked
    assert "set HOGO_FLOWS_DIR" in result.stderr and "Traceback" not in result.stderr


def test_drafting_an_unknown_regulation_says_which_are_loaded(env):
    result = hogo("flow", "draft", "--scope", "nowhere", "--no-search", env=env)
    assert result.returncode != 0 and CITY in result.stderr


@pytest.mark.slow
def test_draft_with_retrieval_as_a_process(tmp_path, env, engine, data_dir):
    copy_side_tables(data_dir, tmp_path / "data")
    drafted = hogo("flow", "draft", "--scope", CITY, env=env, timeout=900)
    assert drafted.returncode == 0, drafted.stderr
    assert "＊は検索でも見つかった条項です。" in drafted.stdout
    check_both_dialogues(tmp_path, env, draft=True)


@pytest.fixture(scope="module")
def fixture_engine(tmp_path_factory, engine, data_dir):
    from retrieval.engine import AskEngine

    folder = tmp_path_factory.mktemp("cities")
    for name in NAMES:
        with_front_matter(FIXTURES / f"{name}.txt", folder)
    target = tmp_path_factory.mktemp("cities-data")
    copy_side_tables(data_dir, target)
    corpus = Corpus.load(folder)
    return corpus, AskEngine.open(corpus, target)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_retrieval_confirms_the_structure_and_adds_no_noise(fixture_engine, name):
    corpus, engine = fixture_engine
    plain = draft_flows(corpus, name)
    searched = draft_flows(corpus, name, engine_search(engine, name))
    assert searched.files == plain.files
    if name in FIRST_REPORT:  # retrieval finds the chain's clauses for a general question, too
        assert set(searched.keys("incident")) & searched.retrieved


@pytest.mark.slow
@pytest.mark.parametrize("doc", ["koriyama-kijun", "mima-kitei"])
def test_retrieval_on_the_seeds(corpus, engine, doc):
    searched = draft_flows(corpus, doc, engine_search(engine, doc))
    assert searched.files == draft_flows(corpus, doc).files
    assert searched.keys("incident")[0] in searched.retrieved
