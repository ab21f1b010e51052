"""The `hogo` command line. Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from bot.cli import ask_cmd, corpus_cmd, db_cmd, eval_cmd, flow_cmd, serve_cmd
from bot.cli.desk_cmd import app as desk_app
from bot.faults import as_unavailable
from bot.privacy import install_log_masking
from bot.settings import describe_invalid
from corpus.errors import HogoError

app = typer.Typer(
    help="hogo (保護): answers from your city's personal-information rules, with exact clause citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(corpus_cmd.app, name="corpus")
app.add_typer(flow_cmd.app, name="flow")
app.add_typer(flow_cmd.reports_app, name="reports")
app.add_typer(desk_app, name="desk")
app.add_typer(db_cmd.app, name="db")
app.command("ask")(ask_cmd.ask)
app.command("index")(ask_cmd.index)
app.command("eval")(eval_cmd.eval_)
app.command("serve")(serve_cmd.serve)


@app.command("slack")
def slack() -> None:
    """Slack over Socket Mode (needs HOGO_SLACK_BOT_TOKEN, HOGO_SLACK_SIGNING_SECRET, HOGO_SLACK_APP_TOKEN)."""
    from bot.cli import slack_cmd  # slack_bolt is imported only by the commands that use it

    slack_cmd.slack()


def main() -> None:
    """Console entry point: HogoError becomes a one-line message and its exit code, never a traceback."""
    install_log_masking()
    try:
        code = app(standalone_mode=False)
    except HogoError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except ValidationError as exc:  # a HOGO_* setting that is not valid
        typer.echo(f"error: {describe_invalid(exc)}", err=True)
        sys.exit(2)
    except typer.TyperException as exc:  # usage errors (bad option values and the like)
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    except Exception as exc:  # a full disk or a database gone mid-command: one line too
        fault = as_unavailable(exc)
        if fault is None:
            raise
        typer.echo(f"error: {fault.message}", err=True)
        sys.exit(fault.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
