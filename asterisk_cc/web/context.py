"""What every dashboard request can reach: the settings, the database, the clock, the
controller and the live feed, kept on the Flask application (``app.extensions``).

Views call :func:`web_context` for these and :func:`db` for the request's database session,
which is opened on first use and closed when the request ends (a view commits what it changes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.config import Settings

EXTENSION_KEY = "asterisk_cc"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebContext:
    """The dashboard's dependencies; tests give their own clock, controller or live feed."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    now: Callable[[], datetime] = utc_now
    controller: Any = None
    """A :class:`~asterisk_cc.ari.control.ControllerClient` (or a stand-in in unit tests);
    None when the control API is not configured."""
    live: Any = None
    """The :class:`~asterisk_cc.web.live.LiveFeed` the wallboard and desktops stream from."""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def site_zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.site.timezone)


def web_context() -> WebContext:
    context: WebContext = current_app.extensions[EXTENSION_KEY]
    return context


def db() -> Session:
    """The request's database session (opened on first use, closed at the end of the request)."""
    if "db_session" not in g:
        g.db_session = web_context().sessions()
    session: Session = g.db_session
    return session


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def controller_client() -> Any:
    """The controller client (None when not configured), after ending the request's database
    transaction. The controller writes to the same database while it acts; on SQLite a read
    transaction begun before that write could no longer write after it ("database is
    locked"), so whatever the view has written so far is committed first and the view goes on
    in a new transaction."""
    session = g.get("db_session")
    if session is not None:
        session.commit()
    return web_context().controller
