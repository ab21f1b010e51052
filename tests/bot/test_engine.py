"""The dialogue engine over the real store, on SQLite and on PostgreSQL: steps, validation, back,
summary, idempotent retries, resuming from a fresh process-like store, and concurrent writers."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from bot.dialogue.engine import FinishedError, FlowService, IncompleteError
from bot.dialogue.spec import FlowError
from bot.dialogue.values import AnswerError
from bot.store import SessionNotFound, Store

# event_type "10" is the menu number of まだわからない, which has no follow-up questions
INCIDENT_ANSWERS = [
    ("discovered_at", "2026-04-01 10:00"), ("event_type", "10"), ("media", "1"), ("summary", "書類を紛失"),
    ("data_items", "氏名、住所"), ("affected_count", "30"), ("contains_my_number", "いいえ"),
    ("sensitive", "no"), ("ordinance_sensitive", "no"), ("financial_risk", "no"), ("malicious", "no"),
    ("publicly_viewable", "no"), ("contractor_involved", "no"), ("containment", "庁舎内を捜索"),
    ("cause", "調査中"), ("secondary_damage", "なし"), ("individuals_notified", "no"), ("publication", "no"),
    ("prevention", ""),
]


def answer_all(service: FlowService, session_id: str, answers=INCIDENT_ANSWERS):
    view = None
    for step_id, value in answers:
        view = service.answer(session_id, step_id, value)
    return view


def test_a_whole_incident_dialogue(service):
    view = service.start("incident", "koriyama-kijun")
    assert view.step["id"] == "discovered_at" and view.progress["n"] == 2
    assert view.step["cite_labels"] == ["郡山市保有個人情報等の取扱基準 第23条第1項"]
    view = answer_all(service, view.id)
    assert view.step is None and view.status == "confirm"
    assert [s["id"] for s in view.summary][:3] == ["scope", "discovered_at", "event_type"]
    assert view.summary[3]["display"] == "紙の書類"
    report = service.finish(view.id)
    assert report.data["ppc_report_required"] is False
    assert service.get(view.id).status == "finished"
    assert service.finish(view.id).id == report.id  # finishing twice returns the same report
    with pytest.raises(FinishedError):
        service.answer(view.id, "summary", "変更")


def test_steps_are_shown_or_skipped_by_earlier_answers(service):
    view = service.start("incident", "koriyama-kijun")
    answer_all(service, view.id, INCIDENT_ANSWERS[:6])
    view = service.answer(view.id, "contains_my_number", "わからない")
    assert view.step["id"] == "my_number_system"
    view = service.answer(view.id, "contains_my_number", "いいえ")  # changed: the follow-up disappears
    assert view.step["id"] == "sensitive"
    with pytest.raises(FlowError) as info:
        service.answer(view.id, "my_number_system", "yes")
    assert info.value.message_ja == "この質問はこれまでの回答では対象になりません。"


def test_validation_messages_are_japanese_and_nothing_is_stored(service):
    view = service.start("incident", "koriyama-kijun")
    for step_id, bad, message in [
        ("discovered_at", "先週", "日時は「2026-04-01 10:30」のように入力してください。"),
        ("discovered_at", "", "この質問には回答が必要です。"),
    ]:
        with pytest.raises(AnswerError) as info:
            service.answer(view.id, step_id, bad)
        assert info.value.message_ja == message
    service.answer(view.id, "discovered_at", "2026-04-01")
    service.answer(view.id, "event_type", "leak")
    service.answer(view.id, "media", ["usb"])
    service.answer(view.id, "summary", "USB紛失")
    service.answer(view.id, "data_items", "氏名")
    with pytest.raises(AnswerError) as info:
        service.answer(view.id, "affected_count", "たくさん")
    assert "人数を数字で入力してください" in info.value.message_ja
    assert service.get(view.id).step["id"] == "affected_count"


def test_back_withdraws_the_last_answer_and_offers_it_again(service):
    view = service.start("incident", "koriyama-kijun")
    answer_all(service, view.id, INCIDENT_ANSWERS[:3])
    view = service.back(view.id, from_step="summary")  # "summary" is the free-text step now waiting
    assert view.step["id"] == "media" and view.step["default"] == ["paper"]
    view = service.back(view.id, from_step="summary")  # a retried back: media is current, nothing happens
    assert view.step["id"] == "media"
    view = service.answer(view.id, "media", ["paper", "email"])
    assert view.step["id"] == "summary"
    service.answer(view.id, "strongly_encrypted", "no")  # shown now that email is among the media
    answer_all(service, view.id, INCIDENT_ANSWERS[3:])
    view = service.back(view.id, from_step="confirm")  # from the summary back to the last question
    assert view.step["id"] == "prevention"


def test_a_retried_answer_advances_once(service):
    view = service.start("incident", "koriyama-kijun")
    first = service.answer(view.id, "discovered_at", "2026-04-01 09:00", request_id="req-1")
    again = service.answer(view.id, "discovered_at", "2026-04-01 09:00", request_id="req-1")
    assert first.step["id"] == again.step["id"] == "event_type"
    # without a request id the answer is keyed by its step, so repeating it changes nothing either
    service.answer(view.id, "event_type", "leak")
    service.answer(view.id, "event_type", "leak")
    row = service.store.get_session(view.id)
    assert row.state["history"] == ["scope", "discovered_at", "event_type"]
    # a retried request for a step that is no longer current does not rewind the dialogue
    assert service.answer(view.id, "discovered_at", "2026-04-01 09:00", request_id="req-1").step["id"] == "media"


def test_a_session_resumes_from_another_store(service, db_url, library, corpus):
    view = service.start("consignment", "mima-kitei")
    service.answer(view.id, "work", "給与事務の委託")
    service.store.close()
    again = FlowService(Store(db_url), library, corpus)  # as if a new process opened the database
    resumed = again.get(view.id)
    assert resumed.step["id"] == "handles_my_number" and resumed.progress["answered"] == 2
    again.store.close()


def test_unknown_session_and_finishing_early(service):
    with pytest.raises(SessionNotFound):
        service.get("000000000000")
    view = service.start("consignment", "koriyama-kijun")
    with pytest.raises(IncompleteError) as info:
        service.finish(view.id)
    assert "まだ回答していない質問があります" in info.value.message_ja


def test_scope_is_asked_when_not_given_and_unknown_scope_is_refused(service):
    view = service.start("incident")
    assert view.step["id"] == "scope"
    assert [o["value"] for o in view.step["options"]] == ["koriyama-kijun", "mima-kitei"]
    view = service.answer(view.id, "scope", "2")
    assert view.scope == "mima-kitei" and view.step["cite_labels"] == [
        "美馬市職員等の特定個人情報等取扱規程 第8条第1項"]
    with pytest.raises(FlowError):
        service.start("incident", "nowhere-kitei")


def test_changing_the_city_drops_the_other_citys_checklist_answers(service):
    view = service.start("consignment", "koriyama-kijun")
    answer_all(service, view.id, [("work", "印刷"), ("handles_my_number", "no"), ("reconsignment_planned", "no"),
                                  ("dispatched_workers", "no"), ("koriyama-kijun:22:1", "済")])
    view = service.answer(view.id, "scope", "mima-kitei")
    assert view.step["id"] == "mima-kitei:25:2"
    assert "koriyama-kijun:22:1" not in service.store.get_session(view.id).state["answers"]


def test_my_number_in_free_text_is_masked_and_the_user_is_told(service):
    view = service.start("incident", "koriyama-kijun")
    answer_all(service, view.id, INCIDENT_ANSWERS[:3])
    view = service.answer(view.id, "summary", "個人番号123456789018の書類")
    assert any("伏せ字" in n for n in view.notices)
    stored = service.store.get_session(view.id).state["answers"]["summary"]
    assert "123456789018" not in stored and "[個人番号のため伏せ字]" in stored


# concurrency ----------------------------------------------------------------------------------------

STEPS = ["work", "handles_my_number", "reconsignment_planned", "dispatched_workers"]


def test_concurrent_threads_never_lose_an_answer(service):
    view = service.start("consignment", "koriyama-kijun")
    for key in STEPS:
        service.answer(view.id, key, "no" if key != "work" else "印刷")
    items = [s.id for s in service.library.get("consignment").city("koriyama-kijun").steps][:12]
    errors = []

    def worker(keys):
        try:
            for key in keys:
                service.answer(view.id, key, "済")
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(items[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    row = service.store.get_session(view.id)
    assert all(row.state["answers"][k] == {"status": "済", "note": ""} for k in items)
    assert row.version == 1 + len(STEPS) + len(items)


def _answer_in_process(url, session_id, keys, queue):
    from bot.dialogue.engine import FlowService
    from bot.dialogue.spec import FlowLibrary
    from corpus.loader import Corpus

    corpus = Corpus.load()
    service = FlowService(Store(url), FlowLibrary.load(corpus), corpus)
    try:
        for key in keys:
            service.answer(session_id, key, "未")
        queue.put("ok")
    except Exception as exc:
        queue.put(repr(exc))


def test_two_processes_answering_one_session(service, db_url):
    view = service.start("consignment", "koriyama-kijun")
    for key in STEPS:
        service.answer(view.id, key, "no" if key != "work" else "印刷")
    items = [s.id for s in service.library.get("consignment").city("koriyama-kijun").steps]
    items = [i for i in items if i not in {"koriyama-kijun:22:8", "koriyama-kijun:22:9", "koriyama-kijun:22:5",
                                           "koriyama-kijun:22:6"}]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_answer_in_process, args=(db_url, view.id, items[i::2], queue)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert sorted(queue.get(timeout=5) for _ in procs) == ["ok", "ok"]
    row = service.store.get_session(view.id)
    assert {k: row.state["answers"][k]["status"] for k in items} == dict.fromkeys(items, "未")
    assert row.version == 1 + len(STEPS) + len(items)
    assert service.get(view.id).status == "confirm"


def test_sqlite_runs_in_wal_mode(tmp_path):
    import sqlalchemy as sa

    store = Store(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    store.close()


def test_a_cancelled_session_stops_and_is_not_offered_again(service):
    view = service.start("incident", "koriyama-kijun")
    service.answer(view.id, "discovered_at", "2026-04-01")
    cancelled = service.cancel(view.id)
    assert cancelled.status == "cancelled" and cancelled.step is None
    assert service.cancel(view.id).status == "cancelled"
    with pytest.raises(FlowError) as info:
        service.answer(view.id, "event_type", "leak")
    assert info.value.message_ja == "このセッションは取り消されています。最初から始めてください。"
    with pytest.raises(FlowError):
        service.finish(view.id)
    assert service.store.list_sessions("active", owner=None) == []
