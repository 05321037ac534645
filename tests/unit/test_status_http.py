"""The controller's status endpoint over a real loopback socket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asterisk_cc.ari.status_http import answer, serve_status


def parse(response: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_health_follows_the_link_and_status_is_the_snapshot() -> None:
    view: dict[str, Any] = {"link_up": False, "agents": {"1001": {"state": "ready"}}}

    async def scenario() -> list[tuple[int, dict[str, Any]]]:
        server = await serve_status(lambda: view, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        results = []
        for path, link in (("/health", False), ("/health", True), ("/status", True)):
            view["link_up"] = link
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            results.append(parse(await reader.read()))
            writer.close()
            await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return results

    health_down, health_up, status = asyncio.run(scenario())
    assert health_down == (503, {"link_up": False})
    assert health_up == (200, {"link_up": True})
    assert status == (200, view)


def test_only_reading_is_served() -> None:
    snapshot = dict  # an empty view
    assert parse(answer("POST /status HTTP/1.1", snapshot))[0] == 405
    assert parse(answer("GET /agents/1001/pause HTTP/1.1", snapshot))[0] == 404
    assert parse(answer("garbage", snapshot))[0] == 400
