"""The controller's actions as the dashboard reaches them over HTTP (see status_http), and
the client the dashboard uses.

Every action is the controller's own method; this module only maps a path and a JSON body
onto it, and a refusal onto an error the dashboard can show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

import httpx

from asterisk_cc.ari.controller import AgentController
from asterisk_cc.ari.status_http import Act
from asterisk_cc.ari.supervision import Mode, Supervision
from asterisk_cc.errors import AsteriskCCError, AsteriskUnreachable

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
        if len(parts) != 3 or parts[0] != "agents" or parts[2] not in AGENT_ACTIONS:
            raise LookupError(
                f"no action /{'/'.join(parts)}: use /agents/<login>/<"
                + "|".join(AGENT_ACTIONS)
                + "> or /supervise"
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
            "disposition": lambda: agents.set_disposition(login, _text(data, "disposition")),
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
            raise AsteriskUnreachable(
                f"the ARI controller at {self.url} does not answer ({exc}). Fix: start "
                "asterisk-cc ari; [ari] status_bind/status_port must match."
            ) from None
        data = response.json()
        if response.status_code >= 400 and path != "/health":
            raise ControllerRefused(str(data.get("error", response.text)), response.status_code)
        return data

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

    def close(self) -> None:
        self._http.close()
