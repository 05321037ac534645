"""The dialer on the real Asterisk 22 sandbox: scripted customers (a person who answers after
N s, busy, no answer, a number that does not exist, an answering machine) are called by
predictive and preview campaigns and connected to an ARI agent; every attempt, abandon,
disposition and retry ends up in the database as the script implies. A dialer killed in the
middle of a call and started again closes what it left and never calls a lead twice at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.ari.control import ControllerClient
from asterisk_cc.ari.status_http import control_token
from asterisk_cc.config import Settings
from asterisk_cc.core.vocabulary import (
    AbandonDefinition,
    CallDirection,
    CallOutcome,
    CampaignStatus,
    DialMode,
    DncScope,
    LeadStatus,
)
from asterisk_cc.db.models import (
    Agent,
    AuditLogEntry,
    CallAttempt,
    Campaign,
    CampaignAgent,
    DncEntry,
    Interaction,
    Lead,
    LeadPhone,
    Queue,
)
from asterisk_cc.db.preview import dial_preview_lead, next_preview_lead, skip_preview_lead
from asterisk_cc.sandbox.render import CUSTOMERS_CONTEXT, customer_number
from tests.asterisk_fixtures import AsteriskSandbox, free_loopback_ports
from tests.integration.test_ari_agents import LOGIN, Floor, log_in_by_phone, running_floor

pytestmark = pytest.mark.asterisk

DIALER_ID = "pytest-dialer"
RING_TIMEOUT_S = 15  # the legal minimum, and the shortest a campaign accepts
ABANDON_MESSAGE = "please-try-call-later"  # a stock sound of 2.2 s


def for_dialing(settings: Settings) -> Settings:
    """The controller's endpoint on a port of the test's own; customers are the sandbox's
    scripted ones."""
    (port,) = free_loopback_ports(1)
    return dataclasses.replace(
        settings,
        ari=dataclasses.replace(settings.ari, status_port=port),
        dialer=dataclasses.replace(
            settings.dialer,
            dialer_id=DIALER_ID,
            dial_template=f"Local/{{digits}}@{CUSTOMERS_CONTEXT}",
            abandon_message="im-sorry",
            tick_ms=200,
        ),
    )


def write_config(path: Path, base: Path, settings: Settings) -> Path:
    """The sandbox's configuration with the dialer's settings, for the dialer process."""
    text = base.read_text(encoding="utf-8").replace(
        "status_port = 0", f"status_port = {settings.ari.status_port}"
    )
    dialer = settings.dialer
    text += (
        "\n[dialer]\n"
        f'dialer_id = "{dialer.dialer_id}"\n'
        f'dial_template = "{dialer.dial_template}"\n'
        f'abandon_message = "{dialer.abandon_message}"\n'
        f"tick_ms = {dialer.tick_ms}\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


@dataclasses.dataclass
class DialingFloor:
    floor: Floor
    settings: Settings
    config: Path
    log: Path

    @property
    def engine(self) -> Engine:
        return self.floor.engine

    def wait_until(self, what: str, check: Callable[[], bool], timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(
                    f"waited {timeout_s} s for {what}; attempts: {self.attempts()}; "
                    f"dialer log:\n{self.log.read_text(encoding='utf-8')[-3000:]}"
                )
            time.sleep(0.2)

    def attempts(self) -> list[CallAttempt]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(CallAttempt).order_by(CallAttempt.id)))

    def lead(self, lead_id: int) -> Lead:
        with Session(self.engine, expire_on_commit=False) as session:
            lead = session.get(Lead, lead_id)
            assert lead is not None
            return lead

    def client(self) -> ControllerClient:
        return ControllerClient(
            f"http://127.0.0.1:{self.settings.ari.status_port}",
            control_token(self.settings.web.secret_key),
        )

    @contextlib.contextmanager
    def dialer(self) -> Iterator[subprocess.Popen[bytes]]:
        """``asterisk-cc dialer`` as its own process; stopped with SIGTERM at the end."""
        process = self.start_dialer()
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def start_dialer(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "asterisk_cc", "dialer", "--config", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )


@pytest.fixture
def dialing(asterisk: AsteriskSandbox, tmp_path: Path) -> Iterator[DialingFloor]:
    with running_floor(asterisk, tmp_path, adjust=for_dialing) as floor:
        assert floor.settings is not None
        config = write_config(tmp_path / "dialer.toml", tmp_path / "cc.toml", floor.settings)
        place = DialingFloor(floor, floor.settings, config, tmp_path / "dialer.log")
        log_in_by_phone(floor)
        floor.wait_until("the agent's log-in", lambda: floor.agent_state() == "ready")
        yield place


def add_campaign(
    engine: Engine,
    name: str,
    mode: DialMode,
    numbers: list[list[str]],
    *,
    amd: bool = False,
    machine_action: str = "hangup",
    definition: AbandonDefinition = AbandonDefinition.FTC_30D,
) -> list[int]:
    """A running campaign worked by the test's agent, with one lead per entry of ``numbers``
    (each lead's phones in order); → the lead ids, in that order. The campaign's queue has a
    one-second wrap-up, so the agent is soon free for the next call."""
    with Session(engine) as session, session.begin():
        queue = Queue(name=f"{name}-q", wrapup_limit_s=1)
        session.add(queue)
        session.flush()
        campaign = Campaign(
            name=name,
            dial_mode=mode,
            status=CampaignStatus.ACTIVE,
            queue_id=queue.id,
            timezone="UTC",
            window_start=datetime.min.time(),
            window_end=datetime.max.time().replace(microsecond=0),
            call_days="mon,tue,wed,thu,fri,sat,sun",
            ring_timeout_s=RING_TIMEOUT_S,
            amd_enabled=amd,
            machine_action=machine_action,
            abandon_definition=definition,
            abandon_message=ABANDON_MESSAGE,
            max_attempts=3,
        )
        session.add(campaign)
        session.flush()
        agent_id = session.scalar(select(Agent.id).where(Agent.login == LOGIN))
        session.add(CampaignAgent(campaign_id=campaign.id, agent_id=agent_id))
        lead_ids = []
        for index, phones in enumerate(numbers):
            lead = Lead(
                campaign_id=campaign.id,
                external_ref=f"{name}-{index}",
                fields={"name": f"Customer {index}", "plan": "gold"},
                timezone="UTC",
            )
            lead.phones = [
                LeadPhone(phone_e164=phone, position=position)
                for position, phone in enumerate(phones)
            ]
            session.add(lead)
            session.flush()
            lead_ids.append(lead.id)
        return lead_ids


def finished(place: DialingFloor, count: int) -> Callable[[], bool]:
    def check() -> bool:
        attempts = place.attempts()
        return len(attempts) >= count and all(a.outcome is not None for a in attempts)

    return check


def by_lead(attempts: list[CallAttempt]) -> dict[int, list[CallAttempt]]:
    grouped: dict[int, list[CallAttempt]] = {}
    for attempt in attempts:
        grouped.setdefault(attempt.lead_id, []).append(attempt)
    return grouped


def assert_never_two_calls_at_once(attempts: list[CallAttempt]) -> None:
    for lead_id, calls in by_lead(attempts).items():
        calls.sort(key=lambda a: a.started_at)
        for earlier, later in itertools.pairwise(calls):
            assert earlier.ended_at is not None
            assert later.started_at >= earlier.ended_at, f"lead {lead_id} dialled twice at once"


def test_a_predictive_campaign_calls_its_leads_as_the_script_says(
    dialing: DialingFloor,
) -> None:
    person = customer_number(1, "person", ring_s=1, stay_s=3)
    busy_then_person = [customer_number(2, "busy"), customer_number(3, "person", 1, 2)]
    leads = add_campaign(
        dialing.engine,
        "spring",
        DialMode.PREDICTIVE,
        [
            [person],
            busy_then_person,
            [customer_number(4, "unallocated")],
            [customer_number(5, "no_answer")],
        ],
    )
    started = datetime.now(UTC)
    with dialing.dialer():
        dialing.wait_until("five finished attempts", finished(dialing, 5), timeout_s=90)
        time.sleep(1)  # anything more the dialer would (wrongly) place
    attempts = dialing.attempts()
    calls = by_lead(attempts)
    assert sorted(calls) == sorted(leads)
    assert len(attempts) == 5, [(a.lead_id, a.phone_e164, a.outcome) for a in attempts]
    assert_never_two_calls_at_once(attempts)

    # The person answers after 1 s and reaches the agent at once.
    (talk,) = calls[leads[0]]
    assert talk.outcome == CallOutcome.HUMAN and not talk.abandoned
    assert talk.answered_at is not None and talk.connected_at is not None
    assert (talk.connected_at - talk.answered_at).total_seconds() < 2.0
    assert talk.agent_id is not None and talk.interaction_id is not None
    assert dialing.lead(leads[0]).status == LeadStatus.DONE
    # The agent's screen showed the lead: its campaign, its fields.
    pops = [m for m in dialing.floor.published if m.get("type") == "screen_pop"]
    assert pops and pops[0]["linkedid"] == talk.channel_id
    assert pops[0]["lead"]["campaign"] == "spring"
    assert pops[0]["lead"]["fields"] == {"name": "Customer 0", "plan": "gold"}

    # Busy on the first number: the second number is tried, and the person answers.
    first, second = sorted(calls[leads[1]], key=lambda a: a.started_at)
    assert (first.phone_e164, first.outcome) == (busy_then_person[0], CallOutcome.BUSY)
    assert (second.phone_e164, second.outcome) == (busy_then_person[1], CallOutcome.HUMAN)
    assert dialing.lead(leads[1]).status == LeadStatus.DONE

    # A number that does not exist: the lead has no other one.
    (gone,) = calls[leads[2]]
    assert gone.outcome == CallOutcome.INVALID_NUMBER
    assert dialing.lead(leads[2]).status == LeadStatus.INVALID

    # Nobody answers: the call rang the campaign's 15 s, and is tried again later.
    (unanswered,) = calls[leads[3]]
    assert unanswered.outcome == CallOutcome.NO_ANSWER
    assert unanswered.ended_at is not None
    assert (unanswered.ended_at - unanswered.started_at).total_seconds() >= RING_TIMEOUT_S - 0.5
    retry = dialing.lead(leads[3])
    assert retry.status == LeadStatus.PENDING and retry.next_attempt_at > started

    # Nobody was abandoned: the pacing never put a person through with no agent free.
    assert not any(a.abandoned for a in attempts)
    with Session(dialing.engine) as session:
        interaction = session.get(Interaction, talk.interaction_id)
        assert interaction is not None
        assert interaction.direction == CallDirection.OUTBOUND
        assert interaction.campaign_id is not None and interaction.talk_s is not None


def test_preview_with_amd_a_machine_a_person_an_abandon_and_a_skip(
    dialing: DialingFloor,
) -> None:
    machine = customer_number(11, "machine", ring_s=1, stay_s=20)
    person = customer_number(12, "person", ring_s=1, stay_s=20)
    hangs_up = customer_number(13, "person", ring_s=3, stay_s=0)
    skipped = customer_number(14, "person", ring_s=1, stay_s=5)
    leads = add_campaign(
        dialing.engine,
        "preview",
        DialMode.PREVIEW,
        [[machine], [person], [hangs_up], [skipped]],
        amd=True,
        machine_action="retry",
        definition=AbandonDefinition.OFCOM_DAILY,
    )
    client = dialing.client()

    def preview_and_dial(lead_id: int) -> None:
        with Session(dialing.engine) as session, session.begin():
            campaign_id = lead_campaign(session, lead_id)
            shown = next_preview_lead(session, campaign_id, LOGIN, datetime.now(UTC))
            assert shown is not None and shown.lead_id == lead_id, shown
            assert shown.fields["plan"] == "gold"
            dial_preview_lead(session, lead_id, LOGIN, datetime.now(UTC))

    try:
        with dialing.dialer():
            # An answering machine: AMD hears it, the dialer hangs up, the agent never hears it.
            preview_and_dial(leads[0])
            dialing.wait_until("the machine's attempt", finished(dialing, 1))
            # A person: AMD says HUMAN and the agent gets the call.
            preview_and_dial(leads[1])
            dialing.wait_until(
                "the person at the agent", lambda: dialing.floor.agent_state() == "talking"
            )
            client.agent(LOGIN, "disposition", disposition="do_not_call")
            client.agent(LOGIN, "hangup")
            dialing.wait_until("the person's attempt", finished(dialing, 2))
            dialing.wait_until("the agent back", lambda: dialing.floor.agent_state() == "ready")
            # The agent goes to lunch right after asking for the call: nobody takes it.
            preview_and_dial(leads[2])
            client.agent(LOGIN, "pause", reason="lunch")
            dialing.wait_until("the abandoned attempt", finished(dialing, 3))
            client.agent(LOGIN, "unpause")
            # The last lead is skipped, with the reason.
            with Session(dialing.engine) as session, session.begin():
                campaign_id = lead_campaign(session, leads[3])
                shown = next_preview_lead(session, campaign_id, LOGIN, datetime.now(UTC))
                assert shown is not None and shown.lead_id == leads[3]
                skip_preview_lead(
                    session, leads[3], LOGIN, "customer is on holiday", datetime.now(UTC)
                )
    finally:
        client.close()
    calls = by_lead(dialing.attempts())
    (heard_machine,) = calls[leads[0]]
    assert heard_machine.outcome == CallOutcome.MACHINE and heard_machine.amd_result == "MACHINE"
    assert heard_machine.connected_at is None and not heard_machine.abandoned
    # "Retry later" on machines; Ofcom: not the same day.
    retry = dialing.lead(leads[0])
    assert retry.status == LeadStatus.PENDING
    assert retry.next_attempt_at >= heard_machine.started_at + timedelta(hours=24)

    (talked,) = calls[leads[1]]
    assert talked.outcome == CallOutcome.HUMAN and talked.amd_result == "HUMAN"
    assert talked.connected_at is not None and talked.answered_at is not None
    # Ofcom counts from the answer; AMD takes some of the 2 s.
    assert (talked.connected_at - talked.answered_at).total_seconds() < 2.0 + 0.5
    do_not_call = dialing.lead(leads[1])
    assert do_not_call.status == LeadStatus.DNC and do_not_call.disposition == "do_not_call"
    with Session(dialing.engine) as session:
        listed = session.scalars(select(DncEntry).where(DncEntry.phone_e164 == person)).all()
        assert [entry.scope for entry in listed] == [DncScope.GLOBAL]

    (abandoned,) = calls[leads[2]]
    assert abandoned.outcome == CallOutcome.HUMAN and abandoned.abandoned
    assert abandoned.connected_at is None
    # The 2.2 s compliance message started 2 s after the answer; the person hung up during
    # it (2.8 s after answering) and the call ended there, not when the message would have.
    assert abandoned.answered_at is not None and abandoned.ended_at is not None
    assert (abandoned.ended_at - abandoned.answered_at).total_seconds() < 4.0
    # Ofcom: no new call to that person for 72 hours.
    lockout = dialing.lead(leads[2])
    assert lockout.status == LeadStatus.PENDING
    assert lockout.next_attempt_at >= abandoned.started_at + timedelta(hours=72)

    assert leads[3] not in calls
    skipped_lead = dialing.lead(leads[3])
    assert skipped_lead.status == LeadStatus.PENDING and skipped_lead.last_outcome == "skipped"
    with Session(dialing.engine) as session:
        audit = session.scalars(
            select(AuditLogEntry).where(AuditLogEntry.action == "lead.skip")
        ).one()
        assert audit.details is not None and audit.details["reason"] == "customer is on holiday"


def lead_campaign(session: Session, lead_id: int) -> int:
    lead = session.get(Lead, lead_id)
    assert lead is not None
    return lead.campaign_id


def test_a_killed_dialer_started_again_closes_its_calls_and_never_dials_twice(
    dialing: DialingFloor,
) -> None:
    leads = add_campaign(
        dialing.engine,
        "restart",
        DialMode.PROGRESSIVE,
        [[customer_number(21, "no_answer")], [customer_number(22, "person", 1, 2)]],
    )
    process = dialing.start_dialer()
    try:
        dialing.wait_until("a call ringing", lambda: len(dialing.attempts()) == 1)
        (ringing,) = dialing.attempts()
        dialing.wait_until(
            "the call in Asterisk",
            lambda: ringing.channel_id in dialing.floor.asterisk.cli("core show channels concise"),
        )
    finally:
        process.kill()  # no clean-up at all: as if the machine lost power
        process.wait()
    # The attempt is open, its lead held, and its call still rings in Asterisk.
    assert dialing.attempts()[0].outcome is None
    assert dialing.lead(ringing.lead_id).status == LeadStatus.DIALING
    with dialing.dialer():
        dialing.wait_until(
            "the open attempt closed", lambda: dialing.attempts()[0].outcome is not None
        )
        assert ringing.channel_id not in dialing.floor.asterisk.cli("core show channels concise")
        dialing.wait_until("the other lead's call", finished(dialing, 2))
    attempts = dialing.attempts()
    assert attempts[0].outcome == CallOutcome.CANCELLED
    assert_never_two_calls_at_once(attempts)
    # The interrupted lead waits for its retry; it was not called again at once.
    assert [a.lead_id for a in attempts].count(ringing.lead_id) == 1
    assert dialing.lead(ringing.lead_id).status == LeadStatus.PENDING
    assert {a.lead_id for a in attempts} == set(leads)


def test_the_dialer_rides_out_an_asterisk_crash(dialing: DialingFloor) -> None:
    leads = add_campaign(
        dialing.engine,
        "restart-pbx",
        DialMode.PROGRESSIVE,
        [[customer_number(31, "no_answer")], [customer_number(32, "person", 1, 2)]],
    )
    with dialing.dialer():
        dialing.wait_until("a call ringing", lambda: len(dialing.attempts()) == 1)
        sandbox = dialing.floor.asterisk.sandbox
        pid = sandbox.running_pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # a crash: no hang-up event for anybody
        sandbox.down()
        sandbox.up()
        # The call died with Asterisk and no event told the dialer: it finds out on its own.
        dialing.wait_until(
            "the lost call closed", lambda: dialing.attempts()[0].outcome is not None, 90
        )
        # The agent's phone was cut off too; once they are back, dialling goes on.
        dialing.floor.wait_until(
            "the link back up", lambda: dialing.floor.snapshot()["link_up"], 60
        )
        log_in_by_phone(dialing.floor)
        dialing.floor.wait_until("the new log-in", lambda: dialing.floor.agent_state() == "ready")
        dialing.wait_until("the second lead's call", finished(dialing, 2), 90)
    lost, talked = dialing.attempts()
    assert lost.lead_id == leads[0] and lost.outcome == CallOutcome.FAILED
    assert dialing.lead(leads[0]).status == LeadStatus.PENDING
    assert talked.lead_id == leads[1] and talked.outcome == CallOutcome.HUMAN
    assert talked.connected_at is not None
