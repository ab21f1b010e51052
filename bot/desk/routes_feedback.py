"""The review of 👎 answers: the question, the clauses it cited and the comment; the answer hogo gives now;
and the office's two remedies, a staff word for the expansion dictionary or a topic the rules do not cover,
each written to the site's own vocabulary (``bot.desk.vocabulary``) and answered again at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import insert, select

from bot.desk import audit_log, vocabulary
from bot.desk.signin import SignedIn
from bot.desk.tables import feedback_actions
from bot.desk.web import DeskPage, check_form, clean, client_ip, desk, office, redirect, render, staff
from bot.store import _utc, feedback
from corpus.errors import HogoError

router = APIRouter(prefix="/feedback")
Staff = Annotated[SignedIn, Depends(staff)]
FormText = Annotated[str, Form()]
ACTION_LABELS = {"expansion": "言い換えを追加", "off_topic": "対象外として登録"}
DONE = {"expansion": "言い換えを追加しました。下は追加後の回答です。",
        "off_topic": "対象外の話題として登録しました。下は登録後の回答です。"}


@dataclass
class Item:
    id: int
    question: str
    comment: str | None
    channel: str | None
    created_at: datetime
    cited: list[dict[str, str]]
    actions: list[dict[str, Any]] = field(default_factory=list)


def _items(request: Request, feedback_id: int | None = None, limit: int = 200) -> list[Item]:
    d = desk(request)
    query = select(feedback).where(feedback.c.rating < 0).order_by(feedback.c.id.desc()).limit(limit)
    if feedback_id is not None:
        query = query.where(feedback.c.id == feedback_id)
    corpus = d.engine.corpus
    with d.store.engine.connect() as conn:
        rows = list(conn.execute(query).mappings())
        done = select(feedback_actions).where(feedback_actions.c.feedback_id.in_([r["id"] for r in rows]))
        actions: dict[int, list[dict[str, Any]]] = {}
        for a in conn.execute(done.order_by(feedback_actions.c.id)).mappings():
            actions.setdefault(a["feedback_id"], []).append({**a, "at": _utc(a["at"])})
    items = []
    for row in rows:
        cited = []
        for key in row["cited_keys"] or []:
            unit = corpus.get(key)
            cited.append({"key": key, "label": corpus.label(unit) if unit is not None else key})
        items.append(Item(row["id"], row["question"], row["comment"], row["channel"], _utc(row["created_at"]), cited,
                          actions.get(row["id"], [])))
    return items


def _item(request: Request, feedback_id: int) -> Item:
    found = _items(request, feedback_id, 1)
    if not found:
        raise DeskPage(404, "見つかりません", "指定されたフィードバックは見つかりません。")
    return found[0]


@router.get("")
def feedback_list(request: Request, me: Staff) -> Response:
    d = desk(request)
    audit_log.record(d.store.engine, d.now(), me.account.name, "feedback_view", None, None, client_ip(request))
    return render(request, "feedback.html", me=me, section="feedback", items=_items(request),
                  action_labels=ACTION_LABELS)


def _page(request: Request, me: SignedIn, item: Item, status: int = 200, error: str | None = None,
          flash: str | None = None) -> Response:
    try:
        answer = desk(request).engine.ask(item.question).to_dict()
    except HogoError as exc:
        answer = {"answer": exc.message_ja, "abstained": True, "citations": []}
    return render(request, "feedback_item.html", status=status, me=me, section="feedback", item=item, answer=answer,
                  action_labels=ACTION_LABELS, error=error, flash=flash)


@router.get("/{feedback_id}")
def feedback_item(feedback_id: int, request: Request, me: Staff, done: str = "") -> Response:
    return _page(request, me, _item(request, feedback_id), flash=DONE.get(done))


def _remedy(request: Request, me: SignedIn, feedback_id: int, csrf: str, action: str, make_line) -> Response:
    check_form(request, me, csrf)
    office(me)
    d = desk(request)
    item = _item(request, feedback_id)
    try:
        line = make_line()
    except vocabulary.VocabularyError as exc:
        return _page(request, me, item, 422, exc.message_ja)
    name = vocabulary.EXPANSIONS if action == "expansion" else vocabulary.OFF_TOPIC
    vocabulary.append(d.settings.data_dir, name, line)
    with d.store.engine.begin() as conn:
        conn.execute(insert(feedback_actions).values(feedback_id=item.id, action=action, line=line,
                                                     by=me.account.name, at=d.now()))
    audit_log.record(d.store.engine, d.now(), me.account.name, f"feedback_{action}", f"feedback:{item.id}",
                     line.replace("\t", " → "), client_ip(request))
    vocabulary.apply(d.engine, d.settings.data_dir)
    return redirect(f"/desk/feedback/{item.id}?done={action}")


@router.post("/{feedback_id}/expansion")
def add_expansion(feedback_id: int, request: Request, me: Staff, csrf: FormText = "", sources: FormText = "",
                  targets: FormText = "") -> Response:
    sources, targets = clean(sources, 200), clean(targets, 200)
    return _remedy(request, me, feedback_id, csrf, "expansion", lambda: vocabulary.expansion_line(sources, targets))


@router.post("/{feedback_id}/off-topic")
def add_off_topic(feedback_id: int, request: Request, me: Staff, csrf: FormText = "",
                  description: FormText = "") -> Response:
    description = clean(description, 200)
    return _remedy(request, me, feedback_id, csrf, "off_topic", lambda: vocabulary.off_topic_line(description))
