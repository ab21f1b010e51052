"""The review of 👎 answers through the app factory: the list with the question, the cited clauses and the
comment; the answer given now; a staff word added to the site's expansion dictionary or a topic marked as not
covered, each written beside the data and applied to the running engine at once."""

from __future__ import annotations

import re

from bot.desk import vocabulary
from tests.desk.conftest import DeskClient, csrf

PASSWORD_QUESTION = "庁内のパソコンのパスワードは何文字以上？"  # answered from the rules, though they do not say
WORD_QUESTION = "ぴよぴよをなくした。誰に報告？"  # a word of the office's own (a kind of USB stick, say)
PAYLOAD = '<img src=x onerror="window.__pwned=1">'


def thumbs_down(desk_client: DeskClient, question: str, comment: str | None = None,
                keys: tuple[str, ...] = ("koriyama-kijun:17:2",)) -> int:
    session = desk_client.client.post("/api/session", json={"site_key": "demo"},
                                      headers={"Origin": "http://testserver"}).json()
    response = desk_client.client.post("/api/feedback", headers={"Authorization": f"Bearer {session['token']}"},
                                       json={"question": question, "rating": "down", "comment": comment,
                                             "cited_keys": list(keys)})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_the_list_shows_only_thumbs_down_with_question_clauses_and_comment(desk_client):
    down = thumbs_down(desk_client, PASSWORD_QUESTION, comment=f"規程に文字数はないはず {PAYLOAD}")
    desk_client.store.add_feedback("役に立った質問", 1, None, [], "web")
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    page = desk_client.client.get("/desk/feedback")
    assert page.status_code == 200
    assert re.findall(r'data-feedback="(\d+)"', page.text) == [str(down)]
    assert PASSWORD_QUESTION in page.text and "規程に文字数はないはず" in page.text
    assert "郡山市保有個人情報等の取扱基準 第17条第2項" in page.text
    assert PAYLOAD not in page.text and "未対応" in page.text


def test_marking_a_topic_not_covered_makes_hogo_abstain_at_once(desk_client, engine):
    item = thumbs_down(desk_client, PASSWORD_QUESTION)
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    page = desk_client.client.get(f"/desk/feedback/{item}")
    assert "今の回答" in page.text and "回答を控えました" not in page.text  # (and the answer is now cached)
    done = desk_client.client.post(f"/desk/feedback/{item}/off-topic", follow_redirects=False,
                                   data={"csrf": csrf(page.text), "description": "庁内のパソコンのパスワードの文字数"})
    assert done.status_code == 303 and done.headers["location"] == f"/desk/feedback/{item}?done=off_topic"
    again = desk_client.client.get(done.headers["location"])
    assert "対象外の話題として登録しました" in again.text and "回答を控えました" in again.text
    assert engine.ask(PASSWORD_QUESTION).abstained  # the widget and Slack answer the same way now
    site = desk_client.app.state.res.settings.data_dir / "site" / "off_topic.txt"
    assert site.read_text(encoding="utf-8").splitlines()[-1] == "庁内のパソコンのパスワードの文字数"
    assert "対象外として登録" in desk_client.client.get("/desk/feedback").text


def test_adding_a_staff_word_expands_the_question(desk_client, engine):
    item = thumbs_down(desk_client, WORD_QUESTION, keys=())
    desk_client.user("tanaka")
    desk_client.login("tanaka")
    assert "電磁的記録媒体" not in engine.searcher.expander.terms(WORD_QUESTION)
    page = desk_client.client.get(f"/desk/feedback/{item}")
    empty = desk_client.client.post(f"/desk/feedback/{item}/expansion",
                                    data={"csrf": csrf(page.text), "sources": "ぴよぴよ", "targets": " "})
    assert empty.status_code == 422 and "両方を入力してください" in empty.text
    done = desk_client.client.post(f"/desk/feedback/{item}/expansion",
                                   data={"csrf": csrf(page.text), "sources": "ぴよぴよ｜ピヨピヨ", "targets": "電磁的記録媒体"})
    assert done.status_code == 200 and "言い換えを追加しました" in done.text
    assert "電磁的記録媒体" in engine.searcher.expander.terms(WORD_QUESTION)
    data_dir = desk_client.app.state.res.settings.data_dir
    assert vocabulary.lines(data_dir, vocabulary.EXPANSIONS) == ["ぴよぴよ|ピヨピヨ\t電磁的記録媒体"]
    audit = desk_client.client.get("/desk/audit", params={"action": "feedback_expansion"}).text
    assert "ぴよぴよ|ピヨピヨ → 電磁的記録媒体" in audit and f"feedback:{item}" in audit


def test_only_the_office_changes_the_vocabulary(desk_client):
    item = thumbs_down(desk_client, PASSWORD_QUESTION)
    desk_client.user("kansa", role="auditor")
    desk_client.login("kansa")
    page = desk_client.client.get(f"/desk/feedback/{item}")
    assert page.status_code == 200 and "対象外として登録して回答し直す" not in page.text
    refused = desk_client.client.post(f"/desk/feedback/{item}/off-topic",
                                      data={"csrf": csrf(page.text), "description": "x"})
    assert refused.status_code == 403
    assert not (desk_client.app.state.res.settings.data_dir / "site" / "off_topic.txt").exists()
    assert desk_client.client.get("/desk/feedback/999999").status_code == 404


def test_another_process_picks_the_change_up(desk_client, engine, tmp_path):
    data_dir = desk_client.app.state.res.settings.data_dir
    assert not vocabulary.refresh(engine, data_dir)  # nothing changed since it was applied
    vocabulary.append(data_dir, vocabulary.EXPANSIONS, vocabulary.expansion_line("ぴよぴよ", "電磁的記録媒体"))
    assert vocabulary.refresh(engine, data_dir)  # what the scheduler's run does in each process
    assert "電磁的記録媒体" in engine.searcher.expander.terms(WORD_QUESTION)
