"""Answers shared in Redis by every process and server (HOGO_REDIS_URL): one asks, the others reuse it.

An answer is kept as JSON for HOGO_ANSWER_CACHE_TTL seconds under a key made of the question, the documents
searched, k, the corpus fingerprint and the composer: a new or amended regulation, another embedder or
another chat model asks again instead of reusing an answer written for something else. When Redis cannot be
reached every lookup is a miss and nothing is kept; the question is answered as without a cache.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from bot.redis_link import RedisLink
from bot.settings import Settings
from retrieval.answer import Answer, Citation
from retrieval.answer_cache import CacheKey

KEY_PREFIX = "hogo:answer:v1"  # v1: the layout of the stored JSON; change it when Answer changes shape


class SharedAnswers:
    """An ``AnswerCache`` in Redis. ``namespace`` names the corpus and the composer the answers came from."""

    def __init__(self, link: RedisLink, namespace: str, ttl: int) -> None:
        self.link, self.namespace, self.ttl = link, namespace, ttl

    def key(self, key: CacheKey) -> str:
        question, docs, k = key
        digest = hashlib.sha256(json.dumps([question, list(docs), k], ensure_ascii=False).encode()).hexdigest()
        return f"{KEY_PREFIX}:{self.namespace}:{digest[:32]}"

    def get(self, key: CacheKey) -> Answer | None:
        if not self.link.usable:
            return None
        try:
            raw = self.link.client.get(self.key(key))
        except Exception as exc:  # redis.RedisError, or an OSError under it: a miss
            self.link.failed("answer cache", exc)
            return None
        self.link.worked()
        if raw is None:
            return None
        try:
            return answer_from_json(json.loads(raw))
        except (ValueError, TypeError, KeyError):  # written by another version of hogo: ask again
            return None

    def put(self, key: CacheKey, answer: Answer) -> None:
        if not self.link.usable:
            return
        try:
            self.link.client.set(self.key(key), json.dumps(answer_json(answer), ensure_ascii=False), ex=self.ttl)
        except Exception as exc:
            self.link.failed("answer cache", exc)
        else:
            self.link.worked()


    def clear(self) -> None:
        """Forget the answers of this corpus and composer, for every process (those of others stay)."""
        if not self.link.usable:
            return
        try:
            keys = list(self.link.client.scan_iter(match=f"{KEY_PREFIX}:{self.namespace}:*", count=500))
            for start in range(0, len(keys), 500):
                self.link.client.delete(*keys[start:start + 500])
        except Exception as exc:
            self.link.failed("answer cache", exc)
        else:
            self.link.worked()


def answer_json(answer: Answer) -> dict[str, Any]:
    """Everything of an answer but its id and timings (those belong to the request that gets it)."""
    data = asdict(answer)
    del data["id"], data["timings_ms"]
    return data


def answer_from_json(data: dict[str, Any]) -> Answer:
    citations = [Citation(**c) for c in data.pop("citations")]
    quotes = [(str(key), str(span)) for key, span in data.pop("quotes")]
    return Answer(**data, citations=citations, quotes=quotes)


def namespace(engine: Any, settings: Settings) -> str:
    """The corpus fingerprint (every passage's key and content hash, and the embedder) and the composer."""
    corpus = hashlib.sha256(settings.embedder.encode())
    for passage in sorted(engine.passages, key=lambda p: p.key):
        corpus.update(f"\n{passage.key}\t{passage.hash}".encode())
    if engine.composer is None:
        composer = "extractive"
    else:
        model = json.dumps([settings.llm, settings.llm_base_url, settings.llm_options], sort_keys=True, default=str)
        composer = "llm-" + hashlib.sha256(model.encode()).hexdigest()[:12]
    return f"{corpus.hexdigest()[:16]}:{composer}"
