"""The FastAGI process: routes each call by its AGI script name to a handler.

``AGI(agi://127.0.0.1:4573/<script>)`` in the dialplan picks the route: ``ivr`` runs the
default flow (``[ivr] default_flow``), any other name the flow file of that name, and ``demo``
the built-in demo. An unknown script is a configuration mistake on the PBX: the caller goes to
the failover context, never dead air.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.agi.backend import DatabaseBackend
from asterisk_cc.agi.demo import RecordTrip, make_demo_route
from asterisk_cc.agi.flows import FlowLibrary, flow_library
from asterisk_cc.agi.ivr import IvrOptions, IvrRunner
from asterisk_cc.agi.server import AgiSession, FastAGIServer, Handler
from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine, session_factory
from asterisk_cc.db.ivr_sessions import IvrTrip, record_ivr_trip

logger = logging.getLogger(__name__)

DEFAULT_FLOW_SCRIPT = "ivr"


class UnknownAgiScript(Exception):
    pass


def make_router(
    routes: Mapping[str, Handler],
    *,
    runner: IvrRunner | None = None,
    flows: FlowLibrary | None = None,
    default_flow: str = "",
) -> Handler:
    """Fixed ``routes`` first, then the flow named by the script (``ivr``: ``default_flow``)."""

    async def route(session: AgiSession) -> None:
        handler = routes.get(session.script)
        if handler is not None:
            await handler(session)
            return
        name = default_flow if session.script == DEFAULT_FLOW_SCRIPT else session.script
        flow = flows.get(name) if flows is not None else None
        if flow is None or runner is None:
            known = sorted({*routes, *(flows.names() if flows else ())})
            raise UnknownAgiScript(
                f"no AGI route or IVR flow {session.script!r} (known: {', '.join(known)})"
            )
        await runner.run(session, flow)

    return route


def trip_recorder(sessions: sessionmaker[Session], *, default_region: str) -> RecordTrip:
    """Writes each finished demo trip in a worker thread, so the event loop never waits on the
    database while other callers are in their menus."""

    def write(trip: IvrTrip) -> None:
        with sessions.begin() as session:
            record_ivr_trip(session, trip, default_region=default_region)

    async def record(trip: IvrTrip) -> None:
        await asyncio.to_thread(write, trip)

    return record


def default_routes(record: RecordTrip | None = None) -> dict[str, Handler]:
    return {"demo": make_demo_route(record=record)}


def ivr_options(settings: Settings) -> IvrOptions:
    return IvrOptions(
        default_region=settings.site.default_region,
        lookup_timeout_s=settings.ivr.lookup_timeout_ms / 1000,
        recordings_dir=settings.ivr.recordings_dir,
        failover_context=settings.agi.failover_context,
    )


async def serve(settings: Settings) -> None:
    engine = make_engine(settings.database)
    check_database(engine, settings.source)
    runner = IvrRunner(DatabaseBackend(settings, engine), ivr_options(settings))
    flows = flow_library(settings.ivr, default_timezone=settings.site.timezone)
    for name, problems in flows.check().items():
        for problem in problems:
            logger.warning("IVR flow %s: %s", name, problem)
    record = trip_recorder(session_factory(engine), default_region=settings.site.default_region)
    server = FastAGIServer(
        settings.agi.bind,
        settings.agi.port,
        make_router(
            default_routes(record),
            runner=runner,
            flows=flows,
            default_flow=settings.ivr.default_flow,
        ),
        failover_context=settings.agi.failover_context,
    )
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    stats = runner.stats
    logger.info(
        "stopping the FastAGI server after %d calls (IVR: %d calls, outcomes %s, %d failovers, "
        "%d database failures)",
        server.calls_handled,
        stats.calls,
        stats.by_outcome,
        stats.failovers,
        stats.backend_failures,
    )
    await server.stop()
    await runner.drain()
    runner.close()
    engine.dispose()
