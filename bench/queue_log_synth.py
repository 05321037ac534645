"""A synthetic day of calls, written as Asterisk 22 writes its queue_log, with what it holds.

:func:`write_queue_log` writes one local day of ``calls`` calls (plus a few calls of the evening
before, which must not count) to a file, in time order, one event a line
(``epoch|callid|queue|agent|EVENT|data...``), and returns the :class:`Truth`: offered, answered,
abandoned, service level and speed of answer per queue and for the day, worked out from the
calls it made rather than from the lines -- so that a reader of the file can be checked
against it.

The day has what a real one has: five queues (``support`` and ``sales`` overflow to ``general``
after their ``timeout``; ``billing`` times out for good; ``vip`` never does), 200 agents
(``PJSIP/1001``..) on shifts that log in (ADDMEMBER), pause for lunch (PAUSEALL, PAUSE per
queue) and pause for wrap-up after calls, members who ring out (RINGNOANSWER, in
milliseconds) before one answers (CONNECT), calls completed by agent or caller, blind and
attended transfers (all three kinds), abandons (some within the short-abandon limit),
exits by key and on an empty queue, an arrival shape with a morning and an afternoon peak,
and calls that enter before midnight and end after it.

What it does not do: simulate the queue. Waits and talk times are drawn from distributions and
agents are drawn among those on shift, so at a million calls an agent is on several calls at
once. The numbers are right for what is written; the agents' occupancy is not realistic.

Deterministic: the same options write the same bytes. Standard library only.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "AGENT_COUNT",
    "QUEUES",
    "QueueTruth",
    "SynthOptions",
    "SyntheticDay",
    "Truth",
    "day_bounds_epoch",
    "write_queue_log",
]

AGENT_COUNT = 200


@dataclass(frozen=True)
class QueueSpec:
    """A queue of the synthetic site: its share of new calls, its Queue() timeout (None: no
    timeout) and where a timed-out caller goes next (None: the call ends)."""

    name: str
    share: float
    timeout_s: int | None
    overflow_to: str | None


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("support", 0.40, 90, "general"),
    QueueSpec("sales", 0.25, 60, "general"),
    QueueSpec("billing", 0.20, 120, None),
    QueueSpec("vip", 0.08, None, None),
    QueueSpec("general", 0.07, 180, None),
)
_SPEC = {q.name: q for q in QUEUES}
# Relative arrivals per local hour 0..23: quiet nights, a morning and an afternoon peak.
HOURLY_SHAPE = (
    0.6, 0.4, 0.3, 0.3, 0.3, 0.5, 1.0, 2.0, 4.0, 6.0, 7.0, 6.5,
    5.0, 5.5, 6.5, 6.0, 5.0, 4.0, 3.0, 2.5, 2.0, 1.6, 1.2, 0.9,
)  # fmt: skip
# How a visit ends, before the wait is drawn (the rest are answered).
P_ABANDON = 0.07
P_EXIT_KEY = 0.01
P_EXIT_EMPTY_NIGHT = 0.01  # only between 00:00 and 06:00, when few members are logged in
P_TIMEOUT = 0.05  # of visits in a queue with a timeout
# How an answered call ends.
P_BLIND_TRANSFER = 0.04
P_ATTENDED_TRANSFER = 0.04
P_COMPLETE_AGENT = 0.5  # of the calls not transferred
P_WRAPUP_PAUSE = 0.85  # the agent pauses for after-call work
P_RING_CANCELED = 0.5  # an abandon while a member was ringing
ASA_MEAN_S = 16.0
ABANDON_WAIT_MEAN_S = 35.0
TALK_MEDIAN_S = 150.0
RING_S = (2.0, 12.0)  # how long a member rings before it rings out (RINGNOANSWER)
RETRY_S = 1.0
SHIFT_STARTS_H = (0, 0, 6, 7, 8, 8, 8, 9, 9, 9, 10, 10, 11, 12, 13, 13, 14, 15, 15, 16)
SHIFT_LENGTH_H = 9
MEMBERSHIPS = (
    ("support", "general"),
    ("support", "billing"),
    ("sales", "general"),
    ("billing", "support"),
    ("vip", "support"),
    ("general", "sales"),
    ("support", "sales"),
)


@dataclass(frozen=True)
class SynthOptions:
    """What to write: ``calls`` calls entering a queue on ``day`` (local to ``timezone``),
    and the limits the truth is counted with (those of the KPI dictionary's defaults)."""

    calls: int
    seed: int = 1
    day: date = date(2026, 11, 23)
    timezone: str = "Asia/Shanghai"
    agents: int = AGENT_COUNT
    sl_threshold_s: int = 20
    short_abandon_s: int = 5

    def __post_init__(self) -> None:
        if self.calls < 1:
            raise ValueError(f"calls must be at least 1, not {self.calls}")
        if self.agents < len(MEMBERSHIPS):
            raise ValueError(f"agents must be at least {len(MEMBERSHIPS)}, not {self.agents}")


@dataclass
class QueueTruth:
    """Call counts of a queue (its visits) or of the day (calls, overflow merged), with the
    definitions of docs/kpi.md: offered = every visit that ended; abandoned = hung up waiting
    for ``short_abandon_s`` or longer; service level = answered within the threshold ÷
    offered; ASA = mean wait of the answered."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    timed_out: int = 0
    exited_key: int = 0
    exited_empty: int = 0
    transferred: int = 0
    answered_within_sl: int = 0
    answer_wait_total_s: int = 0

    @property
    def service_level(self) -> float | None:
        return self.answered_within_sl / self.offered if self.offered else None

    @property
    def asa_s(self) -> float | None:
        return self.answer_wait_total_s / self.answered if self.answered else None

    def figures(self) -> dict[str, float | None]:
        """The five numbers a report and the baseline must both give."""
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "service_level": self.service_level,
            "asa_s": self.asa_s,
        }


@dataclass
class Truth:
    """What the file holds. ``queues`` and ``day_calls`` count the calls that entered a queue
    on the day (the calls of the evening before are in ``before_day_calls`` only)."""

    day: str
    timezone: str
    seed: int
    calls: int
    before_day_calls: int = 0
    before_day_visits: int = 0
    lines: int = 0
    lines_by_event: dict[str, int] = field(default_factory=dict)
    queues: dict[str, QueueTruth] = field(default_factory=dict)
    day_calls: QueueTruth = field(default_factory=QueueTruth)
    overflowed: int = 0
    crossing_midnight: int = 0
    agents_seen: int = 0
    sl_threshold_s: int = 20
    short_abandon_s: int = 5

    @property
    def lines_per_call(self) -> float:
        return self.lines / max(1, self.calls + self.before_day_calls)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["lines_per_call"] = round(self.lines_per_call, 3)
        data["day_figures"] = self.day_calls.figures()
        data["queue_figures"] = {name: q.figures() for name, q in self.queues.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Truth:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["queues"] = {name: QueueTruth(**q) for name, q in data["queues"].items()}
        values["day_calls"] = QueueTruth(**data["day_calls"])
        return cls(**values)


def day_bounds_epoch(day: date, timezone: str) -> tuple[int, int]:
    """[start, end) of the local day as Unix times."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return int(start.timestamp()), int(end.timestamp())


@dataclass
class _Visit:
    queue: str
    entered: int
    outcome: str  # answered, abandoned, timeout, exit_key, exit_empty
    wait_s: int
    transferred: bool = False
    ended: int = 0


@dataclass
class _Agent:
    name: str
    queues: tuple[str, ...]
    shift: tuple[int, int]  # epoch [start, end)


class SyntheticDay:
    """Iterate :meth:`lines` once; :attr:`truth` is complete when the iteration ends."""

    def __init__(self, options: SynthOptions) -> None:
        self.options = options
        self.truth = Truth(
            day=options.day.isoformat(),
            timezone=options.timezone,
            seed=options.seed,
            calls=options.calls,
            sl_threshold_s=options.sl_threshold_s,
            short_abandon_s=options.short_abandon_s,
            queues={q.name: QueueTruth() for q in QUEUES},
        )
        self._rng = random.Random(options.seed)
        self._start, self._end = day_bounds_epoch(options.day, options.timezone)
        self._heap: list[tuple[int, int, str, str]] = []
        self._events: Counter[str] = Counter()
        self._seq = 0
        self._channel = 0
        self._agents = self._make_agents()
        self._on_shift = self._index_shifts()
        self._agents_seen: set[str] = set()

    # --- the site --------------------------------------------------------------------------

    def _make_agents(self) -> list[_Agent]:
        agents = []
        for i in range(self.options.agents):
            start_h = SHIFT_STARTS_H[i % len(SHIFT_STARTS_H)]
            start = self._start + start_h * 3600 + self._rng.randrange(0, 1800)
            end = min(start + SHIFT_LENGTH_H * 3600, self._end)
            queues = MEMBERSHIPS[i % len(MEMBERSHIPS)]
            agents.append(_Agent(f"PJSIP/{1001 + i}", queues, (start, end)))
        return agents

    def _index_shifts(self) -> dict[tuple[str, int], list[_Agent]]:
        """Agents by (queue, hour of the day) they are on shift for the whole of."""
        index: dict[tuple[str, int], list[_Agent]] = {}
        hours = (self._end - self._start + 3599) // 3600
        for queue in _SPEC:
            members = [a for a in self._agents if queue in a.queues]
            for hour in range(hours):
                begin = self._start + hour * 3600
                index[(queue, hour)] = [
                    a for a in members if a.shift[0] <= begin and begin + 3600 <= a.shift[1]
                ] or [a for a in members if a.shift[0] < begin + 3600 and begin < a.shift[1]]
        return index

    def _agent(self, queue: str, at: int) -> str:
        hour = min(max(0, (at - self._start) // 3600), (self._end - self._start) // 3600 - 1)
        pool = self._on_shift.get((queue, hour)) or [a for a in self._agents if queue in a.queues]
        name = self._rng.choice(pool).name
        self._agents_seen.add(name)
        return name

    # --- writing ---------------------------------------------------------------------------

    def _emit(
        self, at: int, callid: str, queue: str, agent: str, event: str, *data: object
    ) -> None:
        text = f"{at}|{callid}|{queue}|{agent}|{event}|" + "|".join(str(d) for d in data)
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, event, text))

    def _drain(self, before: int | None) -> Iterator[str]:
        heap = self._heap
        while heap and (before is None or heap[0][0] < before):
            _, _, event, text = heapq.heappop(heap)
            self._events[event] += 1
            yield text

    def _shift_lines(self) -> None:
        rng = self._rng
        for agent in self._agents:
            start, end = agent.shift
            for queue in agent.queues:
                self._emit(start, "MANAGER", queue, agent.name, "ADDMEMBER")
            if end - start >= 6 * 3600:
                lunch = start + 4 * 3600 + rng.randrange(0, 3600)
                back = lunch + rng.randrange(1800, 3600)
                self._emit(lunch, "NONE", "NONE", agent.name, "PAUSEALL", "Lunch")
                for queue in agent.queues:
                    self._emit(lunch, "NONE", queue, agent.name, "PAUSE", "Lunch")
                self._emit(back, "NONE", "NONE", agent.name, "UNPAUSEALL")
                for queue in agent.queues:
                    self._emit(back, "NONE", queue, agent.name, "UNPAUSE")
            if end < self._end:  # the night shift stays logged in past the end of the day
                for queue in agent.queues:
                    self._emit(end, "MANAGER", queue, agent.name, "REMOVEMEMBER")

    def _arrivals(self) -> list[int]:
        rng = self._rng
        n = self.options.calls
        hours = (self._end - self._start) // 3600  # 23 or 25 on a DST day
        weights = [HOURLY_SHAPE[h % 24] for h in range(hours)]
        arrivals = [
            self._start + hour * 3600 + rng.randrange(3600)
            for hour in rng.choices(range(hours), weights=weights, k=n)
        ]
        # A few late calls that are sure to be talking at midnight (part of the n).
        late = min(n, max(3, n // 2000))
        for i in range(late):
            arrivals[i] = self._end - rng.randrange(30, 240)
        arrivals.sort()
        return arrivals

    def lines(self) -> Iterator[str]:
        """The file's lines, in the order Asterisk writes them (without newlines)."""
        rng = self._rng
        before = max(3, self.options.calls // 5000)
        early = sorted(self._start - rng.randrange(60, 600) for _ in range(before))
        self._shift_lines()
        for entered in early:
            yield from self._drain(entered)
            self._call(entered, in_day=False, ends_after=self._start + rng.randrange(1, 300))
        self.truth.before_day_calls = before
        for entered in self._arrivals():
            yield from self._drain(entered)
            self._call(entered, in_day=True, ends_after=None)
        yield from self._drain(None)
        self.truth.agents_seen = len(self._agents_seen)
        self.truth.lines_by_event = dict(sorted(self._events.items()))
        self.truth.lines = sum(self._events.values())

    # --- one call --------------------------------------------------------------------------

    def _first_queue(self) -> str:
        return self._rng.choices([q.name for q in QUEUES], weights=[q.share for q in QUEUES])[0]

    def _call(self, entered: int, *, in_day: bool, ends_after: int | None) -> None:
        """One call: its visits (the second one after an overflow), lines and truth."""
        rng = self._rng
        self._channel += 1
        callid = f"{entered}.{self._channel}"
        caller = f"138{rng.randrange(10**8):08d}"
        queue = self._first_queue()
        visits: list[_Visit] = []
        at = entered
        while True:
            visit = self._visit(callid, caller, queue, at, ends_after)
            visits.append(visit)
            overflow = _SPEC[queue].overflow_to
            if visit.outcome != "timeout" or overflow is None:
                break
            # Overflow only within the day: a call is counted on the day it entered.
            next_at = visit.ended + rng.randrange(0, 2)
            if self._day_of(next_at) != self._day_of(entered):
                break
            queue, at = overflow, next_at
        if in_day:
            self._count(visits)
        else:
            self.truth.before_day_visits += len(visits)
        if self._day_of(visits[-1].ended) != self._day_of(entered):
            self.truth.crossing_midnight += in_day

    def _day_of(self, at: int) -> int:
        return (at - self._start) // (self._end - self._start) if at >= self._start else -1

    def _outcome(self, queue: str, entered: int) -> str:
        rng = self._rng
        u = rng.random()
        if u < P_ABANDON:
            return "abandoned"
        u -= P_ABANDON
        if u < P_EXIT_KEY:
            return "exit_key"
        u -= P_EXIT_KEY
        night = 0 <= (entered - self._start) < 6 * 3600
        if night and u < P_EXIT_EMPTY_NIGHT:
            return "exit_empty"
        if _SPEC[queue].timeout_s is not None and rng.random() < P_TIMEOUT:
            return "timeout"
        return "answered"

    def _wait(self, outcome: str, timeout_s: int | None) -> int:
        rng = self._rng
        if outcome == "timeout":
            assert timeout_s is not None
            return timeout_s
        if outcome == "exit_empty":
            return rng.randrange(0, 3)
        mean = ABANDON_WAIT_MEAN_S if outcome == "abandoned" else ASA_MEAN_S
        wait = int(rng.expovariate(1 / mean)) if outcome != "exit_key" else rng.randrange(3, 60)
        return min(wait, timeout_s - 1) if timeout_s is not None else wait

    def _rings(self, callid: str, queue: str, entered: int, wait: int) -> float:
        """Members ring out while the caller waits; → when the last ring began (seconds
        after entering), the one still ringing when the wait ended."""
        rng = self._rng
        started = rng.uniform(0, 3)
        while True:
            ring = rng.uniform(*RING_S)
            if started + ring >= wait:
                return started
            at = entered + int(started + ring)
            agent = self._agent(queue, at)
            self._emit(at, callid, queue, agent, "RINGNOANSWER", int(ring * 1000))
            started += ring + RETRY_S

    def _visit(
        self, callid: str, caller: str, queue: str, entered: int, ends_after: int | None
    ) -> _Visit:
        rng = self._rng
        spec = _SPEC[queue]
        position = rng.randrange(1, 6)
        self._emit(entered, callid, queue, "NONE", "ENTERQUEUE", "", caller, position)
        outcome = self._outcome(queue, entered)
        wait = self._wait(outcome, spec.timeout_s)
        last_ring = self._rings(callid, queue, entered, wait)
        left = entered + wait
        visit = _Visit(queue, entered, outcome, wait, ended=left)
        pos = rng.randrange(1, position + 1)
        if outcome == "abandoned":
            if last_ring < wait and rng.random() < P_RING_CANCELED:
                ms = int((wait - last_ring) * 1000)
                self._emit(left, callid, queue, self._agent(queue, left), "RINGCANCELED", ms)
            self._emit(left, callid, queue, "NONE", "ABANDON", pos, position, wait)
        elif outcome == "timeout":
            self._emit(left, callid, queue, "NONE", "EXITWITHTIMEOUT", pos, position, wait)
        elif outcome == "exit_key":
            self._emit(left, callid, queue, "NONE", "EXITWITHKEY", "0", pos, position, wait)
        elif outcome == "exit_empty":
            self._emit(left, callid, queue, "NONE", "EXITEMPTY", pos, position, wait)
        else:
            self._answered(visit, callid, position, max(0, int(wait - last_ring)), ends_after)
        return visit

    def _answered(
        self, visit: _Visit, callid: str, position: int, ring_s: int, ends_after: int | None
    ) -> None:
        rng = self._rng
        queue, answered_at = visit.queue, visit.entered + visit.wait_s
        agent = self._agent(queue, answered_at)
        self._channel += 1
        member = f"{answered_at}.{self._channel}"
        self._emit(answered_at, callid, queue, agent, "CONNECT", visit.wait_s, member, ring_s)
        talk = max(5, int(rng.lognormvariate(math.log(TALK_MEDIAN_S), 0.7)))
        if answered_at >= self._end - 600 or ends_after is not None:
            # talking at midnight (calls of the evening before end after ``ends_after``)
            talk = max(talk, (ends_after or self._end) - answered_at + rng.randrange(1, 600))
        ended = answered_at + talk
        visit.ended = ended
        hold, u = visit.wait_s, rng.random()
        if u < P_BLIND_TRANSFER:
            visit.transferred = True
            exten = rng.choice(("2000", "2100", "8000"))
            self._emit(ended, callid, queue, agent, "BLINDTRANSFER", exten, "from-internal",
                       hold, talk, position)  # fmt: skip
        elif u < P_BLIND_TRANSFER + P_ATTENDED_TRANSFER:
            visit.transferred = True
            kind = rng.choice(("BRIDGE", "APP", "LINK"))
            if kind == "BRIDGE":
                bridge = f"{rng.getrandbits(64):016x}"
                data: tuple[object, ...] = ("BRIDGE", bridge, hold, talk, position)
            elif kind == "APP":
                data = ("APP", "VoiceMail", hold, talk, position)
            else:
                chan1 = f"PJSIP/{agent[6:]}-{rng.getrandbits(32):08x}"
                chan2 = f"PJSIP/2000-{rng.getrandbits(32):08x}"
                data = ("LINK", chan1, chan2, hold, talk, position)
            self._emit(ended, callid, queue, agent, "ATTENDEDTRANSFER", *data)
        else:
            event = "COMPLETEAGENT" if rng.random() < P_COMPLETE_AGENT else "COMPLETECALLER"
            self._emit(ended, callid, queue, agent, event, hold, talk, position)
            if rng.random() < P_WRAPUP_PAUSE:
                self._emit(ended, "NONE", queue, agent, "PAUSE", "Wrap-up")
                self._emit(ended + rng.randrange(5, 60), "NONE", queue, agent, "UNPAUSE")

    # --- the truth -------------------------------------------------------------------------

    def _count(self, visits: list[_Visit]) -> None:
        sl, short = self.options.sl_threshold_s, self.options.short_abandon_s
        for visit in visits:
            _tally(self.truth.queues[visit.queue], visit.outcome, visit.wait_s,
                   visit.transferred, sl, short)  # fmt: skip
        if len(visits) > 1:
            self.truth.overflowed += 1
        # The call: answered where it was answered, else it ended as its last visit did;
        # its wait runs from entering the first queue.
        final = next((v for v in visits if v.outcome == "answered"), visits[-1])
        wait = final.entered + final.wait_s - visits[0].entered
        _tally(self.truth.day_calls, final.outcome, wait, final.transferred, sl, short)


def _tally(
    counts: QueueTruth, outcome: str, wait: int, transferred: bool, sl: int, short: int
) -> None:
    counts.offered += 1
    if outcome == "answered":
        counts.answered += 1
        counts.answer_wait_total_s += wait
        counts.answered_within_sl += wait <= sl
        counts.transferred += transferred
    elif outcome == "abandoned":
        if wait >= short:
            counts.abandoned += 1
        else:
            counts.short_abandoned += 1
    elif outcome == "timeout":
        counts.timed_out += 1
    elif outcome == "exit_key":
        counts.exited_key += 1
    elif outcome == "exit_empty":
        counts.exited_empty += 1


def write_queue_log(path: Path, options: SynthOptions) -> Truth:
    """Write the day to ``path`` (replacing it); → what it holds."""
    day = SyntheticDay(options)
    with path.open("w", encoding="utf-8", newline="\n") as stream:
        buffer: list[str] = []
        for line in day.lines():
            buffer.append(line)
            if len(buffer) >= 10_000:
                stream.write("\n".join(buffer) + "\n")
                buffer = []
        if buffer:
            stream.write("\n".join(buffer) + "\n")
    return day.truth


def main() -> None:
    """``python bench/queue_log_synth.py CALLS FILE [SEED]``: write a day, print its truth."""
    import sys

    if len(sys.argv) not in (3, 4):
        raise SystemExit("usage: queue_log_synth.py CALLS FILE [SEED]")
    seed = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    truth = write_queue_log(Path(sys.argv[2]), SynthOptions(calls=int(sys.argv[1]), seed=seed))
    print(json.dumps(truth.to_json(), indent=2))


if __name__ == "__main__":
    main()
