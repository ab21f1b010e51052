"""An unreachable Redis: every caller falls back at once, one warning per outage (without the password), a
pause before the next try, and a line when it answers again."""

from __future__ import annotations

import logging

from bot.answer_cache import SharedAnswers
from bot.redis_link import RedisLink, redacted
from bot.web.ratelimit import RequestLimits

UNREACHABLE = "redis://:s3cret@127.0.0.1:1/0"  # nothing listens on port 1


def test_an_outage_is_logged_once_and_redis_left_alone_for_a_pause(caplog):
    caplog.set_level(logging.WARNING, logger="hogo.redis")
    link = RedisLink(UNREACHABLE, pause=60)
    answers = SharedAnswers(link, "ns", ttl=60)
    assert answers.get(("委託", ("koriyama-kijun",), 5)) is None
    assert not link.usable  # the next callers do not try before the pause is over
    limits = RequestLimits(per_token=1, per_ip=0, link=link)
    limits.hit("token", "visitor")  # counted in this process meanwhile
    assert len(caplog.records) == 1
    warning = caplog.records[0].getMessage()
    assert "answer cache" in warning and "s3cret" not in warning and ":***@127.0.0.1:1" in warning
    link.worked()
    assert caplog.records[-1].getMessage().endswith("answers again")
    link.close()


def test_redacted_keeps_everything_but_the_password():
    assert redacted("redis://user:pw@cache:6379/2") == "redis://user:***@cache:6379/2"
    assert redacted("redis://cache:6379/0") == "redis://cache:6379/0"
