"""Builds the domain objects from Settings: the edge where configuration turns into explicit arguments."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from bot.dialogue.engine import FlowService
from bot.dialogue.spec import FlowLibrary
from bot.faults import Unavailable, as_unavailable, one_line, writable
from bot.llm import open_composer
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from retrieval.engine import AskEngine
from bot.store import Store, connect
from corpus.errors import HogoError, IndexUnavailable
from corpus.loader import Corpus

log = logging.getLogger("hogo")


def load_corpus(settings: Settings) -> Corpus:
    return Corpus.load(settings.corpus_dir)


class ProgressBar:
    """A tqdm bar on stderr that appears only once there is something to embed."""

    def __init__(self, desc: str, enabled: bool = True, leave: bool = False) -> None:
        self.desc, self.enabled, self.leave, self.bar = desc, enabled, leave, None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="clause", file=sys.stderr, leave=self.leave)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def open_engine(settings: Settings, show_progress: bool = True, verify: bool = False,
                generative: bool = True) -> AskEngine:
    """Open the indexes; on an empty data dir this builds them first (with a progress bar on stderr).
    ``verify`` compares the passages with the vector store even when nothing seems to have changed.
    With HOGO_LLM set (and ``generative``), answers are written by that chat model, citations verified."""
    from retrieval.engine import AskEngine  # heavy (Chroma, Sudachi): only the commands that search pay for it

    composer = open_composer(settings) if generative else None  # a bad HOGO_LLM fails before indexing
    bar = ProgressBar("indexing clauses", show_progress)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        engine = AskEngine.open(load_corpus(settings), settings.data_dir, settings.embedder, settings.chroma_url,
                                progress=bar, encoder_threads=settings.encoder_threads, verify=verify)
    except IndexUnavailable as exc:
        raise IndexUnavailable(f"{exc.message}: start it, or unset HOGO_CHROMA_URL to use the embedded index") from None
    bar.close()
    engine.composer = composer
    return engine


def open_store(settings: Settings) -> Store:
    """The store; an empty database is created at this release's schema, one at an older revision refused."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return Store(settings.db_url)
    except Exception as exc:  # a wrong URL, a missing driver, a server that refuses: one line, not a traceback
        if isinstance(exc, HogoError) or not isinstance(exc, DATABASE_ERRORS):
            raise
        raise Unavailable(f"cannot open the database {_shown(settings)} ({one_line(exc)}); {_fix(settings)}") from None


def open_database(settings: Settings) -> Engine:
    """The configured database without the store's schema check: for `hogo db`, which migrates it."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return connect(settings.db_url)


def open_flows(settings: Settings, corpus: Corpus | None = None) -> FlowService:
    """The dialogue service: flow files checked against the corpus, state in the configured database."""
    corpus = corpus or load_corpus(settings)
    return FlowService(open_store(settings), FlowLibrary.load(corpus, settings.flows_dir), corpus)


def check_storage(settings: Settings) -> None:
    """Before serving: the data dir and the SQLite files in it can be written, and the database opens and
    takes a write; otherwise one line says what to fix (exit 2). A server that started anyway would fail
    every write, or be killed by SQLite's shared memory (SIGBUS) when the files are read-only."""
    check_data_dir(settings.data_dir)
    store = open_store(settings)
    try:
        store.check_writable()
    except Exception as exc:
        if as_unavailable(exc) is None:
            raise
        raise Unavailable(f"the database {_shown(settings)} takes no writes ({one_line(exc)}); {_fix(settings)}"
                          ) from None
    finally:
        store.close()


def check_data_dir(data_dir: Path) -> None:
    """The data dir takes a file, and every folder and SQLite file in it (hogo's, Chroma's) can be written."""
    fix = "make it writable for the user running hogo, or set HOGO_DATA_DIR to a writable folder"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir) as probe:  # a full disk fails here too
            probe.write(b"hogo")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise Unavailable(f"the data dir {data_dir} is not writable ({exc.strerror}): {fix}") from None
    for path in sorted(data_dir.rglob("*")):
        if (path.is_dir() or ".sqlite3" in path.name) and not writable(path):
            raise Unavailable(f"{path} is not writable: {fix}")


DATABASE_ERRORS = (sa_exc.ArgumentError, sa_exc.DBAPIError, ImportError, ValueError, OSError)


def _shown(settings: Settings) -> str:
    """The database URL without its password, or a mention that it is not one."""
    try:
        return make_url(settings.db_url).render_as_string(hide_password=True)
    except (sa_exc.ArgumentError, ValueError):
        return "(HOGO_DATABASE_URL is not a database URL)"


def _fix(settings: Settings) -> str:
    if settings.database_url:
        return "check HOGO_DATABASE_URL (e.g. postgresql+psycopg://user@host/db) and that the database runs"
    return f"check that {settings.data_dir} is writable"
