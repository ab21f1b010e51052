"""The real bolt app behind /slack/events, driven with signed requests, talking to a fake Web API."""

from __future__ import annotations

import json
import time
from datetime import datetime

from bot.dialogue.values import JST


def test_mention_is_answered_in_the_thread_with_citations(slack):
    response = slack.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> USBをなくした。誰に報告？",
                            "ts": "1700000000.000100", "channel": "C1", "event_ts": "1700000000.000100"})
    assert response.status_code == 200
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post["channel"] == "C1" and post["thread_ts"] == "1700000000.000100"
    texts = json.dumps(post["blocks"], ensure_ascii=False)
    assert "郡山市保有個人情報等の取扱基準 第23条第1項" in texts
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {e["action_id"] for e in buttons} >= {"show_clause_1", "feedback_up", "feedback_down"}


def test_a_retried_event_is_answered_once(slack):
    event = {"type": "app_mention", "user": "U1", "text": "<@UBOT> 委託先の監督は？", "ts": "2.0", "channel": "C1"}
    assert slack.event(event, event_id="EvRetry").status_code == 200
    slack.fake.wait_for("chat.postMessage")
    assert slack.event(event, event_id="EvRetry", retry=1).status_code == 200
    assert slack.event(event, event_id="EvRetry", retry=2).status_code == 200
    time.sleep(1.5)
    assert len(slack.fake.named("chat.postMessage")) == 1


def test_a_bad_signature_is_rejected(slack):
    response = slack.event({"type": "app_mention", "user": "U1", "text": "x", "ts": "3.0", "channel": "C1"},
                           secret="not-the-secret")
    assert response.status_code == 401
    time.sleep(0.5)
    assert slack.fake.named("chat.postMessage") == []


def test_dms_are_answered_and_bots_ignored(slack):
    slack.event({"type": "message", "channel_type": "im", "user": "U1", "text": "マイナンバーの書類を捨てたい",
                 "ts": "4.0", "channel": "D1"}, event_id="EvDm")
    slack.event({"type": "message", "channel_type": "im", "bot_id": "BOTHER", "text": "bot says hi", "ts": "5.0",
                 "channel": "D1"}, event_id="EvBot")
    slack.event({"type": "message", "channel_type": "im", "user": "UBOT", "text": "my own message", "ts": "6.0",
                 "channel": "D1"}, event_id="EvSelf")
    posts = slack.fake.wait_for("chat.postMessage")
    time.sleep(1.0)
    posts = slack.fake.named("chat.postMessage")
    assert [p["thread_ts"] for p in posts] == ["4.0"]


def test_show_clause_and_feedback_buttons(slack):
    slack.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> USBをなくした", "ts": "7.0", "channel": "C1"},
                event_id="EvButtons")
    post = slack.fake.wait_for("chat.postMessage")[0]
    buttons = {e["action_id"]: e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]}
    slack.interaction({"type": "block_actions", "channel": {"id": "C1"}, "container": {"type": "message"},
                       "actions": [{**buttons["show_clause_1"], "type": "button"}]})
    modal = slack.fake.wait_for("views.open")[0]["view"]
    assert modal["blocks"][0]["text"]["text"] == buttons["show_clause_1"]["text"]["text"] or \
        modal["blocks"][0]["text"]["text"].startswith(("郡山市", "美馬市"))
    slack.interaction({"type": "block_actions", "channel": {"id": "C1"}, "container": {"type": "message"},
                       "actions": [{**buttons["feedback_down"], "type": "button"}]})
    slack.fake.wait_for("chat.postEphemeral")
    from sqlalchemy import select

    from bot.store import feedback

    with slack.flows.store.engine.connect() as conn:
        row = conn.execute(select(feedback)).mappings().one()
    keys = json.loads(buttons["feedback_down"]["value"])["k"]
    assert (row["rating"], row["cited_keys"], row["channel"]) == (-1, keys, "slack") and keys


def test_an_answer_about_an_incident_offers_the_incident_guide_in_a_modal(slack):
    slack.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> USBをなくした。誰に報告？", "ts": "13.0",
                 "channel": "C1"}, event_id="EvGuide")
    post = slack.fake.wait_for("chat.postMessage")[0]
    guide = next(b for b in post["blocks"] if b.get("block_id") == "guide")["elements"]
    assert [(e["action_id"], e["text"]["text"], e["value"]) for e in guide] == [
        ("home_incident", "漏えい等事案を報告", "incident")]
    slack.interaction({"type": "block_actions", "channel": {"id": "C1"}, "container": {"type": "message"},
                       "actions": [{**guide[0], "type": "button", "block_id": "guide"}]})
    opened = slack.fake.wait_for("views.open")[0]["view"]
    assert opened["callback_id"] == "hogo_flow" and slack.flows.get(opened["private_metadata"]).flow == "incident"

    slack.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> 保存期間は何年？", "ts": "14.0",
                 "channel": "C1"}, event_id="EvNoGuide")
    plain = slack.fake.wait_for("chat.postMessage", 2)[1]
    assert not any(b.get("block_id") == "guide" for b in plain["blocks"])


def test_the_lead_comes_first_and_a_clause_cited_inside_a_citation_opens_from_its_button(slack):
    slack.command("bind koriyama-kijun")
    slack.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> 前項の報告を受けた総括保護管理者は何をする？",
                 "ts": "12.0", "channel": "C1"}, event_id="EvRefs")
    post = slack.fake.wait_for("chat.postMessage")[0]
    blocks = post["blocks"]
    lead = post["text"].split("\n")[0]
    assert lead.endswith("（第23条第4項）")
    assert blocks[0] == {"type": "section", "text": {"type": "mrkdwn", "text": f"*{lead}*"}}  # bold, alone
    assert blocks[1]["type"] == "section" and blocks[1]["text"]["text"].startswith("・第23条第4項")

    references = next(b for b in blocks if b.get("block_id") == "references")["elements"]
    assert 0 < len(references) <= 25
    assert all(len(e["text"]["text"]) <= 75 and len(e["value"]) <= 2000 for e in references)
    button = next(e for e in references if e["value"] == "koriyama-kijun:23:3")
    assert button["text"]["text"].endswith("前項 → 第23条第3項")
    slack.interaction({"type": "block_actions", "channel": {"id": "C1"}, "container": {"type": "message"},
                       "actions": [{**button, "type": "button", "block_id": "references"}]})
    modal = slack.fake.wait_for("views.open")[0]["view"]
    assert modal["blocks"][0]["text"]["text"] == "郡山市保有個人情報等の取扱基準 第23条第3項"
    shown = "".join(b["text"]["text"] for b in modal["blocks"][1:])
    assert shown.startswith("保護管理者は、事案の発生した経緯、被害状況等を調査し")


def test_help_and_bind(slack):
    assert "/hogo incident" in slack.command("help").text  # an ephemeral reply in the ack itself
    assert "美馬市職員等の特定個人情報等取扱規程" in slack.command("bind mima-kitei").text
    assert slack.flows.store.channel_scope("C1") == "mima-kitei"
    slack.command("委託先に渡す書類は？")
    answer = slack.fake.wait_for("respond/1")[0]
    assert answer["response_type"] == "in_channel"
    labels = json.dumps(answer["blocks"], ensure_ascii=False)
    assert "美馬市" in labels and "郡山市" not in labels


# the incident modal ------------------------------------------------------------------------------------

ANSWERS = {
    "scope": "koriyama-kijun", "discovered_at": datetime(2026, 4, 1, 10, 0, tzinfo=JST), "event_type": "loss",
    "third_party_may_have_seen": "yes", "copy_exists": "no",
    "media": ["usb"], "summary": "USBメモリを紛失した", "data_items": ["name"], "affected_count": "150",
    "contains_my_number": "no", "sensitive": "no", "ordinance_sensitive": "no", "financial_risk": "no",
    "malicious": "no", "publicly_viewable": "no", "strongly_encrypted": "no", "contractor_involved": "no",
    "containment": "庁舎内を捜索", "cause": "", "secondary_damage": "なし", "individuals_notified": "no",
    "publication": "no", "prevention": "",
}


def state_for(step: dict, value) -> dict:
    kind = step["kind"]
    if kind in ("choice", "yesno"):
        element = {"type": "radio_buttons", "selected_option": {"value": value}}
    elif kind == "multiselect":
        element = {"type": "checkboxes", "selected_options": [{"value": v} for v in value]}
    elif kind == "datetime":
        element = {"type": "datetimepicker", "selected_date_time": int(value.timestamp())}
    else:
        element = {"type": "plain_text_input", "value": value}
    return {"answer": {"value": element}}


def submit(slack, session_id: str, values: dict, view_hash: str = "h"):
    return slack.interaction({"type": "view_submission", "view": {
        "id": "V1", "type": "modal", "hash": view_hash, "callback_id": "hogo_flow", "private_metadata": session_id,
        "state": {"values": values}}})


def test_incident_modal_flow_ends_in_a_stored_report_and_two_posts(slack):
    assert slack.command("incident").status_code == 200
    opened = slack.fake.wait_for("views.open")[0]["view"]
    session_id = opened["private_metadata"]
    assert opened["callback_id"] == "hogo_flow" and len(session_id) == 12  # only the id travels with the modal

    n = 0
    while (view := slack.flows.get(session_id)).step is not None:
        step = view.step
        if step["id"] == "affected_count" and n < 100:  # first an invalid number: inline error, nothing stored
            bad = submit(slack, session_id, state_for(step, "たくさん"), view_hash=f"bad{n}").json()
            assert bad["response_action"] == "errors" and bad["errors"]["answer"].startswith("人数を数字で")
            n = 100
        reply = submit(slack, session_id, state_for(step, ANSWERS[step["id"]]), view_hash=f"h{step['id']}").json()
        assert reply["response_action"] == "update", reply
        assert reply["view"]["private_metadata"] == session_id

    assert slack.flows.get(session_id).status == "confirm"
    done = submit(slack, session_id, {}, view_hash="confirm").json()
    assert done["response_action"] == "update"
    assert "報告書を保存しました" in json.dumps(done["view"], ensure_ascii=False)
    report = slack.flows.store.get_report(session_id)
    assert report.data["ppc_report_required"] is True and report.owner == "slack:U1"
    posts = slack.fake.wait_for("chat.postMessage", 2)
    assert {p["channel"] for p in posts} == {"U1", "CPRIVACY"}
    for post in posts:
        text = json.dumps(post["blocks"], ensure_ascii=False)
        assert f"https://hogo.city.example/reports/{session_id}.md?sig=" in text
        assert "確報" in text and "第23条第1項" in text
        assert "事案の種類: 紛失・置き忘れ / 法令上の区分: *漏えいのおそれ・滅失*" in text
    # the signed link opens the stored report; a forged one does not
    link = json.dumps(posts[0]["blocks"], ensure_ascii=False).split("https://hogo.city.example")[1].split("|")[0]
    assert slack.client.get(link).text == report.markdown
    assert slack.client.get(f"/reports/{session_id}.md?sig=forged").status_code == 404
    # a retried final submission posts nothing more
    submit(slack, session_id, {}, view_hash="confirm")
    time.sleep(1.0)
    assert len(slack.fake.named("chat.postMessage")) == 2


def test_a_closed_modal_resumes_and_back_works(slack):
    slack.command("itaku")
    session_id = slack.fake.wait_for("views.open")[0]["view"]["private_metadata"]
    step = slack.flows.get(session_id).step
    submit(slack, session_id, state_for(step, "koriyama-kijun"), view_hash="h1")  # each update has a new hash
    step = slack.flows.get(session_id).step
    submit(slack, session_id, state_for(step, "住民税通知書の印刷"), view_hash="h2")
    slack.interaction({"type": "view_closed", "view": {"id": "V1", "type": "modal", "callback_id": "hogo_flow",
                                                        "private_metadata": session_id}, "is_cleared": False})
    note = slack.fake.wait_for("chat.postMessage")[0]
    assert "/hogo itaku" in note["text"]
    slack.command("itaku")  # opens the same draft where it stopped
    reopened = slack.fake.wait_for("views.open", 2)[1]["view"]
    assert reopened["private_metadata"] == session_id
    assert slack.flows.get(session_id).step["id"] == "handles_my_number"
    slack.interaction({"type": "block_actions", "view": {"id": "V1", "type": "modal", "hash": "hx", "private_metadata": session_id,
                                                         "callback_id": "hogo_flow"},
                       "container": {"type": "view"},
                       "actions": [{"action_id": "flow_back", "block_id": "nav", "type": "button",
                                    "value": "handles_my_number"}]})
    updated = slack.fake.wait_for("views.update")[0]
    assert updated["view_id"] == "V1"
    assert slack.flows.get(session_id).step["id"] == "work"


def test_app_home_lists_recent_reports(slack):
    slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, event_id="EvHome")
    home = slack.fake.wait_for("views.publish")[0]
    assert home["user_id"] == "U1" and home["view"]["type"] == "home"
    assert "漏えい等事案を報告" in json.dumps(home["view"], ensure_ascii=False)


def test_a_failure_is_told_in_japanese(slack, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(slack.client.app.state.res.engine, "ask", broken)
    slack.event({"type": "app_mention", "user": "U1", "text": "<@UBOT> 委託", "ts": "11.0", "channel": "C1"},
                event_id="EvFail")
    post = slack.fake.wait_for("chat.postMessage")[0]
    assert post["text"] == "すみません、回答できませんでした。時間をおいてもう一度お試しください。"
    assert post["thread_ts"] == "11.0"


def test_long_answers_are_split_within_slack_limits():
    from bot.slack.blocks import answer_blocks, split_text

    text = "\n".join(f"・第{n}条に定める事項について、保護管理者は必要な措置を講ずる。" * 3 for n in range(200))
    chunks = split_text(text)
    assert len(chunks) > 3 and all(len(c) <= 2900 for c in chunks)
    assert "".join(chunks) == text  # nothing lost or repeated
    blocks = answer_blocks({"question": "q", "answer": text, "citations": []})
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_reference_buttons_stay_within_slack_limits():
    from bot.slack.blocks import answer_blocks

    def ref(n, keys):
        return {"key": keys[0], "keys": keys, "label": f"第{n}条" + "の2" * 40, "text": "前項" * 30,
                "external": False, "instrument": None}

    citations = [{"key": f"doc:{n}", "label": f"規程 第{n}条", "heading": None, "text": "…",
                  "references": [ref(n * 100 + m, [f"doc:{n}:{m}:{i}" for i in range(300)]) for m in range(20)]
                  + [{"key": None, "keys": [], "label": "番号法第19条", "text": "番号法第19条", "external": True,
                      "instrument": "番号法"}]}
                 for n in range(1, 8)]
    blocks = answer_blocks({"question": "q", "answer": "答え。（第1条）\n・第1条「…」", "citations": citations})
    assert blocks[0]["text"]["text"] == "*答え。（第1条）*"
    references = next(b for b in blocks if b.get("block_id") == "references")["elements"]
    assert 0 < len(references) <= 25 and len({e["action_id"] for e in references}) == len(references)
    assert all(len(e["text"]["text"]) <= 75 and len(e["value"]) <= 2000 for e in references)
    assert all(not e["value"].startswith("doc:6") for e in references)  # only the citations with 条文を表示
    assert all(b["type"] != "actions" or len(b["elements"]) <= 25 for b in blocks) and len(blocks) <= 50
