"""`hogo corpus add FILE --id EXISTING`: a new version of a regulation already in the corpus.

Shows what the amendment changes clause by clause (changed text old and new side by side, wrapped to the
terminal), checks that the new version takes effect after the one in force, and keeps the one in force under
``versions/<id>/<effective date>.txt`` once the person adding it agrees.
"""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import typer

from corpus.amend import Change, Diff, diff
from corpus.errors import CorpusError
from corpus.frontmatter import effective_date
from corpus.loader import parse_file
from corpus.model import Regulation
from corpus.versions import archive_dir

GAP = " │ "


def compare(current: Path, new: Regulation) -> str:
    """Print the clause-level difference from the text in force to ``new``; return the effective date
    under which the text in force will be kept. Raises when there is nothing to amend or the dates
    do not follow each other."""
    old = parse_file(current)
    changes = diff(old, new)
    typer.echo(f"改正の内容（{current.name} との違い）: {changes.summary()}")
    for line in render(changes, shutil.get_terminal_size((100, 24)).columns):
        typer.echo(line)
    if not changes:
        raise CorpusError(f"the new text has the same clauses as {current.name}; nothing to amend "
                          "(use --replace to rewrite its front matter)")
    kept_as = effective_date(old.meta)
    if not kept_as:
        raise CorpusError(f"{current.name} names no enactment or amendment date, so it cannot be kept as a version; "
                          "add 'effective: YYYY-MM-DD' to its front matter (or use --replace to overwrite it)")
    takes_effect = effective_date(new.meta)
    if not takes_effect:
        raise CorpusError("the new text names no amendment date; give it with --effective YYYY-MM-DD")
    if takes_effect <= kept_as:
        raise CorpusError(f"the new text takes effect {takes_effect}, not after the text in force ({kept_as}); "
                          "give its date with --effective YYYY-MM-DD, or use --replace to correct the text in force")
    if (archive_dir(current.parent, new.id) / f"{kept_as}.txt").exists():
        raise CorpusError(f"a version of {new.id!r} effective {kept_as} is already kept; "
                          f"correct the 'effective' date in {current.name} or use --replace")
    typer.echo(f"施行日: {kept_as} の版 → {takes_effect} の版")
    return kept_as


def render(changes: Diff, width: int = 100) -> list[str]:
    """The difference as terminal lines: additions and removals with their text, changes side by side."""
    lines: list[str] = []
    for change in changes.added:
        lines += [f"追加 {change.label} [{change.key}]", *_indented(change.new or "", width)]
    for change in changes.changed:
        lines += [f"変更 {change.label} [{change.key}]", *_side_by_side(change, width)]
    for change in changes.removed:
        lines += [f"削除 {change.label} [{change.key}]", *_indented(change.old or "", width)]
    return lines


def _indented(text: str, width: int) -> list[str]:
    return ["  " + piece for line in text.splitlines() for piece in wrap(line, max(width - 2, 10))]


def _side_by_side(change: Change, width: int) -> list[str]:
    column = max((width - 2 - len(GAP)) // 2, 10)
    left = [piece for line in ["旧", *(change.old or "").splitlines()] for piece in wrap(line, column)]
    right = [piece for line in ["新", *(change.new or "").splitlines()] for piece in wrap(line, column)]
    left += [""] * (len(right) - len(left))
    right += [""] * (len(left) - len(right))
    return [f"  {pad(a, column)}{GAP}{b}".rstrip() for a, b in zip(left, right, strict=True)]


def cells(text: str) -> int:
    """Terminal columns a text takes: two for each full-width (East Asian wide) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(line: str, width: int) -> list[str]:
    """``line`` cut into pieces of at most ``width`` terminal columns (an empty line stays one piece)."""
    pieces, piece, used = [], "", 0
    for ch in line:
        size = cells(ch)
        if used + size > width and piece:
            pieces.append(piece)
            piece, used = "", 0
        piece += ch
        used += size
    return [*pieces, piece]


def pad(text: str, width: int) -> str:
    return text + " " * (width - cells(text))
