"""The desk's resources, opened in the web app's lifespan: the report store, the answer engine (clauses,
answering again), sign-in sessions, the cases, the clock, and the reminder scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.desk.cases import Cases
from bot.desk.signin import Sessions
from bot.desk.tables import create_desk_tables
from bot.settings import Settings
from bot.store import Store, now

log = logging.getLogger("hogo.desk")
SESSION_TTL = 8 * 3600  # seconds a desk sign-in lasts: a working day


@dataclass
class Desk:
    settings: Settings
    store: Store
    engine: Any  # the AskEngine: clause texts for citations, answering a question again
    secret: bytes
    clock: Callable[[], datetime] = now  # tests put a frozen clock here
    sessions: Sessions = field(init=False)
    cases: Cases = field(init=False)
    scheduler: Any = None
    oidc: Any = None  # OidcSignIn when the city's identity provider is configured

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.store.engine, self.secret, SESSION_TTL)
        self.cases = Cases(self.store, lambda: self.clock())

    def now(self) -> datetime:
        return self.clock()

    @property
    def secure_cookies(self) -> bool:
        return (self.settings.public_url or "").lower().startswith("https://")

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None


def open_desk(settings: Settings, store: Store, engine: Any, secret: bytes, schedule: bool = True) -> Desk:
    """The desk over an open store: its tables created where missing, the office's own vocabulary applied to
    the engine, and (with ``schedule``) the reminder scheduler started."""
    from bot.desk import reminders, vocabulary
    from bot.desk.oidc import open_oidc

    create_desk_tables(store.engine)
    desk = Desk(settings, store, engine, secret)
    desk.oidc = open_oidc(settings, secret)
    vocabulary.apply(engine, settings.data_dir)
    if schedule:
        desk.scheduler = reminders.start_scheduler(desk)
    return desk
