"""The ARI controller's HTTP endpoint on loopback: its health, its view, and agents' actions.

``GET /health`` answers 200 while the event link to Asterisk is up and 503 while it is down
(for monitoring and systemd health checks); ``GET /status`` is the controller's view as JSON
(the link, every logged-in agent's state, the supervisors' monitoring sessions, records
waiting for the database). These two need no credentials and change nothing.

``POST /agents/<login>/<action>`` (JSON body) is how the dashboard, a separate process, works
the controller: pause, unpause, ready, log-out, hang-up, hold, unhold, transfer, disposition,
record, call-in; ``POST /supervise`` starts a supervisor's monitoring and
``POST /supervise/<session>`` stops it. These need
``Authorization: Bearer <token>``, a token derived from ``[web] secret_key`` (:func:`control_token`):
both processes read the same configuration, so no new secret is needed; without a key they are
refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 16384
READ_TIMEOUT_S = 5.0

Snapshot = Callable[[], dict[str, Any]]
# (path parts after /agents or /supervise, JSON body) -> JSON result; raises to refuse.
Act = Callable[[list[str], dict[str, Any]], Awaitable[dict[str, Any]]]


def control_token(secret_key: str) -> str:
    """The bearer token of the control API, derived from the dashboard's secret key."""
    return hmac.new(secret_key.encode(), b"asterisk-cc controller", hashlib.sha256).hexdigest()


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
    """The response to a GET request line (``GET /status HTTP/1.1``)."""
    parts = request_line.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return _response(400, "Bad Request", {"error": "not an HTTP request"})
    method, path = parts[0], parts[1].split("?", 1)[0]
    if method != "GET":
        return _response(405, "Method Not Allowed", {"error": "use GET, or POST with a token"})
    if path == "/status":
        return _response(200, "OK", snapshot())
    if path == "/health":
        up = bool(snapshot().get("link_up"))
        body = {"link_up": up}
        return _response(200, "OK", body) if up else _response(503, "Unavailable", body)
    return _response(404, "Not Found", {"error": f"no {path}: use /health or /status"})


async def _control(
    path: str, headers: dict[str, str], body: bytes, token: str | None, act: Act | None
) -> bytes:
    if act is None or not token:
        return _response(403, "Forbidden", {"error": "the control API is off ([web] secret_key)"})
    given = headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return _response(401, "Unauthorized", {"error": "a valid bearer token is needed"})
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return _response(400, "Bad Request", {"error": "the body is not JSON"})
    if not isinstance(data, dict):
        return _response(400, "Bad Request", {"error": "the body must be a JSON object"})
    parts = [p for p in path.split("/") if p]
    try:
        return _response(200, "OK", await act(parts, data))
    except PermissionError as exc:
        return _response(403, "Forbidden", {"error": str(exc)})
    except LookupError as exc:
        return _response(404, "Not Found", {"error": str(exc)})
    except (ValueError, TypeError) as exc:
        return _response(409, "Conflict", {"error": str(exc)})


async def serve_status(
    snapshot: Snapshot,
    host: str,
    port: int,
    *,
    act: Act | None = None,
    token: str | None = None,
) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length < 0 or len(head) + length > MAX_REQUEST_BYTES:
                    raise ValueError("request too large")
                body = await reader.readexactly(length) if length else b""
            parts = lines[0].split()
            if len(parts) == 3 and parts[0] == "POST":
                response = await _control(parts[1].split("?", 1)[0], headers, body, token, act)
            else:
                response = answer(lines[0], snapshot)
            writer.write(response)
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
    logger.info("controller endpoint on http://%s:%s (GET /health, /status)", host, port)
    return server
