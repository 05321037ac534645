"""The ARI event link reconnects by itself when the websocket drops."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import websockets

from asterisk_cc.ari.events import Backoff, events_url, listen_forever


def test_events_url() -> None:
    assert events_url("http://127.0.0.1:8088/ari/", "cc") == "ws://127.0.0.1:8088/ari/events?app=cc"
    assert events_url("https://pbx:8089/ari", "a b") == "wss://pbx:8089/ari/events?app=a+b"


def test_reconnects_after_the_link_drops_and_authenticates() -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[bool], list[str]]:
        connections: list[str] = []

        async def fake_asterisk(websocket: Any) -> None:
            connections.append(websocket.request.headers["Authorization"])
            n = len(connections)
            await websocket.send(json.dumps({"type": "StasisStart", "n": n}))
            if n == 1:
                await websocket.close()  # Asterisk restarting
            else:
                await websocket.wait_closed()

        events: list[dict[str, Any]] = []
        statuses: list[bool] = []
        async with websockets.serve(fake_asterisk, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]

            async def on_event(event: dict[str, Any]) -> None:
                events.append(event)

            async def on_status(up: bool) -> None:
                statuses.append(up)

            task = asyncio.create_task(
                listen_forever(
                    f"http://127.0.0.1:{port}/ari",
                    "cc",
                    "pw",
                    "cc-app",
                    on_event,
                    on_status,
                    Backoff(initial_backoff_s=0.05),
                )
            )
            async with asyncio.timeout(5):
                while len(events) < 2:
                    await asyncio.sleep(0.01)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return events, statuses, connections

    events, statuses, connections = asyncio.run(scenario())
    assert [e["n"] for e in events] == [1, 2]
    assert statuses[:3] == [True, False, True]
    expected = "Basic " + base64.b64encode(b"cc:pw").decode()
    assert connections == [expected, expected]


def test_backoff_grows_to_its_ceiling() -> None:
    delays = Backoff(initial_backoff_s=1, max_backoff_s=5).delays()
    assert [next(delays) for _ in range(5)] == [1, 2, 4, 5, 5]


def test_a_failing_handler_does_not_take_the_link_down() -> None:
    async def scenario() -> tuple[list[int], int]:
        connections = 0

        async def fake_asterisk(websocket: Any) -> None:
            nonlocal connections
            connections += 1
            await websocket.send("not json")
            for n in (1, 2, 3):
                await websocket.send(json.dumps({"type": "StasisStart", "n": n}))
            await websocket.wait_closed()

        handled: list[int] = []
        async with websockets.serve(fake_asterisk, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]

            async def on_event(event: dict[str, Any]) -> None:
                if event["n"] == 1:
                    raise RuntimeError("a bug in one handler")
                handled.append(event["n"])

            async def on_status(up: bool) -> None:
                raise RuntimeError("a bug in the link-up handler")

            task = asyncio.create_task(
                listen_forever(
                    f"http://127.0.0.1:{port}/ari", "cc", "pw", "cc-app", on_event, on_status
                )
            )
            async with asyncio.timeout(5):
                while len(handled) < 2:
                    await asyncio.sleep(0.01)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        return handled, connections

    handled, connections = asyncio.run(scenario())
    assert handled == [2, 3]
    assert connections == 1  # the same link went on
