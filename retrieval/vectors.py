"""Small side tables of vectors (headings, articles, off-topic lines …) cached in the data dir.

The passage vectors live in Chroma. The ranker also compares a question with each article's heading, each
article as a whole, each passage embedded the way questions are, and the off-topic descriptions. Those
vectors are embedded once, saved as ``.npz`` beside the other indexes and reused by every later process;
only texts that are new or changed are embedded again (keyed by a hash of the text).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.embeddings import embedder_id


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def embedder_slug(embedder: Embeddings) -> str:
    """The embedder's id as a file or collection name part."""
    return re.sub(r"[^a-zA-Z0-9]+", "-", embedder_id(embedder)).strip("-").lower()[-40:]


def load_snapshot(directory: Path, embedder: Embeddings, store: str, keys: list[str],
                  hashes: list[str]) -> np.ndarray | None:
    """The passage vectors saved when this data dir last synced with the dense store ``store``, if the
    passages (keys and content hashes) are still exactly those; else None and the store must be read."""
    path = directory / f"store-snapshot-{embedder_slug(embedder)}.npz"
    if not path.exists():
        return None
    with np.load(path) as saved:
        if (str(saved["store"]) != store or saved["keys"].tolist() != keys
                or saved["hashes"].tolist() != hashes):
            return None
        return saved["vectors"].astype(np.float32)


def save_snapshot(directory: Path, embedder: Embeddings, store: str, keys: list[str], hashes: list[str],
                  vectors: np.ndarray) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / f"store-snapshot-{embedder_slug(embedder)}.npz", store=np.array(store),
             keys=np.array(keys), hashes=np.array(hashes), vectors=np.asarray(vectors, dtype=np.float32))


def cached_vectors(directory: Path, name: str, embedder: Embeddings, texts: list[str],
                   as_query: bool = False) -> np.ndarray:
    """Vectors of ``texts`` (rows in the same order), embedded as passages or as queries, cached on disk."""
    path = directory / f"{name}-{'q' if as_query else 'p'}-{embedder_slug(embedder)}.npz"
    digests = [_digest(text) for text in texts]
    known: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as stored:
            known = dict(zip(stored["digests"].tolist(), stored["vectors"], strict=True))
    missing = sorted({d: t for d, t in zip(digests, texts, strict=True) if d not in known}.items())
    if missing:
        new = [t for _, t in missing]
        if not as_query:
            vectors = embedder.embed_documents(new)
        elif hasattr(embedder, "embed_queries"):
            vectors = embedder.embed_queries(new)
        else:
            vectors = [embedder.embed_query(t) for t in new]
        known.update(zip([d for d, _ in missing], np.asarray(vectors, dtype=np.float32), strict=True))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    matrix = np.stack([np.asarray(known[d], dtype=np.float32) for d in digests])
    if missing or len(known) != len(set(digests)):
        directory.mkdir(parents=True, exist_ok=True)
        keep = sorted(set(digests))
        np.savez(path, digests=np.array(keep), vectors=np.stack([known[d] for d in keep]).astype(np.float32))
    return matrix
