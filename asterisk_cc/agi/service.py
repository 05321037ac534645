"""The FastAGI process: routes each call by its AGI script name to a handler.

``AGI(agi://127.0.0.1:4573/<script>)`` in the dialplan picks the route. An unknown script is
a configuration mistake on the PBX: the caller goes to the failover context, never dead air.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.agi.demo import RecordTrip, make_demo_route
from asterisk_cc.agi.server import AgiSession, FastAGIServer, Handler
from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine, session_factory
from asterisk_cc.db.ivr_sessions import IvrTrip, record_ivr_trip

logger = logging.getLogger(__name__)


class UnknownAgiScript(Exception):
    pass


def make_router(routes: Mapping[str, Handler]) -> Handler:
    async def route(session: AgiSession) -> None:
        handler = routes.get(session.script)
        if handler is None:
            raise UnknownAgiScript(
                f"no AGI route {session.script!r} (known: {', '.join(sorted(routes))})"
            )
        await handler(session)

    return route


def trip_recorder(sessions: sessionmaker[Session], *, default_region: str) -> RecordTrip:
    """Writes each finished IVR trip in a worker thread, so the event loop never waits on the
    database while other callers are in their menus."""

    def write(trip: IvrTrip) -> None:
        with sessions.begin() as session:
            record_ivr_trip(session, trip, default_region=default_region)

    async def record(trip: IvrTrip) -> None:
        await asyncio.to_thread(write, trip)

    return record


def default_routes(record: RecordTrip | None = None) -> dict[str, Handler]:
    return {"demo": make_demo_route(record=record)}


async def serve(settings: Settings) -> None:
    engine = make_engine(settings.database)
    check_database(engine, settings.source)
    record = trip_recorder(session_factory(engine), default_region=settings.site.default_region)
    server = FastAGIServer(
        settings.agi.bind,
        settings.agi.port,
        make_router(default_routes(record)),
        failover_context=settings.agi.failover_context,
    )
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    logger.info("stopping the FastAGI server after %d calls", server.calls_handled)
    await server.stop()
    engine.dispose()
