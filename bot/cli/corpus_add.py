"""`hogo corpus add FILE`: a city's regulation from the file its 例規集 publishes to answers.

Extract the text (.txt, the HTML page, a text PDF, .docx), draft its front matter, show both with a
summary of what the parser found, ask, write ``<corpus dir>/<id>.txt``, validate it as
`hogo corpus validate` does, and index what changed. Given an id already in the corpus, the file is a new
version of that regulation: the clause-level difference is shown too, and the text in force is kept under
``versions/<id>/`` (see `bot.cli.corpus_amend`); ``--replace`` overwrites it instead.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import typer

from bot.cli import corpus_amend
from bot.services import open_engine
from bot.settings import Settings
from corpus.errors import CorpusError, HogoError
from corpus.extract import extract_text
from corpus.folder import ids_in, unwritable, write_regulation
from corpus.frontmatter import derived_id, draft_front_matter, effective_date, suggested_id, to_yaml
from corpus.loader import BUNDLED_DIR, DOC_ID, Corpus, parse_file, split_front_matter
from corpus.model import Regulation
from corpus.parser import parse_text
from corpus.versions import archive

YES = {"y", "yes", "はい", "ok"}


def add(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="The regulation: a .txt, the 例規集's HTML page, a text PDF or a .docx."),
    doc_id: str | None = typer.Option(None, "--id", help="Document id, a lowercase ASCII slug such as sample-kitei."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Write and index without asking."),
    replace: bool = typer.Option(False, "--replace",
                                 help="Overwrite the regulation that already has this id, keeping no version."),
    effective: str | None = typer.Option(None, "--effective", metavar="YYYY-MM-DD",
                                         help="When this text takes effect (default: its latest 改正 or 制定 date)."),
) -> None:
    """Add a city's regulation from the file its 例規集 publishes, then index it.

    An id already in the corpus adds a new version: the clause-level difference is shown and the text in
    force is kept (hogo corpus versions ID; hogo corpus show KEY --as-of DATE).

    Example: hogo corpus add reiki.html --id sample-kitei
    """
    settings = Settings()
    corpus_dir = settings.corpus_dir
    reason = unwritable(corpus_dir)
    if reason:
        bundled = corpus_dir.resolve() == BUNDLED_DIR.resolve()
        raise CorpusError(f"cannot add to the {'bundled ' if bundled else ''}corpus folder ({reason}); "
                          "set HOGO_CORPUS_DIR to a folder you can write (copy the .txt files you keep into it)")
    given, body, _ = split_front_matter(extract_text(file), file.name)
    draft = parse_text(body, doc_id="draft", title=given.get("title"), source=file.name)
    meta = {**draft_front_matter(draft), **{k: v for k, v in given.items() if k != "id"}}
    takes_effect = _iso(effective) if effective else effective_date(meta)
    meta = {**meta, **({"effective": takes_effect} if takes_effect else {}), "source_file": file.name}
    doc = _doc_id(doc_id or given.get("id"), meta, file)
    current = ids_in(corpus_dir).get(doc) if not replace else None
    meta = {"id": doc, **meta}
    reg = parse_text(body, doc_id=doc, title=meta.get("title"), meta=meta, source=file.name)
    typer.echo(to_yaml(meta), nl=False)
    _summary(reg)
    kept_as = corpus_amend.compare(current, reg) if current is not None else None  # a new version
    if not yes:
        _confirm(corpus_dir / f"{doc}.txt", current and f"{current.name} を旧版（{kept_as} 施行）として保存し、")
    kept = archive(current, corpus_dir, doc, kept_as) if current is not None and kept_as else None
    try:
        path = _write_and_validate(body, meta, corpus_dir, replace)
    except BaseException:
        if kept is not None:
            os.replace(kept, current)  # type: ignore[arg-type]  # the text in force is back where it was
        raise
    if kept is not None:
        typer.echo(f"旧版を保存しました: {kept}")
    typer.echo(f"書き込みました: {path}")
    engine = open_engine(settings, generative=False)  # embeds only what is new or changed
    report = engine.report
    if report is not None:
        typer.echo(f"索引を更新しました: 追加 {report.added}、更新 {report.updated}、削除 {report.removed}、"
                   f"変更なし {report.unchanged}")
    typer.echo(f'試すには: hogo ask "質問" --scope {doc}')
    if current is None:
        typer.echo(f"ガイド（事案報告・委託チェックリスト）の下書き: hogo flow draft --scope {doc}")
    typer.echo("稼働中の hogo serve / hogo slack は、再起動するとこの規程を使います。")


def _doc_id(given: str | None, meta: dict, file: Path) -> str:
    doc = given or derived_id(meta.get("title") or "", meta.get("instrument"))
    if not doc:
        example = suggested_id(file.stem, meta.get("instrument"))
        raise CorpusError(f"the title {meta.get('title') or file.name!r} has no ASCII letters to make an id from; "
                          f"give one with --id, e.g. --id {example}")
    if not DOC_ID.match(str(doc)):
        raise CorpusError(f"id {doc!r} must be a lowercase ASCII slug such as 'sample-kitei'")
    return str(doc)


def _summary(reg: Regulation) -> None:
    kinds = [unit.kind for unit in reg.units]
    counts = [("条", "article"), ("項", "paragraph"), ("号", "item"), ("細目", "subitem"), ("附則", "suppl"),
              ("様式", "form")]
    typer.echo("見つかったもの: " + "、".join(f"{name} {kinds.count(kind)}" for name, kind in counts))
    missing = [key for key in ("title", "municipality", "enacted") if not reg.meta.get(key)]
    if missing:
        typer.echo(f"注意: front matter lacks {', '.join(missing)}; edit the file after adding")
    for warning in reg.warnings:
        typer.echo(f"注意: {warning}")


def _iso(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise CorpusError(f"--effective takes a date as YYYY-MM-DD, e.g. 2024-04-01, not {text!r}") from None


def _confirm(target: Path, keeping: str | None = None) -> None:
    typer.echo(f"{keeping or ''}{target} に書き込み、索引を更新します。よろしいですか？ [y/N] ", nl=False)
    answer = sys.stdin.readline()
    if not answer:
        typer.echo("")
        raise CorpusError("no answer on standard input; add --yes to write without asking")
    if answer.strip().lower() not in YES:
        typer.echo("中止しました。何も書き込んでいません。")
        raise typer.Exit(1)


def _write_and_validate(body: str, meta: dict, corpus_dir: Path, replace: bool) -> Path:
    """Write the file, then parse it and load the folder as `hogo corpus validate` does; on failure put
    back what was there and say why."""
    target = corpus_dir / f"{meta['id']}.txt"
    previous = target.read_bytes() if replace and target.exists() else None
    path = write_regulation(body, meta, corpus_dir, replace)
    try:
        reg = parse_file(path)
        Corpus.load(corpus_dir)
    except HogoError as exc:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(previous)
        raise CorpusError(f"{path.name} did not validate, nothing was added: {exc.message}") from None
    typer.echo(f"ok   {path.name}: {reg.id}, {len(reg.articles())} articles, {len(reg.units)} units")
    return path
