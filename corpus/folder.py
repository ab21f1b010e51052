"""The corpus folder: which document ids it holds, and writing one regulation file into it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from corpus.errors import CorpusError, HogoError, RegulationExistsError
from corpus.frontmatter import to_yaml
from corpus.loader import DOC_ID, slug, split_front_matter


def ids_in(corpus_dir: Path) -> dict[str, Path]:
    """Document id -> file, for every .txt in the folder (the id of its front matter, else its name)."""
    found: dict[str, Path] = {}
    for path in sorted(corpus_dir.glob("*.txt")) if corpus_dir.is_dir() else []:
        try:
            meta, _, _ = split_front_matter(path.read_text(encoding="utf-8"), str(path))
        except (HogoError, UnicodeDecodeError, OSError):
            meta = {}
        found.setdefault(str(meta.get("id") or slug(path.stem)), path)
    return found


def unwritable(corpus_dir: Path) -> str | None:
    """Why files cannot be written into the folder (or created with it), or None when they can."""
    folder = corpus_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{folder} is not writable"
    return None


def write_regulation(text: str, meta: dict, corpus_dir: Path, replace: bool = False) -> Path:
    """Write ``<corpus_dir>/<id>.txt``: the front matter, then the regulation text unchanged.

    ``meta["id"]`` names the file. An id the folder already holds raises RegulationExistsError unless
    ``replace`` (and then only its own ``<id>.txt`` is overwritten). The file appears whole or not at
    all (written beside it, then renamed). Returns the path written.
    """
    doc_id = str(meta.get("id") or "")
    if not DOC_ID.match(doc_id):
        raise CorpusError(f"id {doc_id!r} must be a lowercase ASCII slug such as 'sample-kitei'")
    reason = unwritable(corpus_dir)
    if reason:
        raise CorpusError(f"cannot write to the corpus folder: {reason}")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    target = corpus_dir / f"{doc_id}.txt"
    holder = ids_in(corpus_dir).get(doc_id)
    if holder is not None and not (replace and holder == target):
        raise RegulationExistsError(
            f"id {doc_id!r} is already in the corpus ({holder.name})"
            + ("; add --replace to overwrite it" if holder == target else f"; remove or rename {holder.name} first")
        )
    if target.exists() and holder != target:
        raise RegulationExistsError(f"{target.name} already holds another document; choose another id")
    body = text.lstrip("\ufeff").rstrip() + "\n"
    handle, temporary = tempfile.mkstemp(prefix=f".{doc_id}.", suffix=".tmp", dir=corpus_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(to_yaml({"id": doc_id, **{k: v for k, v in meta.items() if k != "id"}}) + body)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
