"""The dashboard's server process: it serves the application on its port, stops on request,
and keeps its start-up objects out of the garbage collector's full collections."""

from __future__ import annotations

import dataclasses
import gc
import socket
import threading
import time

import httpx
from sqlalchemy.engine import Engine

from asterisk_cc.config import Settings
from asterisk_cc.web.server import serve


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_server_answers_freezes_its_start_up_objects_and_stops(
    web_settings: Settings, web_engine: Engine
) -> None:
    port = _free_port()
    settings = dataclasses.replace(
        web_settings, web=dataclasses.replace(web_settings.web, bind="127.0.0.1", port=port)
    )
    stop = threading.Event()
    outcome: list[int] = []
    gc.unfreeze()
    runner = threading.Thread(target=lambda: outcome.append(serve(settings, stop=stop)))
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the dashboard never answered"
                time.sleep(0.1)
        assert response.status_code == 200
        # The modules, the metadata and the application are in the permanent generation:
        # a full collection no longer walks them (docs/performance.md).
        assert gc.get_freeze_count() > 50_000
    finally:
        stop.set()
        runner.join(timeout=15)
        gc.unfreeze()
    assert not runner.is_alive() and outcome == [0]
