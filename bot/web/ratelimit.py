"""Requests per minute per session token and per client IP, counted by the `limits` library in a moving
window: in this process (``memory://``) or, with HOGO_REDIS_URL, in Redis, where every process and server
draws on the same budget.

While Redis cannot be reached the limits are counted in this process instead (each process then allows the
full budget, as before Redis). They neither stop every request (one cache server down would take the
service down) nor let every request through (a flood during the outage would meet no limit at all).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

from bot.redis_link import RedisLink
from bot.web.security import RateLimited

KEY_PREFIX = "hogo:limits"


class RequestLimits:
    """``hit("token", visitor)`` and ``hit("ip", address)`` count a request or raise ``RateLimited``
    (429 with Retry-After); a limit of 0 is off."""

    def __init__(self, per_token: int, per_ip: int, link: RedisLink | None = None) -> None:
        self.items: dict[str, RateLimitItem | None] = {
            "token": RateLimitItemPerMinute(per_token) if per_token > 0 else None,
            "ip": RateLimitItemPerMinute(per_ip) if per_ip > 0 else None,
        }
        self.link = link
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared = None
        if link is not None:
            storage = RedisStorage(link.url, connection_pool=link.client.connection_pool, key_prefix=KEY_PREFIX,
                                   wrap_exceptions=True)
            self.shared = MovingWindowRateLimiter(storage)

    def hit(self, kind: str, key: str) -> None:
        item = self.items[kind]
        if item is None:
            return
        if self.shared is not None and self.link is not None and self.link.usable:
            try:
                allowed = self.shared.hit(item, kind, key)
                retry_after = 0 if allowed else _retry_after(self.shared, item, kind, key)
            except StorageError as exc:
                self.link.failed("rate limits", exc)
            else:
                self.link.worked()
                if retry_after:
                    raise RateLimited(retry_after)
                return
        if not self.local.hit(item, kind, key):
            raise RateLimited(_retry_after(self.local, item, kind, key))


def _retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, kind: str, key: str) -> int:
    """Whole seconds until the oldest request of the window leaves it (at least 1)."""
    reset = limiter.get_window_stats(item, kind, key).reset_time
    return max(1, math.ceil(reset - time.time()))
