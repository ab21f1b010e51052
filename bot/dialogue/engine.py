"""The dialogue engine: flow state as plain data, pure operations on it, and a service that keeps it in
the store. It knows nothing of channels; the terminal, the web API and Slack all call FlowService."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.dialogue import conditions, consignment, incident, render, values
from bot.dialogue.spec import Flow, FlowError, FlowLibrary, Step, UnknownFlowError
from bot.store import ReportRow, SessionRow, Store, now
from corpus.loader import Corpus
from corpus.versions import version_record

log = logging.getLogger("hogo.flows")

CONFIRM = "confirm"  # where a dialogue stands once every question is answered (no step has this id)
MAX_APPLIED = 100  # request ids remembered per session for idempotent retries
BUILDERS = {"incident": incident.build_report, "consignment": consignment.build_report}


class FinishedError(FlowError):
    code = "session_finished"
    http_status = 409
    default_ja = "このセッションはすでに完了しています。報告書を確認してください。"


class CancelledError(FlowError):
    code = "session_cancelled"
    http_status = 409
    default_ja = "このセッションは取り消されています。最初から始めてください。"


class IncompleteError(FlowError):
    code = "session_incomplete"
    http_status = 409
    default_ja = "まだ回答していない質問があります。"


@dataclass
class FlowState:
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)  # step ids in the order they were answered
    drafts: dict[str, Any] = field(default_factory=dict)  # answers withdrawn by "back", offered as defaults
    applied: list[str] = field(default_factory=list)  # request ids already applied
    bound: list[str] | None = None  # the regulations this session may choose from; None: every one

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowState:
        return cls(**{k: data.get(k, v) for k, v in cls().__dict__.items()})

    def to_dict(self) -> dict[str, Any]:
        return {"answers": self.answers, "history": self.history, "drafts": self.drafts, "applied": self.applied,
                "bound": self.bound}


# pure operations ---------------------------------------------------------------------------------

def visible(flow: Flow, answers: dict[str, Any]) -> list[Step]:
    return [s for s in flow.steps(answers) if conditions.holds(s.when, answers)]


def current(flow: Flow, state: FlowState) -> Step | None:
    return next((s for s in visible(flow, state.answers) if s.id not in state.answers), None)


def visible_answers(flow: Flow, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to steps that are shown: an answer to a step hidden by a later change is ignored."""
    return {s.id: answers[s.id] for s in visible(flow, answers) if s.id in answers}


def apply_answer(flow: Flow, state: FlowState, step_id: str, raw: Any) -> list[str]:
    step = next((s for s in visible(flow, state.answers) if s.id == step_id), None)
    if step is None:
        known = {s.id for s in flow.steps(state.answers)}
        if step_id in known:
            raise FlowError(f"step {step_id!r} does not apply to the answers so far",
                            "この質問はこれまでの回答では対象になりません。")
        raise FlowError(f"flow {flow.name!r} has no step {step_id!r}", "指定された質問はこのガイドにありません。")
    value, notices = values.parse(step, raw)
    if step.id == "scope" and state.answers.get("scope") not in (None, value):
        city_steps = {s.id for s in flow.steps(state.answers)} - {s.id for s in flow.steps({})}
        for stale in city_steps:  # the other city's checklist items no longer exist
            state.answers.pop(stale, None)
            state.history = [h for h in state.history if h != stale]
    state.answers[step.id] = value
    state.drafts.pop(step.id, None)
    state.history = [h for h in state.history if h != step.id] + [step.id]
    return notices


def go_back(flow: Flow, state: FlowState) -> Step | None:
    """Withdraw the most recent answer still shown; it becomes the current step, its value the default."""
    shown = {s.id for s in visible(flow, state.answers)}
    while state.history:
        step_id = state.history.pop()
        if step_id in state.answers:
            value = state.answers.pop(step_id)
            if step_id in shown:
                state.drafts[step_id] = value
                return current(flow, state)
    return current(flow, state)


def progress(flow: Flow, state: FlowState) -> dict[str, int]:
    shown = visible(flow, state.answers)
    step = current(flow, state)
    done = sum(1 for s in shown if s.id in state.answers)
    return {"n": (shown.index(step) + 1) if step else len(shown), "m": len(shown), "answered": done}


def summary(flow: Flow, state: FlowState) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "prompt": s.title or s.prompt, "value": state.answers[s.id],
         "display": values.display(s, state.answers[s.id]), "cites": list(s.cites)}
        for s in visible(flow, state.answers) if s.id in state.answers
    ]


# the service -------------------------------------------------------------------------------------

@dataclass
class View:
    """What a channel needs to show next: the session, the current step or the summary, and notices."""

    id: str
    flow: str
    title: str
    status: str
    scope: str | None
    step: dict[str, Any] | None
    progress: dict[str, int]
    summary: list[dict[str, Any]]
    notices: list[str]
    report_id: str | None
    draft: bool = False  # the city's part of the flow is an unreviewed draft (`hogo flow draft`)
    draft_notice: str | None = None  # what to tell staff then; also the first of ``notices``

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class FlowService:
    def __init__(self, store: Store, library: FlowLibrary, corpus: Corpus) -> None:
        self.store, self.library, self.corpus = store, library, corpus
        # Told ("started" or "finished", flow name) once a dialogue starts or first finishes: the web's metrics.
        self.on_event: Callable[[str, str], None] | None = None

    # lifecycle ----------------------------------------------------------------------------------
    def start(self, flow_name: str, scope: str | None = None, owner: str | None = None,
              bound: list[str] | None = None) -> View:
        """Start a dialogue. ``bound`` (a site key's or a workspace's regulations) limits the scope question
        to those; with one regulation left, or a ``scope`` given, the question is answered already."""
        state = FlowState(bound=list(bound) if bound is not None else None)
        flow = self._flow(flow_name, state)
        if not flow.cities:
            raise UnknownFlowError(f"flow {flow.name!r} has no file for the bound regulations {bound}",
                                   f"ここで利用できる規程向けのガイド「{flow.title}」はまだ用意されていません。")
        if scope is None and len(flow.cities) == 1:
            scope = next(iter(flow.cities))
        if scope is not None:
            flow.city(scope)
            apply_answer(flow, state, "scope", scope)
        row = self.store.create_session(flow.name, scope, state.to_dict(), owner)
        log.info("flow session %s started: flow=%s scope=%s", row.id, flow.name, scope)
        if self.on_event:
            self.on_event("started", flow.name)
        return self.view(row)

    def get(self, session_id: str) -> View:
        return self.view(self.store.get_session(session_id))

    def answer(self, session_id: str, step_id: str | None, value: Any, request_id: str | None = None) -> View:
        notices: list[str] = []

        def apply(flow: Flow, state: FlowState) -> bool:
            notices.clear()
            target = step_id
            if target is None:
                step = current(flow, state)
                if step is None:
                    raise IncompleteError("no question is waiting for an answer",
                                          "すべての質問に回答済みです。内容を確認して完了してください。")
                target = step.id
            notices.extend(apply_answer(flow, state, target, value))
            return True

        row = self._mutate(session_id, request_id, apply)
        log.info("flow session %s: answered %s", session_id, step_id or "current step")
        return self.view(row, notices)

    def back(self, session_id: str, from_step: str | None = None, request_id: str | None = None) -> View:
        """Go back one step. With ``from_step`` the move happens only if that step is still current, so a
        retried "back" never goes back twice."""

        def apply(flow: Flow, state: FlowState) -> bool:
            step = current(flow, state)
            if from_step is not None and (step.id if step else CONFIRM) != from_step:
                return False
            go_back(flow, state)
            return True

        return self.view(self._mutate(session_id, request_id, apply))

    def cancel(self, session_id: str) -> View:
        """Abandon an unfinished dialogue; cancelling twice is a no-op, a finished one cannot be cancelled."""

        def change(row: SessionRow) -> tuple[SessionRow, None]:
            if row.status == "finished":
                raise FinishedError(f"session {row.id} is finished")
            row.status = "cancelled"
            return row, None

        row = self.store.update_session(session_id, change)
        log.info("flow session %s cancelled", session_id)
        return self.view(row)

    def _mutate(self, session_id: str, request_id: str | None,
                apply: Callable[[Flow, FlowState], bool]) -> SessionRow:
        """Change an active session's state; a request id seen before, or ``apply`` returning False, is a no-op."""

        def change(row: SessionRow) -> tuple[SessionRow, None]:
            state = FlowState.from_dict(row.state)
            if request_id and request_id in state.applied:
                return row, None
            _require_active(row)
            if not apply(self._flow(row.flow, state), state):
                return row, None
            self._remember(state, request_id)
            row.state, row.scope = state.to_dict(), state.answers.get("scope")
            return row, None

        return self.store.update_session(session_id, change)

    def finish(self, session_id: str) -> ReportRow:
        finished_now = False

        def change(row: SessionRow) -> tuple[SessionRow, ReportRow | None]:
            nonlocal finished_now
            finished_now = False  # the store may call this again (a busy database is retried)
            if row.status == "finished":
                return row, None
            _require_active(row)
            state = FlowState.from_dict(row.state)
            flow = self._flow(row.flow, state)
            step = current(flow, state)
            if step is not None:
                raise IncompleteError(f"session {row.id}: step {step.id!r} is not answered",
                                      f"まだ回答していない質問があります: {step.prompt}")
            report = self.build(row, flow, state)
            row.status, finished_now = "finished", True
            return row, report

        row = self.store.update_session(session_id, change)
        log.info("flow session %s finished", row.id)
        if finished_now and self.on_event:
            self.on_event("finished", row.flow)
        return self.store.get_report(row.id)

    def build(self, row: SessionRow, flow: Flow, state: FlowState) -> ReportRow:
        answers = visible_answers(flow, state.answers)
        data = BUILDERS[flow.name](flow, answers, self.corpus)
        data = {"id": row.id, "status": "finished", "flow": flow.name, "scope": answers.get("scope"), **data}
        if data["scope"] in self.corpus.regulations:  # the version cited, so a later amendment can be told
            data["regulation_version"] = version_record(self.corpus.doc(data["scope"]), data.get("citations") or [])
        return ReportRow(id=row.id, flow=flow.name, scope=answers.get("scope"), owner=row.owner,
                         title=data["title"], data=data, markdown=render.markdown(data), created_at=now())

    # non-interactive ------------------------------------------------------------------------------
    def run(self, flow_name: str, answers: dict[str, Any], owner: str | None = None) -> tuple[ReportRow, list[str]]:
        """Answer every shown step from a mapping of field names (scripts, checks) and finish.

        Returns the report and warnings (fields ignored). A value that is not valid raises AnswerError
        naming the field; a field left out is answered "unknown" where that is allowed, else left empty
        and reported as missing.
        """
        flow = self.library.get(flow_name)
        warnings: list[str] = []
        state = FlowState()
        scope = answers.get("scope") or (next(iter(flow.cities)) if len(flow.cities) == 1 else None)
        if scope is None:
            raise FlowError(f"'scope' is required: one of {', '.join(flow.cities)}",
                            "規程（scope）を指定してください。")
        flow.city(scope)
        apply_answer(flow, state, "scope", scope)
        while (step := current(flow, state)) is not None:
            if step.id in answers and answers[step.id] is not None:
                try:
                    warnings += apply_answer(flow, state, step.id, answers[step.id])
                except values.AnswerError as exc:
                    raise values.AnswerError(step, exc.message_ja) from None
            else:
                state.answers[step.id] = _default(step)
                state.history.append(step.id)
        asked = {s.id for s in flow.steps(state.answers)}
        shown = {s.id for s in visible(flow, state.answers)}
        for name in answers:
            if name not in asked:
                warnings.append(f"unknown field {name!r} ignored")
            elif name not in shown:
                warnings.append(f"field {name!r} ignored: the question does not apply to these answers")
        row = self.store.create_session(flow.name, scope, state.to_dict(), owner)
        return self.finish(row.id), warnings

    # helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _remember(state: FlowState, request_id: str | None) -> None:
        if request_id:
            state.applied = [*state.applied, request_id][-MAX_APPLIED:]

    def _flow(self, name: str, state: FlowState) -> Flow:
        return self.library.get(name).bound_to(state.bound)

    def view(self, row: SessionRow, notices: list[str] | None = None) -> View:
        state = FlowState.from_dict(row.state)
        flow = self._flow(row.flow, state)
        step = current(flow, state) if row.status == "active" else None
        city = flow.cities.get(row.scope or "")
        draft_notice = flow.draft_notice if city is not None and city.draft else None
        step_dict = None
        if step is not None:
            step_dict = {**step.to_dict(), "default": state.drafts.get(step.id),
                         "cite_labels": [self.corpus.label(self.corpus.unit(k)) for k in step.cites]}
        return View(
            id=row.id, flow=flow.name, title=flow.title,
            status=CONFIRM if row.status == "active" and step is None else row.status,
            scope=row.scope, step=step_dict, progress=progress(flow, state),
            summary=summary(flow, state) if step is None and row.status != "cancelled" else [],
            notices=[draft_notice] * bool(draft_notice) + list(notices or []),
            report_id=row.id if row.status == "finished" else None,
            draft=draft_notice is not None, draft_notice=draft_notice,
        )


def _require_active(row: SessionRow) -> None:
    if row.status == "finished":
        raise FinishedError(f"session {row.id} is finished")
    if row.status == "cancelled":
        raise CancelledError(f"session {row.id} was cancelled")


def _default(step: Step) -> Any:
    """The answer recorded for a field a script left out."""
    if step.kind == "yesno" or (step.kind == "number" and step.allow_unknown):
        return values.UNKNOWN
    if step.kind == "multiselect":
        return []
    return None
