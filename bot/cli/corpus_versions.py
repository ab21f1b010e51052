"""Versions in the terminal: `hogo corpus versions ID`, `hogo corpus show KEY --as-of DATE`, and what
`hogo reports show` says about the version a report was made with."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from bot.settings import Settings
from corpus.errors import CorpusError
from corpus.labels import clause_label
from corpus.loader import Corpus, parse_file
from corpus.model import Regulation, Unit
from corpus.versions import Version, amended_since, archive_dir, in_force, version_hash, versions_of


def versions(doc_id: str = typer.Argument(..., help="Document id, e.g. koriyama-kijun")) -> None:
    """List a regulation's versions, oldest first, with their effective dates (施行日).

    Example: hogo corpus versions koriyama-kijun
    """
    settings = Settings()
    reg = Corpus.load(settings.corpus_dir).doc(doc_id)
    for version in versions_of(settings.corpus_dir, doc_id, Path(reg.source)):
        text = reg if version.current else parse_file(version.path, doc_id=doc_id)
        where = version.path.relative_to(settings.corpus_dir) if version.path.is_relative_to(settings.corpus_dir) \
            else version.path
        typer.echo(f"{version.effective or '施行日不明'}\t{'現行' if version.current else '旧版'}\t"
                   f"{version_hash(text)}\t{where}")


def as_of(corpus: Corpus, corpus_dir: Path, key: str, day: str) -> tuple[Regulation, Unit, Version]:
    """The clause ``key`` in the version in force on ``day``. When there is none, prints one line and exits 1."""
    try:
        day = date.fromisoformat(day).isoformat()
    except ValueError:
        raise CorpusError(f"--as-of takes a date as YYYY-MM-DD, e.g. 2024-04-01, not {day!r}") from None
    doc = key.split(":", 1)[0]
    now = corpus.doc(doc)
    found = versions_of(corpus_dir, doc, Path(now.source))
    version = in_force(found, day)
    if version is None:
        first = next(v.effective for v in found if v.effective)
        typer.echo(f"{day} には {now.title} は施行されていません（最初の版は {first} 施行）。")
        raise typer.Exit(1)
    reg = now if version.current else parse_file(version.path, doc_id=doc)
    unit = reg.get(key)
    if unit is None:
        if now.get(key) is None and not any(parse_file(v.path, doc_id=doc).get(key) for v in found if not v.current):
            corpus.unit(key)  # a key no version has: the usual one-line error
        typer.echo(f"{key} は {day} 時点の版（{version.effective} 施行）にはありません。")
        raise typer.Exit(1)
    return reg, unit, version


def report_notes(record: dict[str, Any], corpus: Corpus, corpus_dir: Path) -> list[str]:
    """The version a report was made with, and each cited clause amended or removed since."""
    effective = record.get("effective")
    lines = [f"規程の版: {record.get('doc')} {f'{effective} 施行' if effective else '施行日不明'}"
             f"（内容ハッシュ {record.get('hash')}）"]
    reg = corpus.regulations.get(str(record.get("doc")))
    if reg is None:
        return [*lines, "この規程は現在の規程集にありません。"]
    for key, how in amended_since(record, reg).items():
        then = reg if how == "changed" else _kept(corpus_dir, reg.id, effective)
        unit = then.get(key) if then is not None else None
        name = clause_label(then, unit) if then is not None and unit is not None else key
        hint = f"（当時の条文: hogo corpus show {key} --as-of {effective}）" if effective else ""
        lines.append(f"この報告の作成後に{name}が{'改正' if how == 'changed' else '削除'}されています{hint}")
    return lines


def _kept(corpus_dir: Path, doc: str, effective: str | None) -> Regulation | None:
    """The kept version effective on ``effective``, if there is one."""
    path = archive_dir(corpus_dir, doc) / f"{effective}.txt"
    return parse_file(path, doc_id=doc) if effective and path.is_file() else None
