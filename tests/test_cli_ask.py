"""`hogo ask` as a real process against a prebuilt data dir."""

from __future__ import annotations

import json
import os

import pytest

from tests.test_cli import run

pytestmark = pytest.mark.slow


@pytest.fixture
def env(engine, data_dir):
    return {**os.environ, "HOGO_DATA_DIR": str(data_dir)}


def test_ask_json_follows_the_contract(env):
    result = run("ask", "USBをなくした。誰に報告？", "--scope", "koriyama-kijun", "--k", "3", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["scope"] == ["koriyama-kijun"] and data["abstained"] is False
    assert len(data["citations"]) >= 3 and data["citations"][0]["key"] == "koriyama-kijun:23:1"
    assert data["citations"][0]["label"] == "郡山市保有個人情報等の取扱基準 第23条第1項"


def test_ask_batch_echoes_ids_and_reports_bad_lines(env, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "a", "q": "委託契約書に何を書く？", "scope": "koriyama-kijun"}\n'
        '{"id": 7, "q": "有給休暇の日数は？", "scope": null}\n'
        '{"id": "bad", "q": "USB", "scope": "nowhere"}\n'
        "not json\n",
        encoding="utf-8",
    )
    result = run("ask", "--batch", str(batch), "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a", 7, "bad", None]
    assert rows[0]["citations"][0]["key"].startswith("koriyama-kijun:22")
    assert rows[1]["abstained"] is True and rows[1]["citations"] == []
    assert "unknown document 'nowhere'" in rows[2]["error"] and "line 4" in rows[3]["error"]


def test_unknown_scope_and_empty_question_exit_2(env):
    result = run("ask", "USB", "--scope", "nowhere", env=env)
    assert result.returncode == 2 and "unknown document" in result.stderr and "Traceback" not in result.stderr
    result = run("ask", "   ", env=env)
    assert result.returncode == 2 and "empty" in result.stderr


def test_my_number_in_a_question_is_masked(env):
    result = run("ask", "123456789018 の人の書類を捨てたい", "--json", env=env)
    assert result.returncode == 0
    assert "123456789018" not in result.stdout and "masked" in result.stderr


def test_index_is_incremental(env):
    result = run("index", env=env)
    assert result.returncode == 0, result.stderr
    assert "0 added, 0 updated, 0 removed" in result.stdout


def test_eval_lists_dev_misses_and_refuses_the_test_split(env, tmp_path):
    dataset = tmp_path / "tiny.jsonl"
    dataset.write_text(
        '{"id": "ok", "q": "USBをなくした。誰に報告？", "scope": "koriyama-kijun", "gold": ["koriyama-kijun:23"], '
        '"split": "dev", "style": "colloquial"}\n'
        '{"id": "wrong", "q": "USBをなくした。誰に報告？", "scope": "koriyama-kijun", "gold": ["koriyama-kijun:1"], '
        '"split": "dev", "style": "colloquial"}\n',
        encoding="utf-8",
    )
    result = run("eval", "--dataset", str(dataset), "--split", "dev", "--no-baselines", "--misses", env=env)
    assert result.returncode == 0, result.stderr
    listed = [line for line in result.stdout.splitlines() if line.startswith(("ok ", "wrong "))]
    assert len(listed) == 1 and listed[0].startswith("wrong [colloquial] gold at rank -; gold ['koriyama-kijun:1']")
    refused = run("eval", "--dataset", str(dataset), "--split", "test", "--misses", env=env)
    assert refused.returncode == 2 and "dev split only" in refused.stderr and "Traceback" not in refused.stderr


def test_every_spelling_of_a_my_number_is_masked(env, tmp_path):
    from tests.bot.test_privacy import SPELLINGS, leaked

    batch = tmp_path / "spellings.jsonl"
    batch.write_text("".join(json.dumps({"id": name, "q": f"番号{s}の書類を廃棄したい"}, ensure_ascii=False) + "\n"
                             for name, s in SPELLINGS.items()), encoding="utf-8")
    result = run("ask", "--batch", str(batch), "--json", env=env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == list(SPELLINGS)
    assert all("[個人番号のため伏せ字]" in r["question"] for r in rows), [r["question"] for r in rows]
    assert not leaked(result.stdout + result.stderr)
    single = run("ask", "番号9876ー5432ー1093の書類を廃棄したい", "--json", env=env)
    assert single.returncode == 0 and "masked" in single.stderr and "1093" not in single.stdout
