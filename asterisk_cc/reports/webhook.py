"""Alert events to a webhook: one JSON POST per raise or clear (``[alerts] webhook_url``).

The body::

    {"event": "raised" | "cleared", "rule": "waiting_calls", "scope": "support",
     "severity": "warning" | "critical", "value": 14.0, "threshold": 10.0,
     "message": "support: 14 calls waiting (alert at 10)",
     "raised_at": "2026-11-23T09:02:00+00:00", "cleared_at": null}

Times are ISO 8601 in UTC. A receiver that answers anything but 2xx, or does not answer in
``timeout_s`` (5 s), gets the event again at the next check (see
:mod:`asterisk_cc.reports.warning`): delivery is at least once, in order; the receiver can
tell a repeat by (event, rule, scope, raised_at). The URL may carry a token, so messages and
logs name only its scheme, host and port.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from asterisk_cc.db.alerts import AlertEvent
from asterisk_cc.errors import AsteriskCCError

__all__ = ["WEBHOOK_TIMEOUT_S", "WebhookError", "alert_payload", "describe_url", "post_json"]

WEBHOOK_TIMEOUT_S = 5.0


class WebhookError(AsteriskCCError):
    """The webhook did not take the event (unreachable, timed out, or not a 2xx answer)."""


def describe_url(url: str) -> str:
    """``scheme://host:port`` of ``url``: never its path, query or user (they may hold a
    token)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
        host = parts.hostname or "?"
    except ValueError:
        return "(unreadable URL)"
    return f"{parts.scheme}://{host}{port}"


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def alert_payload(event: AlertEvent) -> dict[str, Any]:
    """The JSON body of ``event``."""
    alert = event.alert
    return {
        "event": event.event,
        "rule": alert.rule,
        "scope": alert.scope,
        "severity": alert.severity,
        "value": _number(alert.value),
        "threshold": _number(alert.threshold),
        "message": alert.message,
        "raised_at": alert.raised_at.isoformat(),
        "cleared_at": (
            alert.cleared_at.isoformat()
            if event.event == "cleared" and alert.cleared_at is not None
            else None
        ),
    }


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    timeout_s: float = WEBHOOK_TIMEOUT_S,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """POST ``payload`` as JSON to ``url``; raises :class:`WebhookError` unless the answer
    is 2xx. Redirects are not followed (a webhook that moved is a configuration to fix)."""
    where = describe_url(url)
    try:
        with httpx.Client(timeout=timeout_s, transport=transport) as client:
            response = client.post(url, json=dict(payload))
    except httpx.TimeoutException:
        raise WebhookError(f"webhook {where} did not answer within {timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        reason = str(exc).replace(url, where) or type(exc).__name__
        raise WebhookError(f"webhook {where} could not be reached: {reason}") from None
    if not 200 <= response.status_code < 300:
        raise WebhookError(
            f"webhook {where} answered {response.status_code} {response.reason_phrase}"
        )
