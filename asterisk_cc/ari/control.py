"""The controller's actions as the dashboard reaches them over HTTP (see status_http), and
the client the dashboard uses.

Every action is the controller's own method; this module only maps a path and a JSON body
onto it, and a refusal onto an error the dashboard can show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

import httpx

from asterisk_cc.ari.controller import AgentController
from asterisk_cc.ari.status_http import Act, Snapshot
from asterisk_cc.ari.supervision import Mode, Supervision
from asterisk_cc.config import Settings
from asterisk_cc.errors import AsteriskCCError, AsteriskUnreachable, ConfigError

AGENT_ACTIONS = (
    "pause",
    "unpause",
    "ready",
    "logout",
    "hangup",
    "hold",
    "unhold",
    "transfer",
    "disposition",
    "record",
    "call-in",
)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} is needed (text)")
    return value


def _optional_time(data: dict[str, Any], key: str) -> datetime | None:
    """An ISO 8601 time with its UTC offset, e.g. 2026-12-01T10:30:00+08:00; None if absent."""
    value = data.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{key!r} must be an ISO 8601 time, not {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{key!r} needs its UTC offset (e.g. +08:00): {value!r}")
    return moment


def make_status(agents: AgentController, supervision: Supervision) -> Snapshot:
    """``GET /status``: the controller's view, and the supervisors' monitoring sessions under
    ``monitorings`` (who started each, ``user_id``: the dashboard offers a supervisor the Stop
    of their own)."""

    def status() -> dict[str, Any]:
        return {**agents.snapshot(), "monitorings": supervision.snapshot()}

    return status


def make_actions(agents: AgentController, supervision: Supervision) -> Act:
    async def act(parts: list[str], data: dict[str, Any]) -> dict[str, Any]:
        if parts == ["supervise"]:
            login = _text(data, "agent")
            agent = agents.sessions.get(login)
            if agent is None:
                raise LookupError(f"agent {login} is not logged in")
            user_id = data.get("user_id")
            if not isinstance(user_id, int) or isinstance(user_id, bool):
                raise ValueError("'user_id' is needed (a number)")
            monitoring = await supervision.start(
                user_id=user_id,
                agent=agent,
                mode=cast(Mode, _text(data, "mode")),
                endpoint=_text(data, "endpoint"),
            )
            return {"monitoring": monitoring}
        if len(parts) == 2 and parts[0] == "supervise":
            return {"stopped": await supervision.stop(parts[1])}
        if parts == ["dialer", "connect"]:
            logins = data.get("agents")
            if not isinstance(logins, list) or not all(isinstance(a, str) for a in logins):
                raise ValueError("'agents' is needed (a list of agent logins)")
            queue = data.get("queue")
            login = await agents.connect_outbound(
                _text(data, "channel"),
                logins,
                linkedid=_text(data, "linkedid"),
                queue=queue if isinstance(queue, str) and queue else None,
            )
            return {"agent": login}
        if len(parts) != 3 or parts[0] != "agents" or parts[2] not in AGENT_ACTIONS:
            raise LookupError(
                f"no action /{'/'.join(parts)}: use /agents/<login>/<"
                + "|".join(AGENT_ACTIONS)
                + ">, /supervise or /dialer/connect"
            )
        login, action = parts[1], parts[2]
        calls: dict[str, Callable[[], Awaitable[Any]]] = {
            "pause": lambda: agents.pause(login, _text(data, "reason")),
            "unpause": lambda: agents.unpause(login),
            "ready": lambda: agents.ready(login),
            "logout": lambda: agents.log_out(login, "dashboard"),
            "hangup": lambda: agents.hang_up(login),
            "hold": lambda: agents.hold(login),
            "unhold": lambda: agents.unhold(login),
            "transfer": lambda: agents.transfer(
                login, context=_text(data, "context"), extension=_text(data, "extension")
            ),
            "disposition": lambda: agents.set_disposition(
                login,
                _text(data, "disposition"),
                callback_at=_optional_time(data, "callback_at"),
                callback_for_anyone=data.get("callback_for_anyone") is True,
            ),
            "record": lambda: agents.record(login),
            "call-in": lambda: agents.call_in(login, _text(data, "endpoint")),
        }
        result = await calls[action]()
        return {"ok": True, "result": result if isinstance(result, str | bool) else None}

    return act


class ControllerRefused(AsteriskCCError):
    """The controller refused an action; the message says why."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def _unreachable(url: str, exc: httpx.HTTPError) -> AsteriskUnreachable:
    return AsteriskUnreachable(
        f"the ARI controller at {url} does not answer ({exc}). Fix: start "
        "asterisk-cc ari; [ari] status_bind/status_port must match."
    )


def _result(response: httpx.Response, path: str) -> Any:
    data = response.json()
    if response.status_code >= 400 and path != "/health":
        raise ControllerRefused(str(data.get("error", response.text)), response.status_code)
    return data


def _connect_body(
    channel: str, agents: list[str], linkedid: str, queue: str | None
) -> dict[str, Any]:
    return {"channel": channel, "agents": agents, "linkedid": linkedid, "queue": queue}


class ControllerClient:
    """The dashboard's side: the controller's actions over its loopback HTTP endpoint."""

    def __init__(self, url: str, token: str, *, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise _unreachable(self.url, exc) from None
        return _result(response, path)

    def status(self) -> dict[str, Any]:
        return cast(dict[str, Any], self._send("GET", "/status"))

    def agent(self, login: str, action: str, **data: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self._send("POST", f"/agents/{login}/{action}", data))

    def supervise(self, *, user_id: int, agent: str, mode: str, endpoint: str) -> str:
        data = self._send(
            "POST",
            "/supervise",
            {"user_id": user_id, "agent": agent, "mode": mode, "endpoint": endpoint},
        )
        return str(data["monitoring"])

    def stop_supervising(self, session_id: str) -> bool:
        """End the monitoring session ``session_id`` (the supervisor's call is hung up); False
        when it had already ended (the supervisor hung up, the agent logged out)."""
        data = self._send("POST", f"/supervise/{quote(session_id, safe='')}", {})
        return data.get("stopped") is True

    def connect_outbound(
        self, *, channel: str, agents: list[str], linkedid: str, queue: str | None
    ) -> str:
        data = self._send(
            "POST", "/dialer/connect", _connect_body(channel, agents, linkedid, queue)
        )
        return str(data["agent"])

    def close(self) -> None:
        self._http.close()


class AsyncControllerClient:
    """The dialer's side: the agents' states, and answered customer calls handed to agents."""

    def __init__(self, url: str, token: str, *, timeout_s: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )

    async def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise _unreachable(self.url, exc) from None
        return _result(response, path)

    async def status(self) -> dict[str, Any]:
        return cast(dict[str, Any], await self._send("GET", "/status"))

    async def connect_outbound(
        self, *, channel: str, agents: list[str], linkedid: str, queue: str | None
    ) -> str:
        """Connect an answered customer call to a free agent of ``agents``; → the agent's
        login. :class:`ControllerRefused` (409) when none is free."""
        body = _connect_body(channel, agents, linkedid, queue)
        data = await self._send("POST", "/dialer/connect", body)
        return str(data["agent"])

    async def aclose(self) -> None:
        await self._http.aclose()


def controller_url_of(settings: Settings) -> str:
    """Where the dialer and the dashboard reach the controller's endpoint."""
    if settings.dialer.controller_url:
        return settings.dialer.controller_url
    if not settings.ari.status_port:
        raise ConfigError(
            "the dialer reaches the ARI controller through its endpoint, which is off "
            "([ari] status_port = 0). Fix: set [ari] status_port, or [dialer] controller_url."
        )
    return f"http://{settings.ari.status_bind}:{settings.ari.status_port}"
