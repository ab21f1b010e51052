"""Where ``AskEngine`` keeps answers it has given: the interface, and the in-process cache of recent ones.

Staff ask the same questions again and again, so a server keeps answers. The engine only calls ``get`` and
``put`` with its key (the question, the documents searched, k); where the answers live is the caller's
choice: ``RecentAnswers`` in this process, or a cache that the edge shares between processes and servers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Protocol

from retrieval.answer import Answer

CacheKey = tuple[str, tuple[str, ...], int]  # (question, documents searched, k)


class AnswerCache(Protocol):
    def get(self, key: CacheKey) -> Answer | None:
        """The answer kept for ``key``, as a copy the caller may change, or None."""

    def put(self, key: CacheKey, answer: Answer) -> None:
        """Keep ``answer`` for ``key``. Must not raise: a cache that cannot keep it forgets it."""

    def clear(self) -> None:
        """Forget every answer (the search changed, e.g. the site's vocabulary)."""


class RecentAnswers:
    """The ``size`` most recently used answers, in this process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[CacheKey, Answer] = OrderedDict()
        self._lock = threading.Lock()  # server threads answer at once

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: CacheKey) -> Answer | None:
        with self._lock:
            hit = self._answers.get(key)
            if hit is not None:
                self._answers.move_to_end(key)
        return replace(hit) if hit is not None else None

    def put(self, key: CacheKey, answer: Answer) -> None:
        with self._lock:
            self._answers[key] = replace(answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
