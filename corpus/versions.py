"""Versions of a regulation: the text in force and the texts it replaced, each known by its effective date.

The text in force is ``<corpus dir>/<id>.txt``, read like any corpus file. Each text an amendment replaced is
kept as ``<corpus dir>/versions/<id>/<YYYY-MM-DD>.txt`` (its effective date); the loader reads only the
folder's own files, so kept versions never answer questions. A version is identified by its effective date
and a content hash of its clauses, which a stored report records so it can say what changed since.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError
from corpus.frontmatter import effective_date
from corpus.loader import split_front_matter
from corpus.model import Regulation, Unit, clause_text

VERSIONS_DIR = "versions"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Version:
    doc: str
    effective: str | None  # YYYY-MM-DD; None when the text in force names no date
    path: Path
    current: bool

    def describe(self) -> str:
        """2024-04-01 施行の版（現行）, as staff read it."""
        when = f"{self.effective} 施行の版" if self.effective else "施行日不明の版"
        return f"{when}（{'現行' if self.current else '旧版'}）"


def archive_dir(corpus_dir: Path, doc: str) -> Path:
    return corpus_dir / VERSIONS_DIR / doc


def versions_of(corpus_dir: Path, doc: str, current: Path | None) -> list[Version]:
    """The kept versions of ``doc``, oldest first, then the text in force (``current``, when given)."""
    folder = archive_dir(corpus_dir, doc)
    kept = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    found = [Version(doc, path.stem, path, False) for path in kept if ISO_DATE.match(path.stem)]
    if current is not None:
        meta, _, _ = split_front_matter(current.read_text(encoding="utf-8"), str(current))
        found.append(Version(doc, effective_date(meta), current, True))
    return found


def in_force(versions: list[Version], day: str) -> Version | None:
    """The version in force on ``day`` (YYYY-MM-DD): the latest effective on or before it. A regulation
    whose only text names no date counts as in force on any day; None when ``day`` precedes every version."""
    dated = [v for v in versions if v.effective and v.effective <= day]
    if dated:
        return max(dated, key=lambda v: (v.effective, v.current))
    if versions and all(v.effective is None for v in versions):
        return versions[-1]
    return None


def archive(current: Path, corpus_dir: Path, doc: str, effective: str) -> Path:
    """Move the text in force to ``versions/<doc>/<effective>.txt``; returns where it went."""
    target = archive_dir(corpus_dir, doc) / f"{effective}.txt"
    if target.exists():
        raise CorpusError(f"a version of {doc!r} effective {effective} is already kept ({target}); "
                          "check the dates, or give the new text's date with --effective YYYY-MM-DD")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(current, target)
    return target


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def version_hash(reg: Regulation) -> str:
    """A content hash of the regulation's clauses (keys, headings, texts): the same text gives the same
    hash whatever its front matter says."""
    return _digest("\n".join(f"{u.key}\t{u.heading or ''}\t{u.text}" for u in reg.units))


def clause_hash(reg: Regulation, unit: Unit) -> str:
    """A content hash of one clause as it is cited: its article's heading and its text with its items."""
    article = reg.get(f"{unit.doc}:{unit.article}") if unit.article is not None else None
    heading = (article.heading if article else None) or unit.heading or ""
    return _digest(f"{unit.key}\n{heading}\n{clause_text(reg, unit)}")


def version_record(reg: Regulation, keys: list[str]) -> dict[str, Any]:
    """What a report keeps of the version it was made with: the effective date, the regulation's hash and
    the hash of each cited clause of it."""
    units = [reg.get(key) for key in dict.fromkeys(keys)]
    return {"doc": reg.id, "effective": effective_date(reg.meta), "hash": version_hash(reg),
            "clauses": {u.key: clause_hash(reg, u) for u in units if u is not None}}


def amended_since(record: dict[str, Any], reg: Regulation) -> dict[str, str]:
    """Cited clause key -> "changed" or "removed", for each clause of ``record`` that the text in force
    ``reg`` no longer has as it was."""
    if record.get("hash") == version_hash(reg):
        return {}
    found: dict[str, str] = {}
    for key, digest in (record.get("clauses") or {}).items():
        unit = reg.get(key)
        if unit is None:
            found[key] = "removed"
        elif clause_hash(reg, unit) != digest:
            found[key] = "changed"
    return found
