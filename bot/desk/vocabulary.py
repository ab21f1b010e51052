"""The office's own vocabulary, kept beside the data (``<data dir>/site/``) rather than in the shipped files:
``expansions.tsv`` (a staff word and the statutory words it stands for, in the shipped file's format) and
``off_topic.txt`` (topics these rules do not cover). Both are read on top of the bundled files: an upgrade
keeps them, and ``hogo eval`` keeps measuring the shipped dictionary alone.

``apply`` sets them on an open engine (its expander and its off-topic table) and empties its answer cache;
other processes pick a change up when ``refresh`` notices the files changed.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from corpus.errors import HogoError

log = logging.getLogger("hogo.desk")
EXPANSIONS = "expansions.tsv"
OFF_TOPIC = "off_topic.txt"
MAX_WORD = 40
_lock = threading.Lock()
_bundled: dict[int, np.ndarray] = {}  # the engine's own off-topic table, by id(engine)
_applied: dict[int, tuple[float, float]] = {}  # the files' mtimes last applied, by id(engine)


class VocabularyError(HogoError):
    code = "invalid_vocabulary"
    exit_code = 2
    http_status = 422
    default_ja = "入力内容を確認してください。"


def site_dir(data_dir: Path) -> Path:
    return data_dir / "site"


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\t", " ").replace("\r", " ").replace("\n", " ").strip()
    return " ".join(text.split())


def expansion_line(sources: str, targets: str) -> str:
    """One line of expansions.tsv from what the office typed: sources joined by |, targets by spaces."""
    source_list = [s for s in (_clean(p) for p in sources.replace("｜", "|").split("|")) if s]
    target_list = [t for t in _clean(targets).replace("　", " ").split(" ") if t]
    if not source_list or not target_list:
        raise VocabularyError("an expansion needs a source and a target",
                              "職員の言い方と、条文の言葉の両方を入力してください。")
    if any(len(w) > MAX_WORD for w in source_list + target_list):
        raise VocabularyError("a word is too long", f"1つの言葉は{MAX_WORD}文字以内にしてください。")
    return f"{'|'.join(source_list)}\t{' '.join(target_list)}"


def off_topic_line(description: str) -> str:
    line = _clean(description).lstrip("#").strip()
    if not line:
        raise VocabularyError("empty off-topic description", "対象外とする話題を入力してください。")
    if len(line) > 200:
        raise VocabularyError("off-topic description too long", "話題は200文字以内にしてください。")
    return line


def append(data_dir: Path, name: str, line: str) -> None:
    folder = site_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with _lock, path.open("a", encoding="utf-8") as handle:
        if path.stat().st_size == 0:
            handle.write("# この事業所で追加した行（hogo の事案デスクから）\n")
        handle.write(line + "\n")


def lines(data_dir: Path, name: str) -> list[str]:
    path = site_dir(data_dir) / name
    if not path.exists():
        return []
    return [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]


def _mtimes(data_dir: Path) -> tuple[float, float]:
    folder = site_dir(data_dir)
    return tuple((folder / n).stat().st_mtime if (folder / n).exists() else 0.0  # type: ignore[return-value]
                 for n in (EXPANSIONS, OFF_TOPIC))


def apply(engine: Any, data_dir: Path) -> None:
    """Set the bundled plus the site's vocabulary on ``engine`` (idempotent; no site files: the bundled only)."""
    from retrieval.engine import load_off_topic
    from retrieval.expansion import DEFAULT_PATH, Expander
    from retrieval.vectors import cached_vectors

    searcher = getattr(engine, "searcher", None)
    if searcher is None:
        return
    with _lock:
        stamp = _mtimes(data_dir)
        entries = list(Expander.load(DEFAULT_PATH).entries)
        site_expansions = site_dir(data_dir) / EXPANSIONS
        if site_expansions.exists():
            entries += Expander.load(site_expansions).entries
        searcher.expander = Expander(entries)
        signals = getattr(searcher, "signals", None)
        if signals is not None:
            bundled = _bundled.setdefault(id(engine), signals.off_topic)
            extra = load_off_topic(site_dir(data_dir) / OFF_TOPIC) if (site_dir(data_dir) / OFF_TOPIC).exists() else []
            table = bundled
            if extra and len(bundled):
                vectors = cached_vectors(data_dir / "vectors", "off-topic-site", engine.dense.embedder, extra,
                                         as_query=True)
                table = np.vstack([bundled, vectors]).astype(bundled.dtype)
            searcher.signals = replace(signals, off_topic=table)
        _applied[id(engine)] = stamp
    cache = getattr(engine, "cache", None)  # answers found with the old vocabulary
    if cache is not None:
        cache.clear()
    log.info("site vocabulary applied: %d expansion lines, %d off-topic lines",
             len(lines(data_dir, EXPANSIONS)), len(lines(data_dir, OFF_TOPIC)))


def refresh(engine: Any, data_dir: Path) -> bool:
    """Apply again when another process changed the site's files; True when it did."""
    if _applied.get(id(engine)) == _mtimes(data_dir):
        return False
    apply(engine, data_dir)
    return True
