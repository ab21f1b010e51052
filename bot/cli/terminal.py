"""The guided dialogues in a terminal: one question at a time, numbered choices, back, Ctrl-C safe.

Every answer is stored before the next question is shown, so closing the terminal (or a crash) loses
nothing: `hogo flow resume ID` continues from the last stored answer.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from bot.dialogue.engine import FlowService, View
from bot.dialogue.spec import FlowError

BACK = {"b", "back", "戻る", "もどる", "<"}
QUIT = {"q", "quit", "中断", "やめる"}
HELP = {"?", "？", "h", "help", "ヘルプ"}
CONFIRM = {"y", "yes", "はい", "確定", "ok"}


class Terminal:
    def __init__(self, service: FlowService, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.service = service
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._told_draft: set[str] = set()  # sessions already told that the city's part is a draft

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def read(self, prompt: str = "> ") -> str:
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise EOFError
        return line.strip()

    # entry points ---------------------------------------------------------------------------------
    def start(self, flow: str, scope: str | None) -> int:
        view = self.service.start(flow, scope, owner="cli")
        self.say(f"「{view.title}」を始めます。")
        description = self.service.library.get(flow).description
        if description:
            self.say(description)
        return self._loop(view)

    def resume(self, session_id: str) -> int:
        view = self.service.get(session_id)
        if view.status == "finished":
            self.say(f"このセッションは完了しています。報告書: hogo reports show {view.id}")
            return 0
        self.say(f"「{view.title}」を再開します（{view.progress['answered']}問回答済み）。")
        return self._loop(view)

    # the loop -------------------------------------------------------------------------------------
    def _loop(self, view: View) -> int:
        self.say(f"セッションID: {view.id}（中断しても `hogo flow resume {view.id}` で再開できます）")
        self.say("操作: 番号や文字で回答 / b: 戻る / ?: 説明 / q: 中断")
        try:
            while True:
                if view.status == "finished":
                    return 0
                view = self._confirm(view) if view.step is None else self._ask(view)
        except (KeyboardInterrupt, EOFError):
            self.say("")
            self.say(f"中断しました。ここまでの回答は保存されています。再開するには: hogo flow resume {view.id}")
            return 130
        except _Quit:
            self.say(f"中断しました。再開するには: hogo flow resume {view.id}")
            return 0

    def _show_step(self, view: View) -> None:
        step = view.step
        assert step is not None
        if view.draft_notice and view.id not in self._told_draft:
            self._told_draft.add(view.id)
            self.say("")
            self.say(f"⚠ {view.draft_notice}")
        self.say("")
        self.say(f"【ステップ {view.progress['n']} / {view.progress['m']}】 {step['prompt']}")
        if step["kind"] == "check" and step.get("title"):
            self.say(f"  （{step['phase']}・{step['title']}）")
        if step["options"]:
            self.say("  " + "  ".join(f"{i}. {o['label']}" for i, o in enumerate(step["options"], 1)))
        hints = {"multiselect": "複数ある場合は「1,3」のように区切って入力",
                 "datetime": "例: 2026-04-01 10:30", "number": "数字で入力（わからなければ「わからない」）",
                 "check": "例: 1 / 未 契約書を確認中"}
        if step["kind"] in hints:
            self.say(f"  ※{hints[step['kind']]}")
        if not step["required"] and step["kind"] in ("text", "datetime"):
            self.say("  ※空欄のままEnterで省略できます")
        if step["cite_labels"] or step["basis"]:
            self.say("  根拠: " + "、".join(step["cite_labels"] + step["basis"]))
        if step.get("default") not in (None, "", []):
            self.say(f"  前回の回答: {_plain(step['default'])}（Enterでそのまま）")

    def _ask(self, view: View) -> View:
        self._show_step(view)
        step = view.step
        assert step is not None
        while True:
            text = self.read()
            if text.lower() in BACK:
                return self.service.back(view.id, from_step=step["id"])
            if text.lower() in QUIT:
                raise _Quit
            if text in HELP:
                self.say(step["help"] or "説明はありません。")
                continue
            value: Any = text
            if text == "" and step.get("default") not in (None, "", []):
                value = step["default"]
            try:
                new = self.service.answer(view.id, step["id"], value)
            except FlowError as exc:
                self.say(f"  ⚠ {exc.message_ja}")
                continue
            for notice in new.notices:
                if notice != new.draft_notice:  # said once, when the city was chosen
                    self.say(f"  ※ {notice}")
            return new

    def _confirm(self, view: View) -> View:
        self.say("")
        self.say("【回答の確認】")
        for n, item in enumerate(view.summary, 1):
            self.say(f"  {n:>2}. {item['prompt']}")
            self.say(f"      → {item['display']}")
        while True:
            text = self.read("この内容で確定しますか？ y: 確定 / 番号: その回答を修正 / b: 戻る > ")
            if text.lower() in CONFIRM:
                report = self.service.finish(view.id)
                self.say("")
                self.say(report.markdown)
                self.say(f"報告書を保存しました。再表示: hogo reports show {report.id}")
                return self.service.get(view.id)
            if text.lower() in BACK:
                return self.service.back(view.id, from_step="confirm")
            if text.lower() in QUIT:
                raise _Quit
            if text.isdigit() and 1 <= int(text) <= len(view.summary):
                return self._edit(view, view.summary[int(text) - 1])
            self.say("  ⚠ 「y」「b」または修正する項目の番号を入力してください。")

    def _edit(self, view: View, item: dict[str, Any]) -> View:
        self.say(f"「{item['prompt']}」の新しい回答を入力してください（現在: {item['display']}）")
        while True:
            text = self.read()
            if text == "":
                return view
            try:
                return self.service.answer(view.id, item["id"], text)
            except FlowError as exc:
                self.say(f"  ⚠ {exc.message_ja}")


class _Quit(Exception):
    pass


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(map(str, value))
    if isinstance(value, dict):
        return value.get("status", "") + (f" {value['note']}" if value.get("note") else "")
    return str(value)
