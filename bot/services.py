"""Builds the domain objects from Settings: the edge where configuration turns into explicit arguments."""

from __future__ import annotations

import logging
import sys
from functools import cache

from bot.settings import Settings
from corpus.loader import Corpus
from retrieval.engine import AskEngine

log = logging.getLogger("hogo")


def load_corpus(settings: Settings) -> Corpus:
    return Corpus.load(settings.corpus_dir)


def open_engine(settings: Settings, show_progress: bool = True) -> AskEngine:
    """Open the indexes; on an empty data dir this builds them first (with a progress bar on stderr)."""
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if not show_progress:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="indexing clauses", unit="clause", file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = AskEngine.open(load_corpus(settings), settings.data_dir, settings.embedder, settings.chroma_url,
                            progress=progress)
    if bar is not None:
        bar.close()
    return engine


@cache
def cached_engine(settings_json: str) -> AskEngine:
    return open_engine(Settings.model_validate_json(settings_json), show_progress=False)
