"""The `hogo` console script, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HOGO = [str(Path(sys.executable).with_name("hogo"))]


def run(*args, **kwargs):
    return subprocess.run([*HOGO, *args], capture_output=True, text=True, timeout=120, **kwargs)


def test_corpus_show_prints_label_and_text():
    result = run("corpus", "show", "koriyama-kijun:22:1:2")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "郡山市保有個人情報等の取扱基準 第22条第1項第2号（業務の委託等）"
    assert "再委託" in result.stdout


def test_corpus_show_names_a_supplementary_provision_once():
    result = run("corpus", "show", "mima-kitei:suppl-2")
    assert result.returncode == 0
    first = result.stdout.splitlines()[0]
    assert first.startswith("美馬市職員等の特定個人情報等取扱規程 附則（令和3年4月1日")
    assert first.count("令和3年4月1日") == 1
    assert "公表の日から施行する" in result.stdout


def test_unknown_key_is_one_line_and_exit_code_2():
    result = run("corpus", "show", "koriyama-kijun:99:9")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "unknown clause key" in result.stderr
    assert "Traceback" not in result.stderr


def test_corpus_parse_json_contract(tmp_path):
    sample = tmp_path / "sample.txt"
    sample.write_text(
        "○サンプル規程\n（趣旨）\n第1条 趣旨を定める。\n2 補足する。\n(1) 一号\n", encoding="utf-8"
    )
    result = run("corpus", "parse", str(sample), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["doc"]["id"] == "sample"
    unit = data["units"][-1]
    assert {"key", "kind", "article", "paragraph", "item", "subitem", "heading", "text"} <= set(unit)
    assert (unit["key"], unit["kind"], unit["article"], unit["paragraph"], unit["item"]) == (
        "sample:1:2:1",
        "item",
        "1",
        2,
        "1",
    )


def test_corpus_parse_of_a_non_regulation_names_the_line(tmp_path):
    bad = tmp_path / "memo.txt"
    bad.write_text("\n\n会議のメモです。\n", encoding="utf-8")
    result = run("corpus", "parse", str(bad), "--json")
    assert result.returncode == 2
    assert "line 3" in result.stderr and "Traceback" not in result.stderr


def test_a_new_city_is_added_by_dropping_a_file_in(tmp_path):
    folder = tmp_path / "regs"
    folder.mkdir()
    (folder / "sample-kitei.txt").write_text(
        "---\nid: sample-kitei\ntitle: サンプル市個人情報取扱規程\nmunicipality: サンプル市\n---\n"
        "○サンプル市個人情報取扱規程\n第1条 この規程は、取扱いを定める。\n",
        encoding="utf-8",
    )
    env = {"HOGO_CORPUS_DIR": str(folder), "PATH": "/usr/bin:/bin"}
    result = run("corpus", "validate", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sample-kitei, 1 articles" in result.stdout
    shown = run("corpus", "show", "sample-kitei:1", env=env)
    assert "サンプル市個人情報取扱規程 第1条" in shown.stdout


def test_validate_reports_a_broken_file(tmp_path):
    (tmp_path / "broken.txt").write_text("---\nid: Bad Id\n---\n第1条 x\n", encoding="utf-8")
    result = run("corpus", "validate", env={"HOGO_CORPUS_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1 and "FAIL broken.txt" in result.stdout


def test_serve_gives_each_worker_its_share_of_the_cores_for_the_embedder(monkeypatch):
    from bot.cli.serve_cmd import worker_environment
    from bot.settings import Settings

    monkeypatch.delenv("HOGO_ENCODER_THREADS", raising=False)
    assert worker_environment(Settings(), workers=2, cpus=2) == {"HOGO_ENCODER_THREADS": "1"}
    assert worker_environment(Settings(), workers=2, cpus=8) == {"HOGO_ENCODER_THREADS": "4"}
    assert worker_environment(Settings(), workers=4, cpus=2) == {"HOGO_ENCODER_THREADS": "1"}
    assert worker_environment(Settings(encoder_threads=3), workers=2, cpus=8) == {}  # the operator's choice stands
    monkeypatch.setenv("HOGO_ENCODER_THREADS", "2")
    assert Settings().encoder_threads == 2


def test_an_invalid_setting_is_one_line_naming_its_variable(tmp_path):
    env = {"HOGO_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    bad_number = run("ask", "USBをなくした", env={**env, "HOGO_RATE_PER_IP": "abc"})
    assert bad_number.returncode == 2 and "Traceback" not in bad_number.stderr
    assert bad_number.stderr.strip().splitlines() == [
        "error: invalid configuration: HOGO_RATE_PER_IP: Input should be a valid integer, unable to parse string "
        "as an integer"]
    no_signin = run("desk", "user", "list", env={**env, "HOGO_DESK_PASSWORD_SIGNIN": "false"})
    assert no_signin.returncode == 2 and "Traceback" not in no_signin.stderr
    assert "HOGO_DESK_PASSWORD_SIGNIN=false needs HOGO_DESK_OIDC_ISSUER" in no_signin.stderr
