"""The report tells the truth: scripted calls on the real Asterisk 22 sandbox, read back through
the report pipeline, give exactly the KPIs the script says.

The calls (:data:`SCRIPT`) run concurrently on queues of the sandbox that only this module uses
(``sandbox-report-*`` in asterisk_cc.sandbox.render.SANDBOX_QUEUES), each with scripted agents:
one who answers at once, one busy agent whom callers queue behind (a VIP caller, QUEUE_PRIO=10,
overtakes two earlier callers; the last ones are answered late), a member who rings out before
another answers, an agent who blind-transfers the caller (feature code ``#``, allowed by
BRIDGE_FEATURES=t on the caller's channel), and an empty queue where callers abandon early,
late, or time out.

What each call should become is derived from the script alone (:func:`expected_calls`: app_queue
as the sandbox configures it, with its ring order, ring and talk times and 1 s retry, and each
caller's patience), and the KPIs from that by the definitions of docs/kpi.md, worked out here
independently of the project's code (:func:`expected_figures`). The observed side is the
project's pipeline: the sandbox's queue_log file, ``ingest_queue_log_file``,
``rebuild_queue_calls``, ``visits_between`` and ``kpi.queue_figures``, and the daily pack
(``build_day_pack``). Counts must be equal; waits may differ by :data:`WAIT_TOLERANCE_S`
(queue_log writes whole seconds, and the calls are placed by a clock).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from asterisk_cc.config import Settings, SiteSettings
from asterisk_cc.core.reports import kpi
from asterisk_cc.core.reports.calls import QueueVisit, VisitOutcome
from asterisk_cc.core.reports.pack import DailyPack
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import Queue
from asterisk_cc.db.queue_calls import rebuild_queue_calls, visits_between
from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from asterisk_cc.reports.daily import build_day_pack
from asterisk_cc.sandbox import (
    CallerScript,
    PlacedCall,
    Wait,
    answering_agent,
    ringing_agent,
    transferring_agent,
)
from asterisk_cc.sandbox.render import render_queues_conf
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

QUEUE_CONTEXT = "asterisk-cc-queue"
QUICK = "sandbox-report-quick"
SINGLE = "sandbox-report-single"
LINEAR = "sandbox-report-linear"
TRANSFER = "sandbox-report-transfer"
EMPTY = "sandbox-report-empty"
REPORT_QUEUES = (QUICK, SINGLE, LINEAR, TRANSFER, EMPTY)

# The targets of every test queue, as the ``queues`` table gives them to the report.
THRESHOLD_S = 10
SHORT_ABANDON_S = 5
# app_queue's settings of the sandbox's queues (checked against the rendered queues.conf).
MEMBER_TIMEOUT_S = 3
RETRY_S = 1
WAIT_TOLERANCE_S = 2.0
END_EVENTS = frozenset(
    {"COMPLETEAGENT", "COMPLETECALLER", "BLINDTRANSFER", "ATTENDEDTRANSFER", "ABANDON"}
    | {"EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"}
)


# --- the script ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedAgent:
    """A member of a test queue, as the sandbox's dialplan plays it: rings ``ring_s``, then
    answers and talks ``talk_s`` (``None``: never answers, app_queue gives up after its member
    timeout); ``transfers``: then blind-transfers the caller, if the caller's channel allows."""

    name: str
    interface: str
    ring_s: float
    talk_s: float | None
    transfers: bool = False

    @property
    def answers(self) -> bool:
        return self.talk_s is not None


# Each queue's members in ring order (linear for LINEAR, a single member elsewhere).
QUEUE_MEMBERS: dict[str, tuple[ScriptedAgent, ...]] = {
    QUICK: (ScriptedAgent("Report Quick Agent", answering_agent(1, 4), ring_s=1, talk_s=4),),
    SINGLE: (ScriptedAgent("Report Single Agent", answering_agent(0, 8), ring_s=0, talk_s=8),),
    LINEAR: (
        ScriptedAgent(
            "Report Ringout Agent", ringing_agent(), ring_s=MEMBER_TIMEOUT_S, talk_s=None
        ),
        ScriptedAgent("Report Backup Agent", answering_agent(1, 3), ring_s=1, talk_s=3),
    ),
    TRANSFER: (
        ScriptedAgent(
            "Report Transferring Agent",
            transferring_agent(1, 2, 2),
            ring_s=1,
            talk_s=2,
            transfers=True,
        ),
    ),
    EMPTY: (),
}


@dataclass(frozen=True)
class ScriptedCall:
    """A caller who enters ``queue`` ``at_s`` seconds into the script and hangs up after
    ``hold_s`` unless an agent answers (or the queue lets them go at ``queue_timeout_s``)."""

    label: str
    queue: str
    at_s: float
    hold_s: float
    queue_timeout_s: int | None = None
    priority: int = 0
    transfer_allowed: bool = False

    def variables(self) -> dict[str, str]:
        variables = {}
        if self.queue_timeout_s is not None:
            variables["ASTERISK_CC_QUEUE_TIMEOUT"] = str(self.queue_timeout_s)
        if self.priority:
            variables["QUEUE_PRIO"] = str(self.priority)
        if self.transfer_allowed:
            # The member (callee) may use the transfer feature codes in the bridge.
            variables["BRIDGE_FEATURES"] = "t"
        return variables


SCRIPT = (
    # one agent, busy 8 s with the first call: the others queue behind it
    ScriptedCall("keeps-agent-busy", SINGLE, at_s=0, hold_s=90),
    ScriptedCall("normal-1", SINGLE, at_s=1, hold_s=90),
    ScriptedCall("normal-2", SINGLE, at_s=2, hold_s=90),
    ScriptedCall("vip", SINGLE, at_s=3, hold_s=90, priority=10),
    ScriptedCall("answered-fast", QUICK, at_s=0, hold_s=30),
    ScriptedCall("rung-out-then-answered", LINEAR, at_s=0, hold_s=30),
    ScriptedCall("transferred", TRANSFER, at_s=0, hold_s=30, transfer_allowed=True),
    ScriptedCall("short-abandon", EMPTY, at_s=0, hold_s=2),
    ScriptedCall("long-abandon", EMPTY, at_s=0, hold_s=12),
    ScriptedCall("timed-out", EMPTY, at_s=0, hold_s=30, queue_timeout_s=6),
)


@dataclass(frozen=True)
class Expected:
    """What a scripted call must become: its visit's outcome, wait, agent, ring-outs."""

    call: ScriptedCall
    outcome: VisitOutcome
    wait_s: float
    agent: str | None = None
    rang_out: int = 0
    transferred: bool = False

    @property
    def answered_at_s(self) -> float:
        return self.call.at_s + self.wait_s


def expected_calls(script: Iterable[ScriptedCall]) -> dict[str, Expected]:
    """Each call's expected visit, by label."""
    calls = list(script)
    expected: dict[str, Expected] = {}
    for queue in dict.fromkeys(call.queue for call in calls):
        in_queue = [call for call in calls if call.queue == queue]
        expected.update(_expected_in_queue(in_queue, QUEUE_MEMBERS[queue]))
    return expected


def _expected_in_queue(
    calls: Sequence[ScriptedCall], members: Sequence[ScriptedAgent]
) -> dict[str, Expected]:
    """app_queue as the sandbox runs it, for a queue with at most one member who answers:
    callers are served by priority, then by arrival; a caller who came while the agent was
    busy is rung at the queue's next retry after the agent is free; each member who rings out
    first costs a member timeout and a retry; a caller whose patience (hang-up or queue
    timeout) runs out first leaves unanswered."""
    answering = [m for m in members if m.answers]
    assert len(answering) <= 1, "the model knows queues with one answering member"
    ring_outs = len(members) - len(answering)
    expected: dict[str, Expected] = {}
    free_at_s = 0.0
    waiting = sorted(calls, key=lambda c: c.at_s)
    while waiting:
        arrived = [c for c in waiting if c.at_s <= free_at_s] or waiting[:1]
        call = min(arrived, key=lambda c: (-c.priority, c.at_s))
        waiting.remove(call)
        queue_timeout_s = math.inf if call.queue_timeout_s is None else call.queue_timeout_s
        patience_s = min(call.hold_s, queue_timeout_s)
        times_out = queue_timeout_s < call.hold_s
        left = Expected(
            call, VisitOutcome.TIMEOUT if times_out else VisitOutcome.ABANDONED, patience_s
        )
        if not answering:
            expected[call.label] = left
            continue
        agent = answering[0]
        assert agent.talk_s is not None
        rung_at_s = max(call.at_s, free_at_s) + (RETRY_S if call.at_s < free_at_s else 0)
        answered_at_s = rung_at_s + ring_outs * (MEMBER_TIMEOUT_S + RETRY_S) + agent.ring_s
        if answered_at_s - call.at_s >= patience_s:
            expected[call.label] = left
            continue
        expected[call.label] = Expected(
            call,
            VisitOutcome.ANSWERED,
            answered_at_s - call.at_s,
            agent=agent.name,
            rang_out=ring_outs,
            transferred=agent.transfers and call.transfer_allowed,
        )
        free_at_s = answered_at_s + agent.talk_s
    return expected


@dataclass(frozen=True)
class Figures:
    """The KPIs this module checks (docs/kpi.md §1)."""

    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timed_out: int
    service_level: float | None
    abandon_rate: float | None
    asa_s: float | None
    transfer_rate: float | None

    @classmethod
    def of(cls, values: Mapping[str, object]) -> Figures:
        """From a mapping with these keys (a pack table row, a ``QueueFigures`` as a dict)."""
        return cls(**{field.name: values[field.name] for field in fields(cls)})  # type: ignore[arg-type]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def expected_figures(calls: Iterable[Expected]) -> Figures:
    """docs/kpi.md applied by hand to what the calls were scripted to do."""
    calls = list(calls)
    answered = [c for c in calls if c.outcome is VisitOutcome.ANSWERED]
    abandons = [c for c in calls if c.outcome is VisitOutcome.ABANDONED]
    short = sum(1 for c in abandons if c.wait_s < SHORT_ABANDON_S)
    return Figures(
        offered=len(calls),
        answered=len(answered),
        abandoned=len(abandons) - short,
        short_abandoned=short,
        timed_out=sum(1 for c in calls if c.outcome is VisitOutcome.TIMEOUT),
        service_level=_share(sum(1 for c in answered if c.wait_s <= THRESHOLD_S), len(calls)),
        abandon_rate=_share(len(abandons) - short, len(calls) - short),
        asa_s=sum(c.wait_s for c in answered) / len(answered) if answered else None,
        transfer_rate=_share(sum(1 for c in answered if c.transferred), len(answered)),
    )


def assert_figures(observed: Figures, expected: Figures, where: str) -> None:
    counts = ("offered", "answered", "abandoned", "short_abandoned", "timed_out")
    message = f"{where}: observed {observed}, scripted {expected}"
    for name in counts:
        assert getattr(observed, name) == getattr(expected, name), f"{name} of {message}"
    for name in ("service_level", "abandon_rate", "transfer_rate"):
        value, target = getattr(observed, name), getattr(expected, name)
        assert (value is None) == (target is None), f"{name} of {message}"
        if target is not None:
            assert value == pytest.approx(target), f"{name} of {message}"
    if expected.asa_s is None:
        assert observed.asa_s is None, message
    else:
        assert observed.asa_s is not None, message
        assert abs(observed.asa_s - expected.asa_s) <= WAIT_TOLERANCE_S, f"asa_s of {message}"


# --- the script is what it claims to be (no Asterisk needed) --------------------------------


def _queue_settings(conf: str) -> dict[str, dict[str, list[str]]]:
    """``[queue](template)`` sections of queues.conf: each key's values, template's first."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in conf.splitlines():
        header = re.match(r"^\[([^\]]+)\](?:\((!?)([^)]*)\))?", line)
        if header:
            name, _, template = header.groups()
            current = {k: list(v) for k, v in sections.get(template or "", {}).items()}
            sections[name] = current
            continue
        pair = re.match(r"^([a-z-]+)\s*=>?\s*(.*)$", line.strip())
        if pair and not line.startswith(";"):
            current.setdefault(pair.group(1), []).append(pair.group(2).strip())
    return sections


def test_the_model_of_the_queues_is_the_sandbox_configuration() -> None:
    sections = _queue_settings(render_queues_conf())
    for queue, members in QUEUE_MEMBERS.items():
        settings = sections[queue]
        assert settings.get("member", []) == [f"{m.interface},0,{m.name}" for m in members]
        # app_queue uses the first strategy line; the others the last value
        assert settings["strategy"][0] == ("linear" if queue == LINEAR else "ringall")
        assert settings["timeout"][-1] == str(MEMBER_TIMEOUT_S)
        assert settings["retry"][-1] == str(RETRY_S)
        assert settings["ringinuse"][-1] == "no"
        assert settings["wrapuptime"][-1] == "0"


def test_the_script_covers_every_case_clear_of_the_thresholds() -> None:
    """Each case is in the script, and every wait stays clear of the thresholds by more than
    the tolerance, so the clock cannot move a call across one."""
    expected = expected_calls(SCRIPT)
    answered = [e for e in expected.values() if e.outcome is VisitOutcome.ANSWERED]
    abandons = [e for e in expected.values() if e.outcome is VisitOutcome.ABANDONED]
    assert any(e.wait_s <= THRESHOLD_S for e in answered)
    assert any(e.wait_s > THRESHOLD_S for e in answered)
    assert any(e.wait_s < SHORT_ABANDON_S for e in abandons)
    assert any(e.wait_s >= SHORT_ABANDON_S for e in abandons)
    assert any(e.outcome is VisitOutcome.TIMEOUT for e in expected.values())
    assert any(e.rang_out for e in answered) and any(e.transferred for e in answered)
    for e in answered:
        assert abs(e.wait_s - THRESHOLD_S) > WAIT_TOLERANCE_S, e
    for e in abandons:
        assert abs(e.wait_s - SHORT_ABANDON_S) > WAIT_TOLERANCE_S, e
    vip, first_normal = expected["vip"], expected["normal-1"]
    assert vip.call.at_s > first_normal.call.at_s
    assert vip.answered_at_s < first_normal.answered_at_s


# --- the scripted calls on the real Asterisk ------------------------------------------------


@dataclass(frozen=True)
class ScriptedDay:
    """The calls as placed (by label), when, and what Asterisk wrote about them."""

    calls: Mapping[str, PlacedCall]
    started_at: datetime
    finished_at: datetime
    queue_log_path: Path
    own_lines: tuple[str, ...]
    """The queue_log lines of these calls only, as Asterisk wrote them."""

    def label_of(self, callid: str) -> str | None:
        return next((label for label, c in self.calls.items() if c.callee_id == callid), None)


def _script_length_s() -> float:
    expected = expected_calls(SCRIPT).values()
    ends = [e.call.at_s + e.wait_s + 30 for e in expected]  # talk, transfer, apology prompts
    return max(ends)


def _clear_of_midnight(needed_s: float) -> None:
    """The daily pack is of one UTC day: when the script would cross midnight, start after."""
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    left_s = (midnight - now).total_seconds()
    if left_s < needed_s:
        time.sleep(left_s + 1)


@pytest.fixture(scope="module")
def scripted_day(asterisk: AsteriskSandbox) -> ScriptedDay:
    _clear_of_midnight(_script_length_s())
    queue_log = asterisk.queue_log()
    placed: dict[str, PlacedCall] = {}
    started_at = datetime.now(UTC)
    start = time.monotonic()
    try:
        for call in sorted(SCRIPT, key=lambda c: c.at_s):
            delay_s = start + call.at_s - time.monotonic()
            if delay_s > 0:
                time.sleep(delay_s)
            placed[call.label] = asterisk.call(
                f"{call.queue}@{QUEUE_CONTEXT}",
                CallerScript((Wait(call.hold_s),)),
                variables=call.variables(),
            )
        callids = {c.callee_id for c in placed.values()}
        queue_log.wait_for(
            lambda lines: callids <= {line.callid for line in lines if line.event in END_EVENTS},
            timeout_s=_script_length_s(),
            why="the end of every scripted call",
        )
        for placed_call in placed.values():
            asterisk.wait_for_hangup(placed_call, timeout_s=30)
    except BaseException:
        asterisk.hang_up(*placed.values())
        raise
    path = asterisk.sandbox.queue_log_path
    own = tuple(
        f"{line}\n"
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.count("|") >= 4 and line.split("|")[1] in callids
    )
    return ScriptedDay(placed, started_at, datetime.now(UTC), path, own)


def _own_visits(engine: Engine, day: ScriptedDay) -> dict[str, QueueVisit]:
    with Session(engine) as session:
        visits = visits_between(
            session,
            day.started_at - timedelta(seconds=2),
            day.finished_at + timedelta(seconds=2),
            queues=REPORT_QUEUES,
        )
    by_label: dict[str, QueueVisit] = {}
    for visit in visits:
        label = day.label_of(visit.callid)
        if label is not None:
            assert label not in by_label, f"{label} has two visits: {visit}"
            by_label[label] = visit
    return by_label


def test_each_call_is_the_visit_the_script_says(
    scripted_day: ScriptedDay, empty_engine: Engine
) -> None:
    """The sandbox's whole queue_log (other tests' calls too) ingested into a new database;
    this script's visits and their KPIs, through the code the report uses."""
    upgrade(empty_engine)
    with Session(empty_engine) as session, session.begin():
        ingest_queue_log_file(session, scripted_day.queue_log_path, datetime.now(UTC))
        rebuild_queue_calls(session)
    visits = _own_visits(empty_engine, scripted_day)
    expected = expected_calls(SCRIPT)
    assert sorted(visits) == sorted(expected)

    for label, want in expected.items():
        visit = visits[label]
        where = f"{label}: {visit}"
        assert visit.queue == want.call.queue, where
        assert visit.outcome is want.outcome, where
        assert abs(visit.wait_s - want.wait_s) <= WAIT_TOLERANCE_S, f"{where}, want {want}"
        if want.outcome is VisitOutcome.ANSWERED:
            assert visit.agent == want.agent, where
            assert visit.ring_no_answer == want.rang_out, where
            assert visit.transferred == want.transferred, where
    transferred = visits["transferred"]
    assert transferred.transfer_target == "92@asterisk-cc-sandbox-transferring"

    # The VIP entered behind two callers, went to the head of the queue and was answered first.
    def answered_at(visit: QueueVisit) -> datetime:
        return visit.entered_at + timedelta(seconds=visit.wait_s)

    single = [label for label, e in expected.items() if e.call.queue == SINGLE]
    observed_order = sorted(single, key=lambda label: answered_at(visits[label]))
    scripted_order = sorted(single, key=lambda label: expected[label].answered_at_s)
    assert observed_order == scripted_order == ["keeps-agent-busy", "vip", "normal-1", "normal-2"]
    assert visits["vip"].entered_at > visits["normal-2"].entered_at > visits["normal-1"].entered_at
    assert (visits["normal-1"].entry_position, visits["vip"].entry_position) == (1, 1)
    assert visits["normal-2"].entry_position == 2

    figures = kpi.queue_figures(list(visits.values()), THRESHOLD_S, SHORT_ABANDON_S)
    assert_figures(Figures.of(asdict(figures)), expected_figures(expected.values()), "all queues")
    for queue in REPORT_QUEUES:
        in_queue = [v for label, v in visits.items() if expected[label].call.queue == queue]
        assert_figures(
            Figures.of(asdict(kpi.queue_figures(in_queue, THRESHOLD_S, SHORT_ABANDON_S))),
            expected_figures(e for e in expected.values() if e.call.queue == queue),
            queue,
        )


@pytest.fixture
def day_pack(scripted_day: ScriptedDay, empty_engine: Engine, tmp_path: Path) -> DailyPack:
    """The daily pack of a database that holds these calls only (their queue_log lines) and
    the queues' targets."""
    upgrade(empty_engine)
    path = tmp_path / "queue_log"
    path.write_text("".join(scripted_day.own_lines), encoding="utf-8")
    now = datetime.now(UTC)
    with Session(empty_engine) as session, session.begin():
        for queue in REPORT_QUEUES:
            session.add(
                Queue(
                    name=queue,
                    service_level_threshold_s=THRESHOLD_S,
                    short_abandon_s=SHORT_ABANDON_S,
                )
            )
        report = ingest_queue_log_file(session, path, now)
        assert report.errors == [] and report.stored == len(scripted_day.own_lines)
        rebuild_queue_calls(session)
    settings = Settings(site=SiteSettings(timezone="UTC"))
    with Session(empty_engine) as session:
        return build_day_pack(session, settings, scripted_day.started_at.date(), now)


def test_the_daily_pack_shows_the_script(day_pack: DailyPack) -> None:
    expected = expected_calls(SCRIPT)
    want = expected_figures(expected.values())
    headline = {key: day_pack.headline_value(key) for key in ("offered", "answered")}
    assert headline == {"offered": want.offered, "answered": want.answered}
    for key in ("service_level", "abandon_rate", "transfer_rate"):
        assert day_pack.headline_value(key) == pytest.approx(getattr(want, key)), key
    asa_s = day_pack.headline_value("asa_s")
    assert asa_s is not None and want.asa_s is not None
    assert abs(asa_s - want.asa_s) <= WAIT_TOLERANCE_S

    table = day_pack.table("queues")
    assert table is not None and table.total is not None
    keys = [column.key for column in table.columns]
    rows = {str(row[0]): Figures.of(dict(zip(keys, row, strict=True))) for row in table.rows}
    assert sorted(rows) == sorted(REPORT_QUEUES)
    for queue, observed in rows.items():
        in_queue = [e for e in expected.values() if e.call.queue == queue]
        assert_figures(observed, expected_figures(in_queue), f"pack row {queue}")
    total = Figures.of(dict(zip(keys, table.total, strict=True)))
    assert_figures(total, want, "pack total")
