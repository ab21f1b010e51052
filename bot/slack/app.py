"""The Slack app: a bolt App built from settings, thin over the same engine and dialogue service as the web
and the terminal. Transports: Socket Mode (`hogo slack`) or HTTP at /slack/events inside `hogo serve`.

Every listener acknowledges at once; slow work runs afterwards in lazy listeners. Event ids are claimed in
the database, so a retried delivery (X-Slack-Retry-Num) never produces a second answer, even across
processes. Failures tell the user in Japanese and log why.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import bindings
from bot.desk.cases import Cases
from bot.dialogue.engine import FlowService
from bot.dialogue.spec import FlowError
from bot.dialogue.suggest import offered_guide
from bot.privacy import mask_my_numbers
from bot.questions import prepare_question
from bot.settings import Settings
from bot.slack import blocks, status
from bot.store import now
from bot.web.security import load_secret
from corpus.errors import HogoError, UnknownClauseError

log = logging.getLogger("hogo.slack")
MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
FAILED = "すみません、回答できませんでした。時間をおいてもう一度お試しください。"
FLOW_WORDS = {"incident": "incident", "事案": "incident", "漏えい": "incident", "報告": "incident",
              "itaku": "consignment", "consignment": "consignment", "委託": "consignment"}
STATUS_WORDS = ("status", "状況", "進捗")  # /hogo status: the user's own incident reports and their status


class SlackNotConfigured(HogoError):
    code = "slack_not_configured"
    exit_code = 2
    default_ja = "Slack の設定（トークン）がありません。"


def report_link(settings: Settings, report_id: str) -> str:
    """A link staff can open: a signed read-only URL when HOGO_PUBLIC_URL is set, else the CLI command."""
    if not settings.public_url:
        return f"報告書ID `{report_id}`（`hogo reports show {report_id}`）"
    signature = sign_report(load_secret(settings.secret_key, settings.data_dir), report_id)
    return f"<{settings.public_url.rstrip('/')}/reports/{report_id}.md?sig={signature}|報告書を開く>"


def sign_report(secret: bytes, report_id: str) -> str:
    return hmac.new(secret, f"report:{report_id}".encode(), hashlib.sha256).hexdigest()[:32]


def create_slack_app(settings: Settings, engine: Any, flows: FlowService, client: WebClient | None = None) -> App:
    if not settings.slack_bot_token or not settings.slack_signing_secret:
        raise SlackNotConfigured("set HOGO_SLACK_BOT_TOKEN and HOGO_SLACK_SIGNING_SECRET")
    if client is None:
        kwargs = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
        client = WebClient(token=settings.slack_bot_token, **kwargs)
    bindings.check(settings, engine.corpus.regulations)
    app = App(signing_secret=settings.slack_signing_secret, client=client, process_before_response=False)
    store = flows.store
    cases = Cases(store, now)  # the privacy office's status of incident reports, as their reporter reads it

    def scope_for(team: str | None, channel: str | None) -> list[str] | None:
        """The documents answers and dialogues use here: the workspace's binding, narrowed (never widened)
        by the channel's (`/hogo bind`, else HOGO_SLACK_CHANNEL_SCOPES); None: every document."""
        stored = store.channel_scope(channel) if channel else None
        channel_bound = [stored] if stored else bindings.channel_scopes(settings, channel)
        return bindings.within(bindings.team_scopes(settings, team), channel_bound)

    def first_delivery(body: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        return store.claim_event(event_id) if event_id else True

    def answer(question: str, team: str | None, channel: str | None) -> dict[str, Any]:
        question, _ = prepare_question(question)
        return engine.ask(question, scope_for(team, channel), 5).to_dict()

    def reply(client: WebClient, team: str | None, channel: str, thread_ts: str | None, question: str) -> None:
        try:
            data = answer(question, team, channel)
            guide = offered_guide(flows.library, engine.searcher.expander, data["question"], scope_for(team, channel))
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=data["answer"][:3000],
                                    blocks=blocks.answer_blocks(data, guide), unfurl_links=False)
        except HogoError as exc:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=exc.message_ja)
        except Exception:
            log.exception("answering in %s failed", channel)
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=FAILED)

    # Q&A: mentions and DMs ------------------------------------------------------------------------------
    def ack_event(ack: Ack) -> None:
        ack()

    def on_mention(body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("bot_id") or not first_delivery(body):
            return
        question = MENTION.sub("", event.get("text", "")).strip()
        reply(client, context.team_id, event["channel"], event.get("thread_ts") or event["ts"], question)

    def on_message(body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        if not first_delivery(body):
            return
        reply(client, context.team_id, event["channel"], event.get("thread_ts") or event["ts"], event.get("text", ""))

    app.event("app_mention")(ack=ack_event, lazy=[on_mention])
    app.event("message")(ack=ack_event, lazy=[on_message])

    # buttons on answers ----------------------------------------------------------------------------------
    @app.action(re.compile(r"^show_clause_(ref_)?\d+$"))
    def show_clause(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    context: BoltContext) -> None:
        """条文を表示 and the buttons for clauses cited inside a clause: the value is a key, or several keys
        joined by commas (a range such as 前各号). Clauses of documents outside the binding are not shown."""
        ack()
        corpus = engine.corpus
        bound = scope_for(context.team_id, (body.get("channel") or {}).get("id"))
        try:
            units = [corpus.unit(key) for key in action["value"].split(",")[: blocks.MODAL_CLAUSES]]
            if bound is not None and any(u.doc not in bound for u in units):
                raise UnknownClauseError(f"{action['value']}: outside the binding {bound}")
            from corpus.model import clause_text

            view = blocks.clause_modal(*[(corpus.label(u), clause_text(corpus.doc(u.doc), u)) for u in units])
        except HogoError as exc:
            view = blocks.clause_modal(("条文", exc.message_ja))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.action(re.compile(r"^feedback_(up|down)$"))
    def feedback(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        try:
            data = json.loads(action["value"])
            keys = [k for k in data.get("k", []) if engine.corpus.get(k) is not None]
            store.add_feedback(mask_my_numbers(data.get("q", ""))[0] or "(unknown)",
                               1 if action["action_id"] == "feedback_up" else -1, None, keys, "slack")
            text = "フィードバックありがとうございます。"
        except (ValueError, TypeError):
            log.warning("feedback button with an unreadable value")
            text = FAILED
        channel = (body.get("channel") or {}).get("id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=body["user"]["id"], text=text)

    # /hogo ------------------------------------------------------------------------------------------------
    def open_flow(client: WebClient, trigger_id: str, user: str, name: str, team: str | None,
                  channel: str | None) -> None:
        owner = f"slack:{user}"
        bound = scope_for(team, channel)
        active = store.list_sessions("active", limit=1, owner=owner, flow=name)
        if active and (bound is None or active[0].scope in bound):
            view = flows.get(active[0].id)  # a closed modal resumes where it stopped: the draft is kept server-side
        else:  # one bound document: started for it without asking; several: only those offered
            view = flows.start(name, owner=owner, bound=bound)
        client.views_open(trigger_id=trigger_id, view=blocks.step_modal(view))

    def ack_command(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        word = text.split()[0].lower() if text else "help"
        if word in FLOW_WORDS:
            ack()
            try:
                open_flow(client, command["trigger_id"], command["user_id"], FLOW_WORDS[word],
                          command.get("team_id"), command.get("channel_id"))
            except HogoError as exc:
                respond(text=exc.message_ja, response_type="ephemeral")
            except Exception:
                log.exception("opening the %s modal failed", word)
                respond(text=FAILED, response_type="ephemeral")
        elif word in ("help", "ヘルプ", "使い方"):
            ack(text=blocks.HELP)
        elif word in STATUS_WORDS:  # a quick read of the user's own reports: answered in the ack, to them only
            text, shown = status.status_blocks(cases.owned_by(f"slack:{command['user_id']}"))
            ack(text=text, blocks=shown)
        elif word == "bind":
            doc = text.split()[1] if len(text.split()) > 1 else ""
            allowed = bindings.team_scopes(settings, command.get("team_id")) or list(engine.corpus.regulations)
            if doc not in allowed:  # only within the workspace's documents
                ack(text=f"規程IDを指定してください（{', '.join(allowed)}）。")
            else:
                store.bind_channel(command["channel_id"], doc)
                ack(text=f"このチャンネルの質問は「{engine.corpus.doc(doc).title}」から答えます。")
        else:
            ack(text="確認しています…", response_type="ephemeral")

    def answer_command(command: dict[str, Any], respond: Respond) -> None:
        text = (command.get("text") or "").strip()
        word = text.split()[0].lower() if text else "help"
        if word in FLOW_WORDS or word in STATUS_WORDS or word in ("help", "ヘルプ", "使い方", "bind"):
            return
        try:
            data = answer(text, command.get("team_id"), command.get("channel_id"))
            respond(text=data["answer"][:3000], blocks=blocks.answer_blocks(data), response_type="in_channel")
        except HogoError as exc:
            respond(text=exc.message_ja, response_type="ephemeral")
        except Exception:
            log.exception("answering /hogo failed")
            respond(text=FAILED, response_type="ephemeral")

    app.command("/hogo")(ack=ack_command, lazy=[answer_command])

    # the dialogue modal --------------------------------------------------------------------------------------
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        session_id = view["private_metadata"]
        try:
            current = flows.get(session_id)
            if current.step is None:
                report = flows.finish(session_id)
                link = report_link(settings, report.id)
                ack(response_action="update", view=blocks.finished_modal(report.data, link))
                return
            value = blocks.read_answer(current.step, view["state"]["values"])
            nxt = flows.answer(session_id, current.step["id"], value, request_id=f"slack:{view.get('hash', '')}")
            ack(response_action="update", view=blocks.step_modal(nxt))
        except FlowError as exc:
            ack(response_action="errors", errors={"answer": exc.message_ja[:150]})
        except HogoError as exc:
            ack(response_action="errors", errors={"answer": exc.message_ja[:150]})
        except Exception:
            log.exception("modal submission for session %s failed", session_id)
            ack(response_action="errors", errors={"answer": FAILED})

    def after_submit(body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        # Lazy listeners start alongside the ack, so the submission that finishes the dialogue may still be
        # running: a session at its summary is given a few seconds to become finished.
        session = flows.get(view["private_metadata"])
        deadline = time.monotonic() + 10
        while session.status == "confirm" and time.monotonic() < deadline:
            time.sleep(0.1)
            session = flows.get(session.id)
        if session.status != "finished" or not store.claim_event(f"report-posted:{session.id}"):
            return
        report = store.get_report(session.id)
        link = report_link(settings, report.id)
        summary = blocks.report_summary_blocks(report.data)
        user = body["user"]["id"]
        try:
            client.chat_postMessage(channel=user, text=f"{report.title} を保存しました",
                                    blocks=[{"type": "section", "text": blocks.mrkdwn(f"報告書を保存しました。{link}")},
                                            *summary])
            if settings.slack_report_channel and report.flow == "incident":
                client.chat_postMessage(channel=settings.slack_report_channel,
                                        text=f"漏えい等事案の報告がありました: {report.title}",
                                        blocks=[{"type": "section", "text": blocks.mrkdwn(
                                            f":rotating_light: <@{user}> さんから漏えい等事案の報告がありました。"
                                            f"{link}")}, *summary])
        except Exception:
            log.exception("posting report %s failed", report.id)

    app.view(blocks.MODAL_CALLBACK)(ack=submit, lazy=[after_submit])

    @app.action("flow_back")
    def back(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body["view"]
        try:
            moved = flows.back(view["private_metadata"], from_step=action["value"])
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=blocks.step_modal(moved))
        except HogoError as exc:
            log.warning("back in session %s failed: %s", view.get("private_metadata"), exc.message)

    @app.view_closed(blocks.MODAL_CALLBACK)
    def closed(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        try:
            session = flows.get(view["private_metadata"])
        except HogoError:
            return
        if session.status != "finished":
            command = "/hogo incident" if session.flow == "incident" else "/hogo itaku"
            client.chat_postMessage(channel=body["user"]["id"],
                                    text=f"途中までの回答を保存しました。`{command}` で続きから再開できます。")

    # App Home ----------------------------------------------------------------------------------------------------
    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        user = event["user"]
        rows = store.list_reports(owner=f"slack:{user}", limit=10)
        labels = {c.id: status.status_line(c) for c in cases.owned_by(f"slack:{user}", limit=10)}
        reports = [{"id": r.id, "title": r.title, "created_at": r.created_at.isoformat(), "status": labels.get(r.id)}
                   for r in rows]
        client.views_publish(user_id=user, view=blocks.home_view(reports))

    @app.action(re.compile(r"^home_(incident|consignment)$"))
    def home_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    context: BoltContext) -> None:
        ack()
        open_flow(client, body["trigger_id"], body["user"]["id"], action["value"], context.team_id, None)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener failed: %s", error)

    return app

