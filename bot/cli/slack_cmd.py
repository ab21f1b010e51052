"""`hogo slack`: Slack over Socket Mode (no public URL needed; fits closed government networks)."""

from __future__ import annotations

import typer

from bot import bindings
from bot.desk import vocabulary
from bot.logs import configure_logging
from bot.services import load_corpus, open_engine, open_flows
from bot.settings import Settings
from bot.slack.app import SlackNotConfigured, create_slack_app


def slack() -> None:
    """Connect to Slack over Socket Mode and answer mentions, DMs, /hogo and the dialogue modals.

    Needs HOGO_SLACK_BOT_TOKEN, HOGO_SLACK_SIGNING_SECRET and HOGO_SLACK_APP_TOKEN (xapp-…).
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    settings = Settings()
    configure_logging(settings)
    if not settings.slack_app_token:
        raise SlackNotConfigured("set HOGO_SLACK_APP_TOKEN (an app-level token with connections:write)")
    corpus = load_corpus(settings)
    bindings.check(settings, corpus.regulations)  # a mistyped binding fails before indexing
    flows = open_flows(settings, corpus)  # a database not at this release's revision fails before indexing too
    engine = open_engine(settings)
    vocabulary.apply(engine, settings.data_dir)  # the privacy office's own words and uncovered topics
    app = create_slack_app(settings, engine, flows)
    typer.echo("hogo: connected to Slack over Socket Mode (Ctrl-C to stop)", err=True)
    SocketModeHandler(app, settings.slack_app_token).start()
