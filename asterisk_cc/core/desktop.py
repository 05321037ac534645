"""The agent desktop's decisions, free of I/O: pause reasons, disposition codes, the callback
time an agent types, transfer targets, wrap-up time left, the complaint moves offered, and what
a live-state change means for one agent's screen.

The desktop (:mod:`asterisk_cc.web.desktop`) reads the request, the database and the live feed
and passes what it found here; everything returned is plain data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from asterisk_cc.core.agents import DEFAULT_PAUSE_REASONS, REASON_MAX_LENGTH
from asterisk_cc.core.dialer.retry import DISPOSITIONS
from asterisk_cc.core.tickets import TicketState, allowed_targets
from asterisk_cc.core.vocabulary import AgentState

__all__ = [
    "CALLBACK_HORIZON",
    "INBOUND_DISPOSITIONS",
    "OUTBOUND_DISPOSITIONS",
    "PAUSE_REASONS",
    "DeskView",
    "DesktopInputError",
    "callback_time",
    "desk_changes",
    "disposition_code",
    "dispositions_for",
    "pause_reason",
    "ticket_moves",
    "transfer_extension",
    "wrapup_until",
]

PAUSE_REASONS: Final = (*DEFAULT_PAUSE_REASONS[:-1], "after_call_work", DEFAULT_PAUSE_REASONS[-1])
"""The reasons an agent picks from (break, lunch, training, meeting, after-call work, other);
the reports count paused time by these codes."""

INBOUND_DISPOSITIONS: Final = (
    "resolved",
    "information_given",
    "follow_up_needed",
    "complaint",
    "callback",
    "transferred",
    "wrong_number",
    "other",
)
"""How an agent closes an inbound call: codes only, so reports can group calls by them."""

OUTBOUND_DISPOSITIONS: Final = tuple(DISPOSITIONS)
"""The codes the dialer acts on (docs/dialer.md, *Retry rules and dispositions*)."""

CALLBACK_HORIZON: Final = timedelta(days=90)
"""How far ahead a callback may be planned."""

_EXTENSION: Final = re.compile(r"\+?[0-9*#]{1,32}")
_QUEUE_NAME: Final = re.compile(r"[0-9a-z][0-9a-z_-]{1,63}")


class DesktopInputError(ValueError):
    """What the agent sent cannot be used. ``kind`` names the problem (the desktop shows its
    own translated message for each); the message says it in English."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def pause_reason(choice: str, free_text: str = "") -> str:
    """The reason code for a pause: the chosen one of :data:`PAUSE_REASONS`, or, for
    ``other`` with words typed, those words as a code (``Doctor visit`` → ``doctor_visit``).
    Words with nothing left as a code (e.g. Chinese text) give ``other``."""
    choice = (choice or "").strip()
    typed = _as_code(free_text)
    if choice == "other" or (not choice and free_text.strip()):
        return typed or "other"
    if not choice:
        raise DesktopInputError("pause_reason", "choose a pause reason")
    if choice not in PAUSE_REASONS:
        raise DesktopInputError("pause_reason", f"unknown pause reason {choice!r}")
    return choice


def _as_code(text: str) -> str:
    """Free text as a reason code: lower-case ASCII letters, digits and ``_``."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    code = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    return code[:REASON_MAX_LENGTH].rstrip("_")


def dispositions_for(outbound: bool) -> tuple[str, ...]:
    return OUTBOUND_DISPOSITIONS if outbound else INBOUND_DISPOSITIONS


def disposition_code(code: str, outbound: bool) -> str:
    """The disposition the agent chose, checked against the call's list."""
    code = (code or "").strip().lower()
    if code not in dispositions_for(outbound):
        raise DesktopInputError("disposition", f"unknown disposition {code!r} for this call")
    return code


def callback_time(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The callback time the agent typed (``YYYY-MM-DDTHH:MM``, the site's local time, as a
    browser's datetime-local field sends it) as an aware UTC-comparable time; it must be in
    the future and within :data:`CALLBACK_HORIZON`."""
    try:
        local = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise DesktopInputError("callback_time", f"{text!r} is not a date and time") from None
    moment = local.replace(tzinfo=zone) if local.tzinfo is None else local
    if moment <= now:
        raise DesktopInputError("callback_past", "the callback time is in the past")
    if moment > now + CALLBACK_HORIZON:
        raise DesktopInputError("callback_far", "the callback time is more than 90 days ahead")
    return moment


def transfer_extension(kind: str, target: str, queues: frozenset[str]) -> tuple[str, str]:
    """Where a blind transfer goes, as (kind, extension): a queue the site has (``queue``) or
    a number (``number``: digits, ``*``, ``#``, a leading ``+``)."""
    target = (target or "").strip()
    if kind == "queue":
        if not _QUEUE_NAME.fullmatch(target) or target not in queues:
            raise DesktopInputError("queue", f"no queue {target!r}")
        return kind, target
    if kind == "number":
        compact = re.sub(r"[\s().-]", "", target)
        if not _EXTENSION.fullmatch(compact):
            raise DesktopInputError("number", f"{target!r} is not a number to transfer to")
        return kind, compact
    raise DesktopInputError("transfer_kind", "transfer to a queue or a number")


def wrapup_until(since: datetime, limit_s: int | None) -> datetime | None:
    """When wrap-up ends by itself (the controller's timer), from its start and the queue's
    limit; None when there is no limit."""
    if limit_s is None or limit_s <= 0:
        return None
    return since + timedelta(seconds=limit_s)


def ticket_moves(state: TicketState | str) -> list[TicketState]:
    """The stages a complaint may move to from ``state``, in workflow order."""
    return sorted(allowed_targets(TicketState(state)), key=lambda s: s.stage)


@dataclass(frozen=True)
class DeskView:
    """What one agent's screen shows of the live state."""

    logged_in: bool
    state: str
    reason: str | None
    since: datetime | None
    call: str | None
    link_up: bool

    @classmethod
    def logged_out(cls, link_up: bool) -> DeskView:
        return cls(False, AgentState.LOGGED_OUT.value, None, None, None, link_up)

    def as_json(self) -> Mapping[str, object]:
        return {
            "logged_in": self.logged_in,
            "state": self.state,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
            "call": self.call,
            "link_up": self.link_up,
        }


def desk_changes(before: DeskView | None, after: DeskView) -> tuple[bool, bool]:
    """(the state shown changed, the call changed) between two live states."""
    if before is None:
        return True, after.call is not None
    return before != after, before.call != after.call
