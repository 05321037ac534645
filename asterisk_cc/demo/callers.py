"""The demo's inbound callers: each planned caller is placed at their time, through the IVR,
with their caller ID and key presses (a scripted caller in the sandbox), and watched in
Asterisk's queue_log. A caller still waiting when their patience runs out hangs up (the driver
ends the call through ARI: an abandon, as a person who gives up). Answered callers stay until
the agent ends the conversation.

What each caller did is kept in a :class:`CallerRecord`: the demo's own account of the traffic,
which the report must agree with (:mod:`asterisk_cc.core.demo_check`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from asterisk_cc.core.demo_check import QueueTally
from asterisk_cc.sandbox import CallerScript, PlacedCall, Sandbox
from asterisk_cc.sandbox.records import FileFollower, QueueLogLine

logger = logging.getLogger(__name__)

POLL_S: Final = 0.2
ENDING_EVENTS: Final = frozenset(
    {"COMPLETEAGENT", "COMPLETECALLER", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"}
)
TRANSFER_EVENTS: Final = frozenset({"BLINDTRANSFER", "ATTENDEDTRANSFER"})


@dataclass(frozen=True)
class Placement:
    """One caller to place: when (seconds after the start), where, as whom, doing what."""

    offset_s: float
    destination: str
    script: CallerScript
    caller_id: str
    patience_s: float
    """How long they wait in a queue before hanging up."""
    expected_queue: str | None
    """The queue their way through the IVR leads to (None: they leave the IVR otherwise)."""
    label: str = ""


@dataclass
class CallerRecord:
    placement: Placement
    call: PlacedCall | None = None
    place_error: str = ""
    placed_at: float | None = None
    entered_queue: str | None = None
    entered_at: float | None = None
    connected_at: float | None = None
    hung_up_waiting: bool = False
    """The caller's patience ran out in the queue and the driver hung up."""
    ended_by: str | None = None
    """The queue_log event that ended the queue call."""

    @property
    def in_queue(self) -> bool:
        return self.entered_queue is not None and self.ended_by is None


@dataclass
class CallerDriver:
    """Places the callers of ``placements`` (sorted by offset) and watches them."""

    sandbox: Sandbox
    placements: Sequence[Placement]
    progress: Callable[[str], None] = lambda _message: None
    records: list[CallerRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_callid: dict[str, CallerRecord] = {}
        self._queue_log = FileFollower(self.sandbox.queue_log_path)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._seen_lines = 0

    def run(self, *, until: float | None = None) -> None:
        """Place every caller at their time (stops early when :meth:`stop` is called or at
        ``until``, a ``time.monotonic()``), watching the queue_log as it goes."""
        start = time.monotonic()
        pending = sorted(self.placements, key=lambda p: p.offset_s)
        index = 0
        while not self._stop.is_set():
            now = time.monotonic()
            if until is not None and now >= until:
                break
            while index < len(pending) and start + pending[index].offset_s <= now:
                self._place(pending[index])
                index += 1
            if index >= len(pending) and until is None:
                break
            self.watch()
            self._stop.wait(POLL_S)
        self.progress(f"{index} callers placed")

    def stop(self) -> None:
        self._stop.set()

    def _place(self, placement: Placement) -> None:
        record = CallerRecord(placement)
        try:
            record.call = self.sandbox.place_call(
                placement.destination, placement.script, caller_id=placement.caller_id
            )
            record.placed_at = time.monotonic()
            with self._lock:
                self._by_callid[record.call.callee_id] = record
        except Exception as exc:  # a caller that cannot be placed is counted, not fatal
            record.place_error = str(exc)
            logger.warning("caller %s could not be placed: %s", placement.label, exc)
        self.records.append(record)

    def watch(self) -> None:
        """Read the queue_log's new lines; hang up callers whose patience ran out."""
        for line in self._queue_log.poll()[self._seen_lines :]:
            self._seen_lines += 1
            try:
                entry = QueueLogLine.parse(line)
            except ValueError:
                continue
            with self._lock:
                record = self._by_callid.get(entry.callid)
            if record is None:
                continue
            now = time.monotonic()
            if entry.event == "ENTERQUEUE":
                record.entered_queue, record.entered_at = entry.queue, now
            elif entry.event == "CONNECT":
                record.connected_at = now
            elif entry.event in ENDING_EVENTS or entry.event in TRANSFER_EVENTS:
                record.ended_by = record.ended_by or entry.event
        now = time.monotonic()
        for record in self.records:
            if (
                record.call is not None
                and record.in_queue
                and record.connected_at is None
                and not record.hung_up_waiting
                and record.entered_at is not None
                and now - record.entered_at >= record.placement.patience_s
            ):
                record.hung_up_waiting = True
                try:
                    self.sandbox.hang_up(record.call)
                except Exception as exc:
                    logger.warning("could not hang up caller %s: %s", record.placement.label, exc)

    def wait_until_over(self, timeout_s: float) -> list[CallerRecord]:
        """Keep watching until every queue call has ended (at most ``timeout_s``); the callers
        whose calls still had not ended."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.watch()
            if not any(r.in_queue for r in self.records):
                break
            time.sleep(POLL_S)
        return [r for r in self.records if r.in_queue]

    def hang_up_all(self) -> None:
        for record in self.records:
            if record.call is not None and self.sandbox.channel_exists(record.call.caller_id):
                try:
                    self.sandbox.hang_up(record.call)
                except Exception as exc:
                    logger.warning("could not hang up caller %s: %s", record.placement.label, exc)

    def tally(self) -> dict[str, QueueTally]:
        """Per queue, the traffic the demo made: the callers whose way through the IVR leads
        to it (offered), those an agent answered, those whose patience ran out (abandoned)
        and those the queue sent away (timed out)."""
        counts: dict[str, dict[str, int]] = {}
        for record in self.records:
            queue_name = record.placement.expected_queue
            if record.call is None or queue_name is None:
                continue
            queue = counts.setdefault(
                queue_name, {"offered": 0, "answered": 0, "abandoned": 0, "timed_out": 0}
            )
            queue["offered"] += 1
            if record.connected_at is not None:
                queue["answered"] += 1
            elif record.hung_up_waiting or record.ended_by == "ABANDON":
                queue["abandoned"] += 1
            elif record.ended_by in {"EXITWITHTIMEOUT", "EXITEMPTY"}:
                queue["timed_out"] += 1
        return {name: QueueTally(**figures) for name, figures in counts.items()}

    def misrouted(self) -> list[str]:
        """Callers who did not reach the queue their way through the IVR leads to."""
        return [
            f"caller {r.placement.label or r.placement.caller_id} should have reached "
            f"{r.placement.expected_queue or 'no queue'}, reached {r.entered_queue or 'no queue'}"
            for r in self.records
            if r.call is not None and r.entered_queue != r.placement.expected_queue
        ]
