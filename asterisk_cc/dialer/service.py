"""``asterisk-cc dialer``: the dialer process. It needs the ARI controller running (agents
live there) and Asterisk's ARI; it stops cleanly on SIGINT/SIGTERM, and a restarted dialer
closes what its previous run left open before it dials again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket

from asterisk_cc.ari.control import AsyncControllerClient, controller_url_of
from asterisk_cc.ari.events import listen_forever
from asterisk_cc.ari.rest import AriRest
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine
from asterisk_cc.dialer.live import Dialer
from asterisk_cc.dialer.store import DialerStore
from asterisk_cc.errors import ConfigError

logger = logging.getLogger(__name__)


def dialer_id_of(settings: Settings) -> str:
    return settings.dialer.dialer_id or socket.gethostname()


async def run_dialer(settings: Settings, stop: asyncio.Event) -> None:
    """Run until ``stop`` is set."""
    if not settings.web.secret_key:
        raise ConfigError(
            "the dialer needs [web] secret_key: the controller's control API accepts only "
            "callers that know it."
        )
    engine = make_engine(settings.database)
    check_database(engine, settings.source)
    ari = settings.ari
    controller = AsyncControllerClient(
        controller_url_of(settings), control_token(settings.web.secret_key)
    )
    try:
        async with AriRest(ari.url, ari.user, ari.password) as rest:
            # Fail fast (exit 4) when ARI is not there at start; later drops are waited out.
            info = await rest.asterisk_info()
            logger.info(
                "ARI at %s is Asterisk %s", ari.url, info.get("system", {}).get("version", "?")
            )
            dialer = Dialer(
                rest,
                controller,
                DialerStore(engine),
                app=settings.dialer.app,
                dialer_id=dialer_id_of(settings),
                dial_template=settings.dialer.dial_template,
                abandon_message=settings.dialer.abandon_message,
            )
            link_up = asyncio.Event()

            async def on_link(up: bool) -> None:
                await dialer.on_link(up)
                if up:
                    link_up.set()

            events = asyncio.create_task(
                listen_forever(
                    ari.url, ari.user, ari.password, settings.dialer.app, dialer.on_event, on_link
                )
            )
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait(
                {asyncio.create_task(link_up.wait()), stopping},
                return_when=asyncio.FIRST_COMPLETED,
            )
            if stop.is_set():
                events.cancel()
                await asyncio.gather(events, return_exceptions=True)
                return
            closed = await dialer.recover()
            logger.info("dialer %s running (%d open attempt(s) closed)", dialer.dialer_id, closed)
            tick_s = settings.dialer.tick_ms / 1000
            failing = ""  # the last tick's error, said once and not every tick
            while not stop.is_set():
                try:
                    await dialer.tick()
                    if failing:
                        logger.info("dialer ticks work again")
                        failing = ""
                except Exception as exc:
                    if str(exc) != failing:
                        logger.error("dialer tick failed (no calls placed until fixed): %s", exc)
                        failing = str(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), tick_s)
            await dialer.hang_up_unconnected()
            events.cancel()
            await asyncio.gather(events, return_exceptions=True)
            await dialer.close()
            counted = dialer.counters
            logger.info(
                "dialer %s stopped: %d placed, %d answered, %d to agents, %d abandoned, "
                "%d machines; %d call(s) still up are closed at the next start",
                dialer.dialer_id,
                counted.placed,
                counted.answered,
                counted.connected,
                counted.abandoned,
                counted.machines,
                len(dialer.calls),
            )
    finally:
        await controller.aclose()
        engine.dispose()


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_dialer(settings, stop)
