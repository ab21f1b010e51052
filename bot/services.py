"""Builds the domain objects from Settings: the edge where configuration turns into explicit arguments."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from bot.dialogue.engine import FlowService
from bot.dialogue.spec import FlowLibrary
from bot.llm import open_composer
from bot.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from retrieval.engine import AskEngine
from bot.store import Store, connect
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
    engine = AskEngine.open(load_corpus(settings), settings.data_dir, settings.embedder, settings.chroma_url,
                            progress=bar, encoder_threads=settings.encoder_threads, verify=verify)
    bar.close()
    engine.composer = composer
    return engine


def open_store(settings: Settings) -> Store:
    """The store; an empty database is created at this release's schema, one at an older revision refused."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store(settings.db_url)


def open_database(settings: Settings) -> Engine:
    """The configured database without the store's schema check: for `hogo db`, which migrates it."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return connect(settings.db_url)


def open_flows(settings: Settings, corpus: Corpus | None = None) -> FlowService:
    """The dialogue service: flow files checked against the corpus, state in the configured database."""
    corpus = corpus or load_corpus(settings)
    return FlowService(open_store(settings), FlowLibrary.load(corpus, settings.flows_dir), corpus)
