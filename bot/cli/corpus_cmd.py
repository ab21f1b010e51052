"""`hogo corpus …`: add, parse, list, show, validate regulation texts and list their versions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer

from bot.cli import corpus_add, corpus_versions
from bot.settings import Settings
from corpus.crossrefs import CrossRef, describe, references_in
from corpus.labels import headed, label
from corpus.loader import Corpus, parse_file
from corpus.model import Regulation, clause_text

app = typer.Typer(help="Regulation texts: add, parse, list, show, validate, versions.", no_args_is_help=True)
app.command("add")(corpus_add.add)
app.command("versions")(corpus_versions.versions)


def _corpus() -> Corpus:
    return Corpus.load(Settings().corpus_dir)


@app.command()
def parse(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A regulation text file."),
    as_json: bool = typer.Option(False, "--json", help="Print the parse as JSON."),
    doc_id: str | None = typer.Option(None, "--id", help="Document id when the file has no front matter."),
) -> None:
    """Parse any regulation text into clause units.

    Example: hogo corpus parse corpus/regulations/mima-kitei.txt --json
    """
    reg = parse_file(file, doc_id=doc_id)
    if as_json:
        data = reg.to_dict()
        for unit, row in zip(reg.units, data["units"], strict=True):
            row["label"] = label(reg, unit)
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    for unit in reg.units:
        typer.echo(f"{unit.key}\t{unit.kind}\t{label(reg, unit)}")


@app.command("list")
def list_(
    articles: bool = typer.Option(False, "--articles", help="Also list every article with its heading."),
) -> None:
    """List the loaded regulations (and optionally their articles).

    Example: hogo corpus list --articles
    """
    corpus = _corpus()
    for reg in corpus:
        kinds = [u.kind for u in reg.units]
        typer.echo(
            f"{reg.id}\t{reg.title}\t{reg.meta.get('municipality', '')}\t"
            f"{kinds.count('article')} articles, {len(reg.units)} units"
        )
        if articles:
            for unit in reg.articles():
                typer.echo(f"  {unit.key}\t{headed(label(reg, unit), unit.heading)}")


@app.command()
def show(
    key: str = typer.Argument(..., help="Clause key, e.g. koriyama-kijun:22:1:2"),
    as_of: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                                     help="Show the text in force on that date (a kept version)."),
) -> None:
    """Show one clause with its label and full text (an article or paragraph includes its items).

    Example: hogo corpus show koriyama-kijun:22:1:2 --as-of 2024-04-01
    """
    corpus = _corpus()
    version = None
    if as_of:
        reg, unit, version = corpus_versions.as_of(corpus, Settings().corpus_dir, key, as_of)
    else:
        unit = corpus.unit(key)
        reg = corpus.doc(unit.doc)
    heading = unit.heading or (reg.get(f"{unit.doc}:{unit.article}").heading if unit.article else None)
    if unit.kind == "suppl":
        heading = None  # a supplementary provision's label already carries it: 附則（令和3年4月1日）
    typer.echo(headed(label(reg, unit), heading))
    typer.echo(f"[{unit.key}]")
    if version is not None:
        typer.echo(f"版: {version.describe()}")
    typer.echo(clause_text(reg, unit))
    references = references_in(reg, unit)
    if references:
        typer.echo("参照: " + "、".join(dict.fromkeys(_reference(reg, ref) for ref in references)))


def _reference(reg: Regulation, ref: CrossRef) -> str:
    """前項 → 第23条第1項 (koriyama-kijun:23:1), or the gloss of another instrument's clause."""
    if ref.kind != "internal":
        return describe(reg, ref)
    keys = ", ".join(ref.keys) if len(ref.keys) <= 3 else f"{ref.keys[0]} … {ref.keys[-1]}"
    written = re.sub(r"\s+", "", ref.text)
    return f"{ref.label} ({keys})" if written == ref.label else f"{written} → {ref.label} ({keys})"


@app.command()
def validate() -> None:
    """Parse every file in the corpus folder and report problems; exit 1 if any file fails.

    Example: HOGO_CORPUS_DIR=./my-city hogo corpus validate
    """
    from corpus.errors import HogoError

    directory = Settings().corpus_dir
    failed = 0
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.txt")):
        try:
            reg = parse_file(path)
        except HogoError as exc:
            failed += 1
            typer.echo(f"FAIL {path.name}: {exc.message}")
            continue
        if reg.id in seen:
            failed += 1
            typer.echo(f"FAIL {path.name}: id {reg.id!r} already used by {seen[reg.id].name}")
            continue
        seen[reg.id] = path
        missing = [k for k in ("title", "municipality") if not reg.meta.get(k)]
        status = "WARN" if reg.warnings or missing else "ok"
        typer.echo(
            f"{status:4} {path.name}: {reg.id}, {len(reg.articles())} articles, {len(reg.units)} units"
        )
        for warning in reg.warnings:
            typer.echo(f"     {warning}")
        if missing:
            typer.echo(f"     front matter lacks: {', '.join(missing)}")
    if not seen and not failed:
        typer.echo(f"FAIL no .txt files in {directory}")
        failed = 1
    if failed:
        raise typer.Exit(1)
