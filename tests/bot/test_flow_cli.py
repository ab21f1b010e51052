"""`hogo flow …` and `hogo reports …` as real processes, including one killed in the middle of a dialogue."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HOGO = str(Path(sys.executable).with_name("hogo"))

INCIDENT = {
    "scope": "koriyama-kijun", "discovered_at": "2026-12-15T09:30:00+09:00", "event_type": "leak",
    "media": ["email"], "summary": "委託先が住民200名分の名簿を誤ってメール送信した", "data_items": ["name", "phone"],
    "affected_count": 200, "contains_my_number": "no", "sensitive": "no", "ordinance_sensitive": "no",
    "financial_risk": "no", "malicious": "no", "publicly_viewable": "no", "strongly_encrypted": "no",
    "contractor_involved": "yes", "contractor_name": "株式会社サンプル", "contractor_notified_at": "2026-12-16T10:00",
    "secondary_damage": "なし", "containment": "送信先に削除を依頼", "cause": "宛先の選択誤り",
    "individuals_notified": "no", "publication": "no", "prevention": "送信前の上長確認",
}


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "HOGO_DATA_DIR": str(tmp_path / "data")}


def hogo(*args, env, input=None):
    return subprocess.run([HOGO, *args], capture_output=True, text=True, timeout=120, env=env, input=input)


def write(tmp_path, data) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_flow_run_incident_json_contract(tmp_path, env):
    result = hogo("flow", "run", "incident", "--answers", str(write(tmp_path, INCIDENT)), "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ppc_report_required"] is True
    assert report["ppc_triggers"] == ["over_100"]
    assert (report["deadlines"]["final"]["by"], report["deadlines"]["final"]["days"]) == ("2027-01-14", 30)
    assert report["deadlines"]["preliminary"]["note"] == "速やかに（目安: 3〜5日以内）"
    assert report["notify_individuals"] is True
    assert report["my_number_route"]["applies"] is False
    assert report["internal_chain"][0] == {
        "role": "事案を認識した職員", "action": "直ちに、その保有個人情報等を管理する保護管理者に報告する",
        "key": "koriyama-kijun:23:1", "label": "郡山市保有個人情報等の取扱基準 第23条第1項"}
    assert {"citations", "unknowns", "report_items", "missing_items", "id", "status"} <= set(report)
    assert report["status"] == "finished"
    # stored: listed, shown and exported
    listed = hogo("reports", "list", "--json", env=env)
    assert json.loads(listed.stdout.splitlines()[0])["id"] == report["id"]
    shown = hogo("reports", "show", report["id"], env=env)
    assert shown.stdout.startswith("# 漏えい等事案報告（郡山市） 2026-12-15発覚")
    exported = hogo("reports", "export", report["id"], "--format", "json", "-o", str(tmp_path / "out"), env=env)
    assert json.loads((tmp_path / "out" / f"{report['id']}.json").read_text(encoding="utf-8")) == report
    assert exported.returncode == 0


def test_flow_run_consignment(tmp_path, env):
    answers = {"scope": "koriyama-kijun", "work": "個人番号を含む申告書のデータ入力", "handles_my_number": "yes",
               "reconsignment_planned": "yes", "dispatched_workers": "no", "koriyama-kijun:22:2": "済",
               "koriyama-kijun:22:9": "未"}
    result = hogo("flow", "run", "consignment", "--answers", str(write(tmp_path, answers)), "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report)[:8] == ["id", "status", "flow", "scope", "title", "municipality", "regulation", "gaps"]
    statuses = {i["key"]: i["status"] for i in report["items"]}
    assert statuses["koriyama-kijun:22:2"] == "済" and statuses["koriyama-kijun:22:9"] == "未"
    assert statuses["koriyama-kijun:22:6"] == "該当なし"
    assert all("text" in g for g in report["gaps"])


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        (json.dumps({**INCIDENT, "affected_count": "many"}), "field 'affected_count'"),
        (json.dumps({**INCIDENT, "scope": "nowhere"}), "has no file for regulation 'nowhere'"),
        (json.dumps({k: v for k, v in INCIDENT.items() if k != "scope"}), "'scope' is required"),
    ],
)
def test_flow_run_bad_input_is_one_line_exit_2(tmp_path, env, content, needle):
    path = tmp_path / "answers.json"
    path.write_text(content, encoding="utf-8")
    result = hogo("flow", "run", "incident", "--answers", str(path), "--json", env=env)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_flow_run_warns_about_unknown_fields(tmp_path, env):
    result = hogo("flow", "run", "incident", "--answers", str(write(tmp_path, {**INCIDENT, "colour": "red"})),
                  "--json", env=env)
    assert result.returncode == 0
    assert "unknown field 'colour' ignored" in result.stderr


def test_unknown_report_is_exit_2(env):
    result = hogo("reports", "show", "ffffffffffff", env=env)
    assert result.returncode == 2 and "no report" in result.stderr


class Dialogue:
    """A `hogo flow …` process driven through its prompts."""

    def __init__(self, args, env):
        # PYTHONFAULTHANDLER: a process that hangs is made to print where (see exit_code). Ctrl-C as in a
        # terminal: a shell starts background jobs (a CI run, say) with SIGINT ignored, and the child would
        # inherit that and never see it.
        self.proc = subprocess.Popen([HOGO, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env={**env, "PYTHONFAULTHANDLER": "1"},
                                     bufsize=1, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.out = ""
        self.lock = threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while ch := self.proc.stdout.read(1):
            with self.lock:
                self.out += ch

    def wait_for(self, pattern, count=1, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(re.findall(pattern, self.out)) >= count:
                    return self.out
            time.sleep(0.02)
        raise AssertionError(f"never saw {pattern!r} x{count} in:\n{self.out}")

    def exit_code(self, timeout=30):
        """The exit code; a process still running after ``timeout`` fails the test with its output and the
        stack of every thread."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)
            self.proc.wait(10)
            time.sleep(0.5)
            with self.lock:
                raise AssertionError(f"still running after {timeout} s; output and stacks:\n{self.out}") from None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self.proc.stdin.close()
        self.proc.stdout.close()


@pytest.fixture
def dialogue(env):
    started = []

    def start(*args):
        started.append(Dialogue(list(args), env))
        return started[-1]

    yield start
    for d in started:
        d.close()


# event_type "10" is まだわからない, which has no follow-up questions
TERMINAL_ANSWERS = ["2026-04-01 10:00", "10", "1", "書類を紛失した", "1,2", "30", "2", "2", "2", "2", "2", "2",
                    "2", "庁舎内を捜索中", "調査中", "なし", "2", "2", ""]


def drive(dialogue, answers):
    for text in answers:
        before = dialogue.out.count("> ")
        dialogue.proc.stdin.write(text + "\n")
        dialogue.proc.stdin.flush()
        dialogue.wait_for(r"> ", before + 1)


def test_killed_mid_dialogue_resumes_where_it_stopped(env, dialogue):
    first = dialogue("flow", "incident", "--scope", "koriyama-kijun")
    out = first.wait_for(r"> ")
    session = re.search(r"セッションID: ([0-9a-f]{12})", out).group(1)
    drive(first, TERMINAL_ANSWERS[:6])
    assert "【ステップ 8 / 20】" in first.out
    first.proc.kill()  # SIGKILL: no cleanup, no goodbye
    first.proc.wait(10)

    second = dialogue("flow", "resume", session)
    out = second.wait_for(r"> ")
    assert "6問回答済み" in out or "7問回答済み" in out
    assert "【ステップ 8 / 20】 個人番号（マイナンバー）" in out
    drive(second, ["b"])  # back to the number of people, offered with the previous answer
    assert "前回の回答: 30" in second.out
    drive(second, ["", *TERMINAL_ANSWERS[6:]])
    assert "【回答の確認】" in second.out
    second.proc.stdin.write("y\n")
    second.proc.stdin.flush()
    second.wait_for("報告書を保存しました")
    assert second.exit_code() == 0
    report = json.loads(hogo("reports", "show", session, "--json", env=env).stdout)
    assert report["answers"]["affected_count"]["value"] == 30
    assert report["ppc_report_required"] is False
    assert report["missing_items"] == ["原因", "再発防止のための措置"]


def test_ctrl_c_prints_the_resume_command(env, dialogue):
    running = dialogue("flow", "consignment", "--scope", "mima-kitei")
    running.wait_for(r"> ")
    drive(running, ["給与事務"])
    running.proc.send_signal(signal.SIGINT)
    assert running.exit_code() == 130
    running.wait_for("再開するには: hogo flow resume")
    listed = hogo("flow", "list", env=env)
    assert "consignment\tmima-kitei\tactive\t2 answers" in listed.stdout


def test_invalid_answer_is_explained_and_asked_again(dialogue):
    running = dialogue("flow", "incident", "--scope", "mima-kitei")
    running.wait_for(r"> ")
    drive(running, ["先週の金曜"])
    assert "⚠ 日時は「2026-04-01 10:30」のように入力してください。" in running.out
    assert running.out.count("【ステップ 2 / 20】") == 1  # asked again without repeating the question
