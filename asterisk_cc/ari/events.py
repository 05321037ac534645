"""ARI event stream: one websocket per Stasis application, reconnected with backoff.

The Stasis application exists in Asterisk only while its websocket is connected, so when
Asterisk restarts or the link drops we reconnect by ourselves, waiting a little longer each time
(up to ``max_backoff_s``) and starting again from ``initial_backoff_s`` once connected.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets

logger = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]
StatusHandler = Callable[[bool], Awaitable[None]]


@dataclass(frozen=True)
class Backoff:
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    factor: float = 2.0

    def delays(self) -> Any:
        delay = self.initial_backoff_s
        while True:
            yield delay
            delay = min(delay * self.factor, self.max_backoff_s)


def events_url(ari_url: str, app: str) -> str:
    """``http://h:8088/ari`` → ``ws://h:8088/ari/events?app=<app>``."""
    parts = urlsplit(ari_url.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = urlencode({"app": app})
    return urlunsplit((scheme, parts.netloc, parts.path + "/events", query, ""))


async def listen_forever(
    ari_url: str,
    user: str,
    password: str,
    app: str,
    on_event: EventHandler,
    on_status: StatusHandler | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Deliver every event to ``on_event``; reconnect whenever the websocket goes away."""
    url = events_url(ari_url, app)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    delays = (backoff or Backoff()).delays()
    while True:
        try:
            async with websockets.connect(url, additional_headers=headers) as websocket:
                logger.info("ARI events connected for application %s", app)
                delays = (backoff or Backoff()).delays()
                if on_status:
                    await _guarded(on_status(True), "the link-up handler")
                async for frame in websocket:
                    try:
                        event = json.loads(frame)
                    except ValueError:
                        logger.error("ARI sent a frame that is not JSON: %r", frame[:200])
                        continue
                    await _guarded(on_event(event), f"handling {event.get('type')}")
            reason = "closed by Asterisk"
        except (TimeoutError, OSError, websockets.WebSocketException) as exc:
            reason = str(exc) or type(exc).__name__
        delay = next(delays)
        logger.warning("ARI events link down (%s); reconnecting in %.1f s", reason, delay)
        if on_status:
            await _guarded(on_status(False), "the link-down handler")
        await asyncio.sleep(delay)


async def _guarded(work: Awaitable[None], what: str) -> None:
    """A handler that fails is logged; it must not take the event link (and with it the
    Stasis application, and every call in it) down."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("ARI event link: %s failed", what)
