"""The ARI controller process: holds the Stasis application's event stream open.

Agent sessions, inbound delivery and supervision are built on this stream; at this stage the
process keeps the link up across Asterisk restarts and logs what arrives.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from asterisk_cc.ari.client import AriClient
from asterisk_cc.ari.events import listen_forever
from asterisk_cc.config import Settings

logger = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    ari = settings.ari
    with AriClient(ari.url, ari.user, ari.password) as client:
        logger.info("ARI at %s is Asterisk %s", ari.url, client.asterisk_version())

    async def on_event(event: dict[str, Any]) -> None:
        channel = event.get("channel", {}).get("name", "")
        logger.info("ARI event %s %s", event.get("type"), channel)

    listener = asyncio.create_task(
        listen_forever(ari.url, ari.user, ari.password, ari.app, on_event)
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    listener.cancel()
