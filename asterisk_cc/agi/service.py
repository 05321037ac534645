"""The FastAGI process: routes each call by its AGI script name to a handler.

``AGI(agi://127.0.0.1:4573/<script>)`` in the dialplan picks the route. An unknown script is
a configuration mistake on the PBX: the caller goes to the failover context, never dead air.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Mapping

from asterisk_cc.agi.demo import demo_route
from asterisk_cc.agi.server import AgiSession, FastAGIServer, Handler
from asterisk_cc.config import Settings

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


def default_routes() -> dict[str, Handler]:
    return {"demo": demo_route}


async def serve(settings: Settings) -> None:
    server = FastAGIServer(
        settings.agi.bind,
        settings.agi.port,
        make_router(default_routes()),
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
