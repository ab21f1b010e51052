"""`hogo corpus add` as a real process: from the 例規集's HTML page to a written, indexed, answerable file."""

from __future__ import annotations

import json
import os

import pytest

from tests.corpus.test_extract import write_page
from tests.test_cli import run


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "HOGO_CORPUS_DIR": str(tmp_path / "regs"), "HOGO_DATA_DIR": str(tmp_path / "data")}


def test_add_asks_for_an_id_when_the_title_has_no_ascii(tmp_path, env):
    result = run("corpus", "add", str(write_page(tmp_path, "two-columns")), "--yes", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "give one with --id, e.g. --id reiki-kitei" in result.stderr
    assert not (tmp_path / "regs").exists()


def test_add_shows_the_draft_and_writes_nothing_when_told_no(tmp_path, env):
    page = write_page(tmp_path, "header-footer")
    result = run("corpus", "add", str(page), "--id", "sample-kitei", input="n\n", env=env)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert out.startswith("---\nid: sample-kitei\ntitle: サンプル市個人情報取扱規程\nmunicipality: サンプル市\n")
    assert "number: 訓令第5号\nenacted: 令和2年3月31日\namended:\n- 令和4年3月31日\n" in out
    assert "見つかったもの: 条 5、項 7、号 5、細目 0、附則 2、様式 1" in out
    assert "よろしいですか？ [y/N]" in out and "何も書き込んでいません" in out
    assert not (tmp_path / "regs").exists()


def test_add_without_an_answer_or_yes_says_how_to_skip_the_question(tmp_path, env):
    result = run("corpus", "add", str(write_page(tmp_path, "two-columns")), "--id", "sample-kitei", input="", env=env)
    assert result.returncode == 2 and "add --yes" in result.stderr
    assert not (tmp_path / "regs").exists()


def test_an_id_already_in_the_corpus_is_a_new_version_whose_dates_must_be_known(tmp_path, env):
    regs = tmp_path / "regs"
    regs.mkdir()
    (regs / "sample-kitei.txt").write_text("---\nid: sample-kitei\n---\n第1条 既存の規程。\n", encoding="utf-8")
    result = run("corpus", "add", str(write_page(tmp_path, "two-columns")), "--id", "sample-kitei", "--yes", env=env)
    assert result.returncode == 2
    assert "改正の内容（sample-kitei.txt との違い）: 追加 " in result.stdout
    assert "sample-kitei.txt names no enactment or amendment date" in result.stderr
    assert "add 'effective: YYYY-MM-DD' to its front matter (or use --replace" in result.stderr
    assert not (regs / "versions").exists()
    assert (regs / "sample-kitei.txt").read_text(encoding="utf-8").endswith("第1条 既存の規程。\n")


def test_add_of_a_scan_or_a_non_regulation_is_one_line(tmp_path, env):
    from reportlab.pdfgen import canvas

    scan = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(scan))
    c.rect(50, 50, 400, 700, fill=1)
    c.save()
    result = run("corpus", "add", str(scan), "--id", "scan-kitei", "--yes", env=env)
    assert result.returncode == 2 and result.stderr.startswith("error: scanned PDF without text: scan.pdf")
    memo = tmp_path / "memo.html"
    memo.write_text("<html><body><p>会議のお知らせです。</p></body></html>", encoding="utf-8")
    result = run("corpus", "add", str(memo), "--id", "memo", "--yes", env=env)
    assert result.returncode == 2 and "not a regulation" in result.stderr
    assert result.stderr.strip().count("\n") == 0


@pytest.mark.slow
def test_an_html_page_becomes_answers(tmp_path, env):
    page = write_page(tmp_path, "two-columns")
    result = run("corpus", "add", str(page), "--id", "sample-kitei", "--yes", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   sample-kitei.txt: sample-kitei, 5 articles, 20 units" in result.stdout
    written = (tmp_path / "regs" / "sample-kitei.txt").read_text(encoding="utf-8")
    assert written.startswith("---\nid: sample-kitei\ntitle: サンプル市個人情報取扱規程\n")
    assert "\n---\n○サンプル市個人情報取扱規程\n令和2年3月31日訓令第5号\n" in written
    assert "例規集トップ" not in written

    listed = run("corpus", "list", env=env)
    assert listed.returncode == 0
    assert "sample-kitei\tサンプル市個人情報取扱規程\tサンプル市\t5 articles, 20 units" in listed.stdout

    asked = run("ask", "個人情報が漏えいしたら誰に報告する？", "--scope", "sample-kitei", "--json", env=env)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["abstained"] is False
    assert answer["citations"][0]["key"] == "sample-kitei:4:1"
    assert answer["citations"][0]["label"] == "サンプル市個人情報取扱規程 第4条第1項"


def test_a_text_files_own_front_matter_is_kept(tmp_path, env):
    source = tmp_path / "given.txt"
    source.write_text("---\nid: given-kitei\nmunicipality: 別名市\n---\n○サンプル市個人情報取扱規程\n令和2年3月31日訓令第5号\n"
                      "第1条 この規程は、取扱いを定める。\n", encoding="utf-8")
    result = run("corpus", "add", str(source), input="n\n", env=env)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("---\nid: given-kitei\ntitle: サンプル市個人情報取扱規程\nmunicipality: 別名市\n")


def test_the_bundled_folder_is_refused_when_it_cannot_be_written(tmp_path, monkeypatch):
    from bot.cli import corpus_add
    from corpus.errors import CorpusError

    monkeypatch.delenv("HOGO_CORPUS_DIR", raising=False)
    monkeypatch.setattr(corpus_add, "unwritable", lambda folder: f"{folder} is not writable")
    with pytest.raises(CorpusError, match=r"cannot add to the bundled corpus folder .* set HOGO_CORPUS_DIR"):
        corpus_add.add(write_page(tmp_path, "two-columns"), doc_id="sample-kitei", yes=True, replace=False)
