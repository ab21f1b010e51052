"""A LangChain ``BaseRetriever`` over the hybrid search, so hogo plugs into any LangChain chain."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.answer import citation_for
from retrieval.engine import AskEngine


class HogoRetriever(BaseRetriever):
    """Returns clause Documents (verbatim clause text) with the clause key, label and score in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: AskEngine
    scope: list[str] | None = None
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        result = self.engine.searcher.search(query, self.engine.scope_ids(self.scope), self.k)
        documents = []
        for hit in result.hits[: self.k]:
            citation = citation_for(self.engine.corpus, hit)
            documents.append(Document(
                page_content=citation.text,
                metadata={"key": citation.key, "label": citation.label, "doc": citation.doc,
                          "heading": citation.heading, "score": citation.score, "relevance": result.relevance},
            ))
        return documents
