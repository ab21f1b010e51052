"""`hogo ask` and `hogo index`."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import typer

from bot.desk import vocabulary
from bot.questions import BadQuestion, prepare_question
from bot.services import load_corpus, open_engine
from bot.settings import Settings
from corpus.errors import HogoError
from corpus.labels import headed

log = logging.getLogger("hogo.ask")
def ask(
    question: str | None = typer.Argument(None, help="The question, as staff would type it."),
    scope: list[str] | None = typer.Option(None, "--scope", help="Limit to a document id (repeatable)."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="How many clauses to cite."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer JSON."),
    batch: Path | None = typer.Option(None, "--batch", exists=True, dir_okay=False,
                                      help="JSONL file of {id, q, scope}; prints one JSON line per input."),
) -> None:
    """Answer one question from the regulations, citing the exact clauses.

    Example: hogo ask "USBをなくした。誰に報告？" --scope koriyama-kijun
    """
    settings = Settings()
    engine = open_engine(settings)
    vocabulary.apply(engine, settings.data_dir)  # the privacy office's own words and uncovered topics
    if batch is not None:
        _batch(engine, batch, k)
        return
    if question is None:
        raise BadQuestion("give a QUESTION or --batch FILE.jsonl", "質問を入力してください。")
    question, masked = prepare_question(question)
    if masked:
        typer.echo("note: a 12-digit My Number in the question was masked and not used", err=True)
    answer = engine.ask(question, scope or None, k)
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    typer.echo(answer.answer)
    if answer.citations:
        typer.echo("\n出典:")
        for citation in answer.citations:
            typer.echo(f"  [{citation.key}] {headed(citation.label, citation.heading)} score={citation.score:.3f}")


def _batch(engine, path: Path, k: int) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row_id = None
        try:
            row = json.loads(line)
            row_id = row.get("id")
            scope = row.get("scope")
            scope_list = [scope] if isinstance(scope, str) else (list(scope) if scope else None)
            question, _ = prepare_question(str(row.get("q", "")))
            answer = engine.ask(question, scope_list, int(row.get("k", k)))
            answer.id = row_id
            out = answer.to_dict()
        except (json.JSONDecodeError, AttributeError) as exc:
            out = {"id": row_id, "error": f"line {number}: not a JSON object: {exc}"}
        except HogoError as exc:
            out = {"id": row_id, "error": f"line {number}: {exc.message}"}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def index() -> None:
    """Build or refresh the indexes; only new or changed clauses are embedded.

    Example: hogo index
    """
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = open_engine(settings, show_progress=True, verify=True)  # embeds what is new or changed
    report = engine.report
    corpus = load_corpus(settings)
    typer.echo(
        f"{len(corpus.regulations)} regulations, {report.passages} passages: {report.added} added, "
        f"{report.updated} updated, {report.removed} removed, {report.unchanged} unchanged ({report.seconds}s)"
    )
