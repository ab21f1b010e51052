"""`hogo flow …` (guided dialogues in the terminal or from an answers file) and `hogo reports …`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from bot.cli.terminal import Terminal
from bot.dialogue.spec import BUNDLED_FLOWS, FlowError, FlowLibrary
from bot.services import load_corpus, open_engine, open_flows, open_store
from bot.settings import Settings

app = typer.Typer(help="Guided dialogues: incident report (incident) and consignment checklist (consignment).",
                  no_args_is_help=True)
reports_app = typer.Typer(help="Stored reports from finished dialogues.", no_args_is_help=True)

ScopeOption = typer.Option(None, "--scope", help="Regulation (document id); asked when left out.")


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise FlowError(f"{path}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise FlowError(f"{path}: expected a JSON object mapping field names to values")
    return data


@app.command("run")
def run(
    name: str = typer.Argument(..., help="incident or consignment"),
    answers: Path = typer.Option(..., "--answers", exists=True, dir_okay=False, help="JSON object of field: value."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON (default: Markdown)."),
) -> None:
    """Run a flow non-interactively from an answers file and print the stored report.

    Example: hogo flow run incident --answers answers.json --json
    """
    service = open_flows(Settings())
    try:
        report, warnings = service.run(name, _read_answers(answers), owner="cli")
    except FlowError as exc:
        if getattr(exc, "step_id", None):
            raise FlowError(f"field {exc.step_id!r}: {exc.message_ja}") from None
        raise
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(json.dumps(report.data, ensure_ascii=False, indent=2) if as_json else report.markdown)


def _interactive(name: str, scope: str | None) -> None:
    terminal = Terminal(open_flows(Settings()))
    raise typer.Exit(terminal.start(name, scope))


@app.command("incident")
def incident(scope: str | None = ScopeOption) -> None:
    """Walk through an incident report (漏えい等事案) step by step."""
    _interactive("incident", scope)


@app.command("consignment")
def consignment(scope: str | None = ScopeOption) -> None:
    """Walk through the consignment (業務委託) checklist step by step."""
    _interactive("consignment", scope)


@app.command("resume")
def resume(session_id: str = typer.Argument(..., help="The id printed when the dialogue started.")) -> None:
    """Continue an unfinished dialogue where it stopped."""
    terminal = Terminal(open_flows(Settings()))
    raise typer.Exit(terminal.resume(session_id))


@app.command("draft")
def draft(
    scope: str = typer.Option(..., "--scope", help="The regulation (document id) to draft both guides for."),
    force: bool = typer.Option(False, "--force", help="Replace this regulation's existing flow files."),
    no_search: bool = typer.Option(False, "--no-search", help="Read the regulation's structure only (no index)."),
) -> None:
    """Draft a regulation's part of both guides (reporting chain, checklist) as flow files with status: draft.

    Prints what was drafted, each step with its clause, and what could not be found; the guides run on
    the draft (and say so) until `hogo flow review` marks it reviewed.
    Example: hogo flow draft --scope hibarigaoka-itaku-yoko
    """
    from bot.dialogue import draft as drafting

    settings = Settings()
    corpus = load_corpus(settings)
    corpus.doc(scope)  # an unknown id fails here, before the index is opened
    _check_flows_dir(settings)
    search = None if no_search else drafting.engine_search(open_engine(settings, generative=False), scope)
    result = drafting.draft_flows(corpus, scope, search)
    written = drafting.write(result, settings.flows_dir, force)
    FlowLibrary.load(corpus, settings.flows_dir)  # the drafts load like any flow file
    for line in drafting.summary(result, corpus):
        typer.echo(line)
    for path in written:
        typer.echo(f"下書きを書き込みました: {path}")
    if result.missing:
        typer.echo("見つからなかったもの:")
        for line in result.missing:
            typer.echo(f"  - {line}")
    if not written:
        raise typer.Exit(1)
    typer.echo(f"内容を確認・修正したら: hogo flow review --scope {scope}")


def _check_flows_dir(settings: Settings) -> None:
    """Drafts go to ``HOGO_FLOWS_DIR``. Into the bundled folder only where it is writable and the corpus is the
    bundled one too: a city whose regulations live in a folder of its own keeps its flow files beside them,
    not inside the installed program."""
    from corpus.folder import unwritable
    from corpus.loader import BUNDLED_DIR

    bundled = settings.flows_dir.resolve() == BUNDLED_FLOWS.resolve()
    reason = unwritable(settings.flows_dir)
    if bundled and not reason and settings.corpus_dir.resolve() != BUNDLED_DIR.resolve():
        reason = f"HOGO_CORPUS_DIR is {settings.corpus_dir}, but HOGO_FLOWS_DIR is the bundled folder"
    if reason:
        raise FlowError(f"cannot write flow files into {settings.flows_dir} ({reason}); set HOGO_FLOWS_DIR to a "
                        "folder you can write (it needs only your cities' files: the bundled flows are read too)",
                        "ガイドの下書きを書き込めません。HOGO_FLOWS_DIR に書き込めるフォルダを指定してください。")


@app.command("review")
def review(
    scope: str = typer.Option(..., "--scope", help="The regulation (document id) whose drafts were checked."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Mark them reviewed without asking."),
) -> None:
    """Show a regulation's drafted flow files and mark them reviewed (status: reviewed).

    Example: hogo flow review --scope hibarigaoka-itaku-yoko
    """
    from bot.dialogue import draft as drafting

    settings = Settings()
    paths = drafting.drafts_of(settings.flows_dir, scope)
    if not paths:
        raise FlowError(f"no draft flow files for {scope!r} under {settings.flows_dir}",
                        "この規程の下書きはありません。")
    corpus = load_corpus(settings)
    FlowLibrary.load(corpus, settings.flows_dir)  # an edited draft that cites a missing clause stops here
    for line in drafting.summary(drafting.read(paths, corpus, scope), corpus):
        typer.echo(line)
    typer.echo("ファイル: " + "、".join(str(p) for p in paths))
    if not yes:
        typer.confirm("この内容を確認済み（reviewed）にしますか？", abort=True)
    for path in drafting.review(settings.flows_dir, scope):
        typer.echo(f"確認済みにしました: {path}")


@app.command("list")
def list_sessions(everything: bool = typer.Option(False, "--all", help="Include finished dialogues.")) -> None:
    """Unfinished dialogues, newest first."""
    store = open_store(Settings())
    for row in store.list_sessions(None if everything else "active"):
        answered = len(row.state.get("answers", {}))
        typer.echo(f"{row.id}\t{row.flow}\t{row.scope or '-'}\t{row.status}\t{answered} answers\t"
                   f"{row.updated_at:%Y-%m-%d %H:%M}")


@reports_app.command("list")
def reports_list(
    flow: str | None = typer.Option(None, "--flow", help="Only this flow (incident, consignment)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Stored reports, newest first."""
    for row in open_store(Settings()).list_reports(flow=flow):
        if as_json:
            typer.echo(json.dumps({"id": row.id, "flow": row.flow, "scope": row.scope, "title": row.title,
                                   "created_at": row.created_at.isoformat()}, ensure_ascii=False))
        else:
            typer.echo(f"{row.id}\t{row.flow}\t{row.scope or '-'}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.title}")


@reports_app.command("show")
def reports_show(
    report_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="The report JSON instead of Markdown."),
) -> None:
    """Print one report (Markdown by default), then the version of the regulation it was made with and the
    cited clauses amended since (see the old text with hogo corpus show KEY --as-of DATE)."""
    settings = Settings()
    row = open_store(settings).get_report(report_id)
    typer.echo(json.dumps(row.data, ensure_ascii=False, indent=2) if as_json else row.markdown)
    if not as_json and row.data.get("regulation_version"):
        from bot.cli.corpus_versions import report_notes

        for line in report_notes(row.data["regulation_version"], load_corpus(settings), settings.corpus_dir):
            typer.echo(line)


@reports_app.command("export")
def reports_export(
    report_ids: list[str] = typer.Argument(None, help="Report ids; all reports when left out."),
    fmt: str = typer.Option("md", "--format", help="md or json"),
    output: Path = typer.Option(Path("."), "--output", "-o", help="A folder (or a file for one report)."),
) -> None:
    """Write reports to files: <id>.md or <id>.json."""
    if fmt not in ("md", "json"):
        raise FlowError(f"--format must be md or json, not {fmt!r}")
    store = open_store(Settings())
    rows = [store.get_report(i) for i in report_ids] if report_ids else store.list_reports(limit=100_000)
    single = len(rows) == 1 and output.suffix in (".md", ".json")
    if not single:
        output.mkdir(parents=True, exist_ok=True)
    for row in rows:
        path = output if single else output / f"{row.id}.{fmt}"
        text = json.dumps(row.data, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else row.markdown
        path.write_text(text, encoding="utf-8")
        typer.echo(str(path))
    if not rows:
        typer.echo("no reports", err=True)
        sys.exit(0)
