"""Amending a regulation as real processes: `hogo corpus add FILE --id EXISTING` keeps the text in force as a
version, `hogo corpus show KEY --as-of DATE` reads the text in force on a day, `hogo corpus versions ID`
lists them, and a stored report names the version it was made with and what was amended since."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from bot.cli.corpus_amend import render
from corpus.amend import diff
from corpus.loader import BUNDLED_DIR
from corpus.versions import archive
from tests.bot.test_flow_cli import INCIDENT, write
from tests.corpus.test_amend import NEW, OLD, version
from tests.test_cli import run

FRONT = "---\nid: sample-kitei\ntitle: サンプル市個人情報取扱規程\nenacted: 令和2年3月31日\n---\n"


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "HOGO_CORPUS_DIR": str(tmp_path / "regs"), "HOGO_DATA_DIR": str(tmp_path / "data"),
            "COLUMNS": "60"}


def text_file(path, lines, front=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(front + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_change_is_shown_side_by_side_wrapped_to_the_terminal():
    assert render(diff(version(OLD), version(NEW)), 60)[7:13] == [
        "変更 第3条第2項 [s:3:2]",
        "  旧                          │ 新",
        "  保護管理者は、前項の報告を  │ 保護管理者は、前項の報告を",
        "  受けたときは、速やかに市長  │ 受けたときは、直ちに市長及",
        "  に報告しなければならない。  │ び個人情報保護委員会に報告",
        "                              │ しなければならない。",
    ]


def test_a_new_version_shows_the_difference_and_writes_nothing_when_told_no(tmp_path, env):
    current = text_file(tmp_path / "regs" / "sample-kitei.txt", OLD, FRONT)
    before = current.read_bytes()
    result = run("corpus", "add", str(text_file(tmp_path / "new.txt", NEW)), "--id", "sample-kitei",
                 input="n\n", env=env)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "amended:\n- 令和6年3月29日\neffective: '2024-03-29'\n" in out
    assert "改正の内容（sample-kitei.txt との違い）: 追加 2、変更 1、削除 1\n" in out
    assert "\n追加 第4条 [sample-kitei:4]\n  （委託）\n" in out
    assert "\n追加 附則（令和6年3月29日訓令第3号） [sample-kitei:suppl-2]\n" in out
    assert "\n変更 第3条第2項 [sample-kitei:3:2]\n  旧                          │ 新\n" in out
    assert "\n削除 第2条第3号 [sample-kitei:2:1:3]\n  課 市の課をいう。\n" in out
    assert "施行日: 2020-03-31 の版 → 2024-03-29 の版\n" in out
    assert "sample-kitei.txt を旧版（2020-03-31 施行）として保存し、" in out and "何も書き込んでいません" in out
    assert current.read_bytes() == before and not (tmp_path / "regs" / "versions").exists()


def test_a_new_version_must_change_something_and_take_effect_later(tmp_path, env):
    text_file(tmp_path / "regs" / "sample-kitei.txt", OLD, FRONT)
    same = run("corpus", "add", str(text_file(tmp_path / "same.txt", OLD)), "--id", "sample-kitei", "--yes", env=env)
    assert same.returncode == 2 and "nothing to amend (use --replace" in same.stderr
    earlier = run("corpus", "add", str(text_file(tmp_path / "new.txt", NEW)), "--id", "sample-kitei", "--yes",
                  "--effective", "2019-04-01", env=env)
    assert earlier.returncode == 2
    assert "takes effect 2019-04-01, not after the text in force (2020-03-31)" in earlier.stderr
    typo = run("corpus", "add", str(tmp_path / "new.txt"), "--id", "sample-kitei", "--effective", "R6.4.1", env=env)
    assert typo.returncode == 2 and "--effective takes a date as YYYY-MM-DD" in typo.stderr
    for result in (same, earlier, typo):
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert not (tmp_path / "regs" / "versions").exists()


def test_show_as_of_reads_the_text_in_force_that_day(tmp_path, env):
    regs = tmp_path / "regs"
    current = text_file(regs / "sample-kitei.txt", OLD, FRONT)
    archive(current, regs, "sample-kitei", "2020-03-31")  # what `hogo corpus add` does before writing the new text
    text_file(current, NEW, FRONT.replace("\n---\n", "\neffective: 2024-03-29\n---\n"))

    before = run("corpus", "show", "sample-kitei:3:2", "--as-of", "2024-03-28", env=env)
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines()[1:] == [
        "[sample-kitei:3:2]", "版: 2020-03-31 施行の版（旧版）",
        "保護管理者は、前項の報告を受けたときは、速やかに市長に報告しなければならない。",
        "参照: 前項 → 第3条第1項 (sample-kitei:3:1)"]
    after = run("corpus", "show", "sample-kitei:3:2", "--as-of", "2024-03-29", env=env)
    assert after.stdout.splitlines()[1:] == [
        "[sample-kitei:3:2]", "版: 2024-03-29 施行の版（現行）",
        "保護管理者は、前項の報告を受けたときは、直ちに市長及び個人情報保護委員会に報告しなければならない。",
        "参照: 前項 → 第3条第1項 (sample-kitei:3:1)"]
    removed = run("corpus", "show", "sample-kitei:2:1:3", "--as-of", "2023-01-01", env=env)
    assert removed.returncode == 0 and removed.stdout.splitlines()[-1] == "課 市の課をいう。"

    not_yet = run("corpus", "show", "sample-kitei:4:1", "--as-of", "2023-01-01", env=env)
    assert (not_yet.returncode, not_yet.stdout) == (1, "sample-kitei:4:1 は 2023-01-01 時点の版（2020-03-31 施行）にはありません。\n")
    too_early = run("corpus", "show", "sample-kitei:3:2", "--as-of", "2019-12-31", env=env)
    assert (too_early.returncode, too_early.stdout) == (
        1, "2019-12-31 には サンプル市個人情報取扱規程 は施行されていません（最初の版は 2020-03-31 施行）。\n")
    unknown = run("corpus", "show", "sample-kitei:99", "--as-of", "2023-01-01", env=env)
    assert unknown.returncode == 2 and "unknown clause key" in unknown.stderr
    bad = run("corpus", "show", "sample-kitei:3:2", "--as-of", "2024/04/01", env=env)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "YYYY-MM-DD" in bad.stderr

    listed = run("corpus", "versions", "sample-kitei", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [(r[0], r[1], r[3]) for r in rows] == [("2020-03-31", "旧版", "versions/sample-kitei/2020-03-31.txt"),
                                                  ("2024-03-29", "現行", "sample-kitei.txt")]
    assert run("corpus", "list", env=env).stdout.count("sample-kitei\t") == 1  # kept versions are not loaded
    assert run("corpus", "validate", env=env).returncode == 0


def test_a_report_names_the_version_it_was_made_with_and_the_clauses_amended_since(tmp_path, env):
    regs = tmp_path / "regs"
    regs.mkdir()
    for name in ("koriyama-kijun.txt", "mima-kitei.txt"):
        shutil.copy(BUNDLED_DIR / name, regs / name)
    made = run("flow", "run", "incident", "--answers", str(write(tmp_path, INCIDENT)), "--json", env=env)
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    record = report["regulation_version"]
    assert (record["doc"], record["effective"]) == ("koriyama-kijun", "2023-03-30")
    assert "koriyama-kijun:23:1" in record["clauses"] and len(record["hash"]) == 16
    shown = run("reports", "show", report["id"], env=env)
    assert f"規程の版: koriyama-kijun 2023-03-30 施行（内容ハッシュ {record['hash']}）\n" in shown.stdout
    assert "この報告の作成後に" not in shown.stdout

    # the 2025 amendment: 第23条第1項 now also asks for a report to the privacy office
    current = regs / "koriyama-kijun.txt"
    old_text = current.read_text(encoding="utf-8")
    sentence = "直ちに当該保有個人情報等を管理する保護管理者に報告する。"
    new_text = old_text.replace("令和5年3月30日\n---", "令和5年3月30日\neffective: 2025-04-01\n---", 1).replace(
        sentence, "直ちに当該保有個人情報等を管理する保護管理者及び総括保護管理者に報告する。", 1)
    assert new_text.count("総括保護管理者に報告する。") == old_text.count("総括保護管理者に報告する。") + 1
    archive(current, regs, "koriyama-kijun", "2023-03-30")
    current.write_text(new_text, encoding="utf-8")

    shown = run("reports", "show", report["id"], env=env)
    assert shown.returncode == 0, shown.stderr
    assert f"規程の版: koriyama-kijun 2023-03-30 施行（内容ハッシュ {record['hash']}）\n" in shown.stdout
    notice = ("この報告の作成後に第23条第1項が改正されています"
              "（当時の条文: hogo corpus show koriyama-kijun:23:1 --as-of 2023-03-30）")
    assert notice in shown.stdout.splitlines()
    assert sum("この報告の作成後に" in line for line in shown.stdout.splitlines()) == 1
    then = run("corpus", "show", "koriyama-kijun:23:1", "--as-of", "2023-03-30", env=env)
    assert sentence in then.stdout and "総括保護管理者" not in then.stdout and "（旧版）" in then.stdout
    assert "総括保護管理者に報告する" in run("corpus", "show", "koriyama-kijun:23:1", env=env).stdout

    remade = json.loads(run("flow", "run", "incident", "--answers", str(tmp_path / "answers.json"), "--json",
                            env=env).stdout)
    assert remade["regulation_version"]["effective"] == "2025-04-01"
    assert remade["regulation_version"]["hash"] != record["hash"]
    assert "この報告の作成後に" not in run("reports", "show", remade["id"], env=env).stdout


@pytest.mark.slow
def test_a_new_version_is_kept_and_only_its_changed_passages_are_embedded(tmp_path, env):
    first = run("corpus", "add", str(text_file(tmp_path / "old.txt", OLD)), "--id", "sample-kitei", "--yes", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "索引を更新しました: 追加 5、更新 0、削除 0、変更なし 0" in first.stdout

    amended = run("corpus", "add", str(text_file(tmp_path / "new.txt", NEW)), "--id", "sample-kitei", "--yes",
                  env=env)
    assert amended.returncode == 0, amended.stdout + amended.stderr
    kept = tmp_path / "regs" / "versions" / "sample-kitei" / "2020-03-31.txt"
    assert f"旧版を保存しました: {kept}" in amended.stdout
    assert kept.read_text(encoding="utf-8").endswith("\n".join(OLD) + "\n")
    # 第2条第1項 (its third item removed) and 第3条第2項 re-embedded; 第4条第1項・第2項 and the new 附則 added
    assert "索引を更新しました: 追加 3、更新 2、削除 0、変更なし 3" in amended.stdout

    before = run("corpus", "show", "sample-kitei:3:2", "--as-of", "2024-03-28", env=env)
    assert before.stdout.splitlines()[3] == "保護管理者は、前項の報告を受けたときは、速やかに市長に報告しなければならない。"
    after = run("corpus", "show", "sample-kitei:3:2", "--as-of", "2024-03-29", env=env)
    assert after.stdout.splitlines()[3].startswith("保護管理者は、前項の報告を受けたときは、直ちに市長及び")
    asked = run("ask", "委託先に再委託させてよいか", "--scope", "sample-kitei", "--json", env=env)
    assert asked.returncode == 0 and json.loads(asked.stdout)["citations"][0]["key"].startswith("sample-kitei:4")

    # --replace still corrects the text in force without keeping a version
    fixed = run("corpus", "add", str(tmp_path / "old.txt"), "--id", "sample-kitei", "--yes", "--replace", env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "旧版を保存しました" not in fixed.stdout and "改正の内容" not in fixed.stdout
    assert "索引を更新しました: 追加 0、更新 2、削除 3、変更なし 3" in fixed.stdout
    assert [p.name for p in kept.parent.iterdir()] == ["2020-03-31.txt"]
