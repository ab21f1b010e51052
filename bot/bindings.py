"""Which regulations a widget site key, a Slack workspace or a Slack channel is bound to.

One server may answer for several bodies (a prefecture, a shared service). A site key, a workspace or a
channel can be bound to some of the corpus's documents; every answer, clause and dialogue reached through it
then stays within them. A binding is a list of document ids; ``None`` means unbound (every document).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from bot.settings import Settings, SiteKey
from corpus.errors import HogoError

log = logging.getLogger("hogo.bindings")


class OutsideBinding(HogoError):
    """A request names a document the site key or the workspace is not bound to."""

    code = "scope_not_allowed"
    exit_code = 2
    http_status = 403
    default_ja = "指定された規程はここでは利用できません。"


class BindingConfigError(HogoError):
    """A binding in the settings names a document the corpus does not hold."""

    code = "unknown_bound_document"
    exit_code = 2


# reading the settings -----------------------------------------------------------------------------------

def site_origins(settings: Settings, site_key: str) -> list[str] | None:
    """The page origins a site key may be used from; None for an unknown key."""
    entry = settings.site_keys.get(site_key)
    return entry.origins if isinstance(entry, SiteKey) else entry


def site_scopes(settings: Settings, site_key: str) -> list[str] | None:
    """The documents a site key is bound to; None when it is unbound (or unknown)."""
    entry = settings.site_keys.get(site_key)
    return list(entry.scopes) if isinstance(entry, SiteKey) and entry.scopes else None


def all_origins(settings: Settings) -> list[str]:
    """Every configured page origin (for CORS); ``self`` is the server's own and needs no CORS."""
    return sorted({o for key in settings.site_keys for o in site_origins(settings, key) or () if o != "self"})


def team_scopes(settings: Settings, team: str | None) -> list[str] | None:
    return list(settings.slack_team_scopes[team]) if team and team in settings.slack_team_scopes else None


def channel_scopes(settings: Settings, channel: str | None) -> list[str] | None:
    value = settings.slack_channel_scopes.get(channel) if channel else None
    if not value:
        return None
    return [value] if isinstance(value, str) else list(value)


# applying a binding -------------------------------------------------------------------------------------

def within(outer: Sequence[str] | None, inner: Sequence[str] | None) -> list[str] | None:
    """A binding inside another (a channel inside its workspace) narrows it and never widens it: the
    inner documents that the outer binding allows; the outer binding when none of them is allowed."""
    if inner is None:
        return None if outer is None else list(outer)
    if outer is None:
        return list(inner)
    kept = [doc for doc in inner if doc in outer]
    if not kept:
        log.warning("a binding to %s lies outside %s and is ignored", ", ".join(inner), ", ".join(outer))
        return list(outer)
    return kept


def narrow(requested: Sequence[str] | None, bound: Sequence[str] | None) -> list[str] | None:
    """The documents a request may search: the bound ones when it names none (never every document), the
    ones it names when they all lie within the binding, else OutsideBinding. Unbound: the request as is."""
    if bound is None:
        return list(requested) if requested else None
    if not requested:
        return list(bound)
    outside = [doc for doc in requested if doc not in bound]
    if outside:
        raise OutsideBinding(
            f"scope {', '.join(outside)} is outside the binding ({', '.join(bound)})",
            f"指定された規程（{'、'.join(outside)}）はここでは利用できません。利用できる規程: {'、'.join(bound)}",
        )
    return list(dict.fromkeys(requested))


# start-up check -----------------------------------------------------------------------------------------

def check(settings: Settings, known: Iterable[str]) -> None:
    """Fail at start-up, in one line, when a binding names a document id the corpus does not hold."""
    known = set(known)
    named = {
        "HOGO_SITE_KEYS": [doc for key in settings.site_keys for doc in site_scopes(settings, key) or ()],
        "HOGO_SLACK_TEAM_SCOPES": [doc for docs in settings.slack_team_scopes.values() for doc in docs],
        "HOGO_SLACK_CHANNEL_SCOPES": [doc for channel in settings.slack_channel_scopes
                                      for doc in channel_scopes(settings, channel) or ()],
    }
    problems = [f"{name} names unknown document ids: {', '.join(sorted(set(docs) - known))}"
                for name, docs in named.items() if set(docs) - known]
    if problems:
        raise BindingConfigError("; ".join(problems) + f" (the corpus holds: {', '.join(sorted(known))})")
