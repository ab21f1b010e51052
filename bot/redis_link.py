"""The Redis that several hogo processes and servers share when HOGO_REDIS_URL is set.

Redis holds conveniences (rate-limit counts, answers already given), never anything an answer needs. When
it cannot be reached, each user of it falls back (the rate limits to counting in this process, the answer
cache to a miss), one warning is logged per outage, and Redis is left alone for ``pause`` seconds, so that
a request waits on an unreachable server at most once in a while, never on every call.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from bot.faults import one_line

if TYPE_CHECKING:
    import redis

log = logging.getLogger("hogo.redis")


class RedisLink:
    """One client (and connection pool) for every user of Redis in the process, and whether it answers."""

    def __init__(self, url: str, timeout: float = 0.5, pause: float = 15.0) -> None:
        import redis

        self.url = url
        self.pause = pause
        self.client: redis.Redis = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self._retry_at = 0.0
        self._down = False
        self._lock = threading.Lock()

    @property
    def usable(self) -> bool:
        """False for ``pause`` seconds after a failure: callers fall back without trying."""
        return time.monotonic() >= self._retry_at

    def failed(self, what: str, exc: BaseException) -> None:
        """Record a failure of ``what`` (rate limits, answer cache); the first of an outage is logged."""
        with self._lock:
            first = not self._down
            self._down, self._retry_at = True, time.monotonic() + self.pause
        if first:
            log.warning("Redis at %s cannot be reached (%s: %s); %s fall back to this process until it answers "
                        "(next try in %.0f s)", redacted(self.url), what, one_line(exc), what, self.pause)

    def worked(self) -> None:
        """Record a success; the end of an outage is logged."""
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                log.warning("Redis at %s answers again", redacted(self.url))

    def close(self) -> None:
        self.client.close()


def redacted(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))
