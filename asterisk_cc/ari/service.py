"""The ARI controller process: agents' sessions over the Stasis application's event stream.

The event link reconnects by itself with backoff; each time it comes up the controller
resynchronises with what Asterisk has (see :meth:`AgentController.resync`). State records the
database could not take are written again every few seconds until it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from asterisk_cc.ami.members import AmiQueueMembers
from asterisk_cc.ari.control import make_actions, make_status
from asterisk_cc.ari.controller import AgentController, Publish, _no_publish
from asterisk_cc.ari.events import listen_forever
from asterisk_cc.ari.recording import CallRecorder, DatabaseRecordingStore
from asterisk_cc.ari.rest import AriRest
from asterisk_cc.ari.status_http import control_token, serve_status
from asterisk_cc.ari.store import DatabaseAgentStore
from asterisk_cc.ari.supervision import (
    DatabaseSupervisionStore,
    Supervision,
    attach_supervision,
)
from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ControllerParts:
    """The running controller and what is attached to it."""

    agents: AgentController
    supervision: Supervision


async def run_controller(
    settings: Settings,
    ready: asyncio.Future[ControllerParts],
    stop: asyncio.Event,
    publish: Publish,
) -> None:
    """Run until ``stop`` is set; ``ready`` gets the controller once it runs."""
    engine = make_engine(settings.database)
    check_database(engine, settings.source)
    members = AmiQueueMembers(settings.ami)
    ari = settings.ari
    try:
        async with AriRest(ari.url, ari.user, ari.password) as rest:
            info = await rest.asterisk_info()
            logger.info(
                "ARI at %s is Asterisk %s", ari.url, info.get("system", {}).get("version", "?")
            )
            controller = AgentController(
                rest, DatabaseAgentStore(engine), members, publish=publish, app=ari.app
            )
            # Calls are recorded as their queue's policy says; supervisors listen in.
            controller.recorder = CallRecorder(rest, DatabaseRecordingStore(engine))
            supervision = attach_supervision(
                controller, DatabaseSupervisionStore(engine), app=ari.app
            )
            tasks = [
                asyncio.create_task(
                    listen_forever(
                        ari.url,
                        ari.user,
                        ari.password,
                        ari.app,
                        controller.on_event,
                        controller.on_link,
                    )
                ),
                asyncio.create_task(controller.retry_records_forever()),
            ]
            status = None
            if ari.status_port:
                key = settings.web.secret_key
                status = await serve_status(
                    make_status(controller, supervision),
                    ari.status_bind,
                    ari.status_port,
                    act=make_actions(controller, supervision),
                    token=control_token(key) if key else None,
                )
            ready.set_result(ControllerParts(controller, supervision))
            await stop.wait()
            if status is not None:
                status.close()
                await status.wait_closed()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await supervision.close()
            await controller.flush_records()
            await controller.close()
    finally:
        members.close()
        engine.dispose()


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready: asyncio.Future[ControllerParts] = loop.create_future()
    await run_controller(settings, ready, stop, _no_publish)


class ControllerThread:
    """The controller on an event loop of its own, for a process that is not asyncio (tests,
    the dashboard): ``call(coroutine)`` runs agent actions there and returns their result."""

    def __init__(self, loop: asyncio.AbstractEventLoop, parts: ControllerParts) -> None:
        self.loop = loop
        self.controller = parts.agents
        self.supervision = parts.supervision

    def call(self, work: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout_s)


@contextlib.contextmanager
def controller_in_thread(
    settings: Settings, publish: Publish = _no_publish
) -> Iterator[ControllerThread]:
    loop = asyncio.new_event_loop()
    started = threading.Event()
    handle: list[ControllerThread] = []
    failure: list[BaseException] = []
    stop_event: list[asyncio.Event] = []

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            stop = asyncio.Event()
            stop_event.append(stop)
            ready: asyncio.Future[ControllerParts] = loop.create_future()

            def on_ready(future: asyncio.Future[ControllerParts]) -> None:
                if not future.cancelled() and future.exception() is None:
                    handle.append(ControllerThread(loop, future.result()))
                started.set()

            ready.add_done_callback(on_ready)
            await run_controller(settings, ready, stop, publish)

        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # reported to the caller
            failure.append(exc)
            started.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="ari-controller", daemon=True)
    thread.start()
    started.wait(60)
    if failure or not handle:
        raise failure[0] if failure else RuntimeError("the ARI controller did not start")
    try:
        yield handle[0]
    finally:
        loop.call_soon_threadsafe(stop_event[0].set)
        thread.join(timeout=30)
