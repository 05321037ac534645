"""The ARI controller's status endpoint: a tiny read-only HTTP server on loopback.

``GET /health`` answers 200 while the event link to Asterisk is up and 503 while it is down
(for monitoring and systemd health checks); ``GET /status`` is the controller's view as JSON
(the link, every logged-in agent's state, records waiting for the database). Nothing else is
served, nothing can be changed through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 8192
READ_TIMEOUT_S = 5.0

Snapshot = Callable[[], dict[str, Any]]


def _response(status: int, reason: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, sort_keys=True).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + payload


def answer(request_line: str, snapshot: Snapshot) -> bytes:
    """The response to one request line (``GET /status HTTP/1.1``)."""
    parts = request_line.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return _response(400, "Bad Request", {"error": "not an HTTP request"})
    method, path = parts[0], parts[1].split("?", 1)[0]
    if method != "GET":
        return _response(405, "Method Not Allowed", {"error": "only GET"})
    if path == "/status":
        return _response(200, "OK", snapshot())
    if path == "/health":
        up = bool(snapshot().get("link_up"))
        body = {"link_up": up}
        return _response(200, "OK", body) if up else _response(503, "Unavailable", body)
    return _response(404, "Not Found", {"error": f"no {path}: use /health or /status"})


async def serve_status(snapshot: Snapshot, host: str, port: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > MAX_REQUEST_BYTES:
                raise ValueError("request too large")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            writer.write(answer(line, snapshot))
            await writer.drain()
        except (TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except OSError as exc:
            logger.debug("status request failed: %s", exc)
        finally:
            with contextlib.suppress(OSError):
                writer.close()
                await writer.wait_closed()

    server = await asyncio.start_server(handle, host, port, limit=MAX_REQUEST_BYTES)
    logger.info("controller status on http://%s:%s/status", host, port)
    return server
