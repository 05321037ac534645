"""Scripted callers navigate the shipped hotline flow on the real Asterisk 22 sandbox.

The FastAGI server runs the real IVR runner over a real SQLite CRM (customers, tickets,
callbacks, surveys); prompts are built from the flow's text with espeak-ng and sox into the
sandbox's sounds. Keys are timed from the real lengths of the prompts, since a key pressed
during a prompt that cannot be interrupted (the welcome) is lost, as on a real phone.
The clock the flow sees is set per test: the hotline's opening hours are in Shanghai.
"""

from __future__ import annotations

import re
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.agi.backend import DatabaseBackend
from asterisk_cc.agi.flows import FlowLibrary, flow_library, prompts_to_build
from asterisk_cc.agi.ivr import IvrRunner
from asterisk_cc.agi.prompts import build_missing
from asterisk_cc.agi.server import run_server_in_thread
from asterisk_cc.agi.service import ivr_options, make_router
from asterisk_cc.config import Settings, load_settings
from asterisk_cc.core.customers import Tier
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import (
    Agent,
    CallbackRequest,
    ComplaintTicket,
    Customer,
    CustomerPhone,
    Interaction,
    IvrSession,
    SurveyAnswer,
)
from asterisk_cc.sandbox import (
    CallerScript,
    Dtmf,
    PlacedCall,
    Speak,
    Wait,
    answering_agent,
    ringing_agent,
)
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

# Monday 10:00 in Shanghai: open. Sunday: closed.
OPEN = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
VIP_NUMBER = "+8613800000001"
GOLD_NUMBER = "+8613800000002"
UNKNOWN_NUMBER = "+8613900000009"
SETTLE_S = 1.0  # after a prompt ends, before the key


@dataclass
class Hotline:
    asterisk: AsteriskSandbox
    settings: Settings
    engine: Engine
    flows: FlowLibrary
    runner: IvrRunner
    now: list[datetime] = field(default_factory=lambda: [OPEN])

    def seconds(self, language: str, prompt: str, flow: str = "hotline") -> float:
        """How long the built prompt plays."""
        path = self.asterisk.sandbox.sounds_dir / language / "asterisk-cc" / flow / f"{prompt}.wav"
        with wave.open(str(path)) as audio:
            return audio.getnframes() / audio.getframerate()

    def call(self, steps: list[Wait | Dtmf], number: str = UNKNOWN_NUMBER) -> PlacedCall:
        return self.asterisk.call(
            "hotline@asterisk-cc-ivr",
            CallerScript(tuple(steps)),
            caller_id=f'"Caller" <{number}>',
        )

    def session_of(self, call: PlacedCall, timeout_s: float = 30) -> IvrSession:
        deadline = time.monotonic() + timeout_s
        while True:
            with Session(self.engine) as session:
                found = session.scalars(
                    select(IvrSession).where(IvrSession.uniqueid == call.callee_id)
                ).first()
                if found is not None:
                    _ = found.steps
                    return found
            if time.monotonic() > deadline:
                pytest.fail(f"no IVR session recorded for {call.callee_id} in {timeout_s} s")
            time.sleep(0.2)

    def channel_variable(self, call: PlacedCall, name: str) -> str:
        response = self.asterisk.ari.get(
            f"/channels/{call.callee_id}/variable", params={"variable": name}
        )
        response.raise_for_status()
        return str(response.json()["value"])

    def rows(self, model: type, **where: object) -> list:  # type: ignore[type-arg]
        with Session(self.engine) as session:
            query = select(model).filter_by(**where)
            return list(session.scalars(query))


def steps_of(session: IvrSession) -> list[tuple[str, str | None, str | None]]:
    return [(s.node, s.input, s.result) for s in session.steps]


def seed_crm(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        vip = Customer(name="Li Na", tier=Tier.VIP, language="zh", account_number="62000001")
        vip.phones.append(CustomerPhone(phone_e164=VIP_NUMBER))
        gold = Customer(
            name="Ann Lee",
            tier=Tier.GOLD,
            language="en",
            account_number="62000002",
            attributes={"balance": "1234.50"},
        )
        gold.phones.append(CustomerPhone(phone_e164=GOLD_NUMBER))
        standard = Customer(
            name="Wang Wei", account_number="62001234", attributes={"balance": "88.00"}
        )
        session.add_all([vip, gold, standard, Agent(login="agent-7", name="Zhao Min")])


@pytest.fixture(scope="module")
def hotline(
    asterisk: AsteriskSandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hotline]:
    directory = tmp_path_factory.mktemp("hotline")
    config = asterisk.sandbox.write_config(
        directory / "asterisk-cc.toml", database_url=f"sqlite:///{directory / 'crm.sqlite3'}"
    )
    settings = load_settings(config, needed_by="agi")
    flows = flow_library(settings.ivr, default_timezone=settings.site.timezone)
    build_missing(prompts_to_build(flows.all_flows()), Path(settings.ivr.sounds_dirs[0]))
    # The flows must check out against this PBX: prompts installed, queues defined.
    assert flows.check() == {"hotline": [], "survey": []}
    engine = make_engine(settings.database)
    upgrade(engine)
    seed_crm(engine)
    harness: Hotline
    runner = IvrRunner(
        DatabaseBackend(settings, engine), ivr_options(settings), clock=lambda: harness.now[0]
    )
    harness = Hotline(asterisk, settings, engine, flows, runner)
    router = make_router({}, runner=runner, flows=flows, default_flow="hotline")
    with run_server_in_thread(
        router, port=asterisk.agi_port, failover_context=settings.agi.failover_context
    ):
        yield harness
    runner.close()
    engine.dispose()


@pytest.fixture(autouse=True)
def open_hours(hotline: Hotline) -> None:
    hotline.now[0] = OPEN


def after_welcome(hotline: Hotline, language: str = "zh") -> Wait:
    return Wait(hotline.seconds(language, "welcome") + SETTLE_S)


def test_a_caller_chooses_sales_and_waits_in_its_queue(hotline: Hotline) -> None:
    queue_log = hotline.asterisk.queue_log()
    with hotline.asterisk.queue_member("sales", ringing_agent(), "Busy Sales"):
        call = hotline.call([after_welcome(hotline), Dtmf("1"), Wait(1.5), Dtmf("3"), Wait(30)])
        (entered,) = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE"], timeout_s=40)
        assert entered.queue == "sales"
        # The caller is in the queue's list of callers, with the standard tier's priority.
        waiting = hotline.asterisk.cli("queue show sales")
        assert re.search(r"prio: 0", waiting), waiting
        # The channel carries what the agent's screen pop shows.
        carried = {
            name: hotline.channel_variable(call, name)
            for name in ("ASTERISK_CC_TIER", "ASTERISK_CC_LANGUAGE", "ASTERISK_CC_IVR_PATH")
        }
        interaction_id = hotline.channel_variable(call, "ASTERISK_CC_INTERACTION_ID")
        hotline.asterisk.hang_up(call)
    assert carried == {
        "ASTERISK_CC_TIER": "standard",
        "ASTERISK_CC_LANGUAGE": "zh",
        "ASTERISK_CC_IVR_PATH": "welcome>hours>identify>language>main_menu>sales",
    }
    session = hotline.session_of(call)
    assert session.outcome == "queued"
    assert session.path == ["welcome", "hours", "identify", "language", "main_menu", "sales"]
    assert session.caller_e164 == UNKNOWN_NUMBER
    (interaction,) = hotline.rows(Interaction, linkedid=call.linkedid)
    assert interaction.customer_id is None and str(interaction.id) == interaction_id


def test_an_invalid_key_is_retried(hotline: Hotline) -> None:
    call = hotline.call(
        [after_welcome(hotline), Dtmf("1"), Wait(1.5), Dtmf("7"), Wait(3), Dtmf("3"), Wait(8)]
    )
    session = hotline.session_of(call, timeout_s=40)
    menu = [(i, r) for node, i, r in steps_of(session) if node == "main_menu"]
    assert menu == [("7", "invalid"), ("3", "chosen")]
    assert session.outcome == "queued"
    hotline.asterisk.wait_for_hangup(call, timeout_s=30)


def test_silence_until_the_tries_run_out_goes_to_the_operator(hotline: Hotline) -> None:
    queue_log = hotline.asterisk.queue_log()
    with hotline.asterisk.queue_member("support", ringing_agent(), "Busy Support"):
        call = hotline.call([after_welcome(hotline), Dtmf("2"), Wait(120)])
        (entered,) = queue_log.wait_for_events(call.callee_id, ["ENTERQUEUE"], timeout_s=120)
        hotline.asterisk.hang_up(call)
    assert entered.queue == "support"
    session = hotline.session_of(call)
    menu = [r for node, _, r in steps_of(session) if node == "main_menu"]
    assert menu == ["timeout", "timeout", "timeout", "exhausted"]
    assert session.language == "en"


def test_account_entry_confirmed_and_balance_said(hotline: Hotline) -> None:
    gap = Wait(2)
    call = hotline.call(
        [
            after_welcome(hotline),
            Dtmf("1"),  # 中文
            gap,
            Dtmf("1"),  # account services
            gap,
            Dtmf("1"),  # balance
            gap,
            Dtmf("62001234#"),
            # read back: "you entered" + eight digits, then "correct? press 1"
            Wait(hotline.seconds("zh", "you_entered") + 8 * 0.6),
            Dtmf("1"),
            Wait(hotline.seconds("zh", "balance_is") + 6),
            Dtmf("9"),
            Wait(8),
        ]
    )
    session = hotline.session_of(call, timeout_s=90)
    assert session.outcome == "self_served", steps_of(session)
    assert ("enter_account", "****1234", "entered") in steps_of(session)
    assert ("say_balance", None, "said") in steps_of(session)
    assert session.inputs == {"account": "****1234"}
    assert "62001234" not in repr(steps_of(session))


def test_a_vip_who_calls_later_is_answered_first(hotline: Hotline) -> None:
    queue_log = hotline.asterisk.queue_log()
    # One agent serves both queues; paused, so both callers wait (a queue with no member at
    # all is not joined).
    agent = answering_agent(ring_s=0, talk_s=2)
    with (
        hotline.asterisk.queue_member("support", agent, "agent-7", paused=True),
        hotline.asterisk.queue_member("vip", agent, "agent-7", paused=True),
    ):
        standard = hotline.call([after_welcome(hotline), Dtmf("1"), Wait(1.5), Dtmf("0"), Wait(60)])
        queue_log.wait_for_events(standard.callee_id, ["ENTERQUEUE"], timeout_s=40)
        vip = hotline.call([Wait(60)], number=VIP_NUMBER)
        (vip_entered,) = queue_log.wait_for_events(vip.callee_id, ["ENTERQUEUE"], timeout_s=40)
        assert vip_entered.queue == "vip"
        # The agent comes free in both queues at once: the VIP queue's weight wins.
        with hotline.asterisk.ami_connect() as ami:
            ami.action("QueuePause", Interface=agent, Paused="false")
        queue_log.wait_for_events(vip.callee_id, ["CONNECT"], timeout_s=20)
        connected = [
            line.callid
            for line in queue_log.records()
            if line.event == "CONNECT" and line.callid in (vip.callee_id, standard.callee_id)
        ]
        assert connected[0] == vip.callee_id
        hotline.asterisk.hang_up(standard, vip)
    session = hotline.session_of(vip)
    assert session.path == ["welcome", "hours", "identify", "vip_check", "vip_queue"]
    (interaction,) = hotline.rows(Interaction, linkedid=vip.linkedid)
    assert interaction.customer_tier == Tier.VIP


def test_after_hours_the_caller_books_a_callback(hotline: Hotline) -> None:
    hotline.now[0] = SUNDAY
    number = "+8613900000123"
    speak = hotline.seconds("zh", "welcome") + hotline.seconds("zh", "closed") + SETTLE_S
    call = hotline.call(
        [
            Wait(speak),
            Dtmf("1"),
            Wait(hotline.seconds("zh", "callback_number") + 2),
            Dtmf("1"),
            Wait(12),
        ],
        number=number,
    )
    session = hotline.session_of(call, timeout_s=90)
    assert session.outcome == "callback", steps_of(session)
    (request,) = hotline.rows(CallbackRequest, phone_e164=number)
    assert request.queue_id is not None


def test_after_hours_the_caller_leaves_a_voicemail(hotline: Hotline) -> None:
    hotline.now[0] = SUNDAY
    inbox = hotline.asterisk.sandbox.tree / "spool" / "voicemail" / "asterisk-cc" / "8000" / "INBOX"
    before = set(inbox.glob("msg*.txt")) if inbox.exists() else set()
    speak = hotline.seconds("zh", "welcome") + hotline.seconds("zh", "closed") + SETTLE_S
    call = hotline.call(
        [
            Wait(speak),
            Dtmf("2"),
            Wait(hotline.seconds("zh", "leave_message") + 2),
            Speak("hello-world"),
            Wait(1),
        ]
    )
    hotline.asterisk.wait_for_hangup(call, timeout_s=60)
    session = hotline.session_of(call)
    assert session.outcome == "voicemail"
    deadline = time.monotonic() + 10
    while not set(inbox.glob("msg*.txt")) - before and time.monotonic() < deadline:
        time.sleep(0.2)
    (message,) = set(inbox.glob("msg*.txt")) - before
    assert 'callerid="Caller" <+8613900000009>' in message.read_text(encoding="utf-8")


def test_a_complaint_is_recorded_into_a_ticket(hotline: Hotline) -> None:
    # A known English-speaking customer: no language menu, English prompts.
    call = hotline.call(
        [
            after_welcome(hotline),
            Dtmf("2"),
            Wait(hotline.seconds("en", "complaint_record") + 2),
            Speak("hello-world"),
            Dtmf("#"),
            Wait(25),
        ],
        number=GOLD_NUMBER,
    )
    session = hotline.session_of(call, timeout_s=90)
    assert session.outcome == "complaint", steps_of(session)
    (ticket,) = hotline.rows(ComplaintTicket, caller_e164=GOLD_NUMBER)
    assert ticket.category == "hotline" and ticket.customer_id is not None
    # Due a day after it was recorded ([ivr] complaint_due_hours = 24 by default): the
    # supervisor's complaints queue times it from the start.
    assert hotline.settings.ivr.complaint_due_hours == 24
    assert ticket.received_at == OPEN and ticket.due_at == OPEN + timedelta(hours=24)
    recording = hotline.asterisk.sandbox.rootfs / ticket.recording_ref.lstrip("/")
    with wave.open(str(recording)) as audio:
        assert audio.getnframes() / audio.getframerate() > 1.0  # the caller's words


def test_the_post_call_survey_stores_the_score(hotline: Hotline) -> None:
    with hotline.asterisk.queue_member("support", answering_agent(ring_s=0, talk_s=2), "agent-7"):
        call = hotline.call(
            [after_welcome(hotline), Dtmf("1"), Wait(1.5), Dtmf("0"), Wait(12), Dtmf("4"), Wait(10)]
        )
        hotline.asterisk.wait_for_hangup(call, timeout_s=90)
    (answer,) = hotline.rows(SurveyAnswer)
    assert answer.score == 4 and answer.question == "csat"
    assert answer.agent_id is not None and answer.queue_id is not None


def test_hanging_up_mid_menu_is_recorded_where_it_happened(hotline: Hotline) -> None:
    call = hotline.call([after_welcome(hotline), Dtmf("1"), Wait(2)])
    session = hotline.session_of(call)
    assert session.outcome == "abandoned"
    assert steps_of(session)[-1] == ("main_menu", None, "hangup")


def test_a_hostile_caller_id_is_only_data(hotline: Hotline) -> None:
    evil = '"\\"); EXEC System(touch /tmp/owned) ${EXTEN}|" <+8613900000777>'
    call = hotline.asterisk.call(
        "hotline@asterisk-cc-ivr",
        CallerScript((after_welcome(hotline), Dtmf("1"), Wait(1.5), Dtmf("9"), Wait(3))),
        caller_id=evil,
    )
    session = hotline.session_of(call, timeout_s=60)
    assert session.caller_e164 == "+8613900000777"
    assert not Path("/tmp/owned").exists()
    assert not (hotline.asterisk.sandbox.rootfs / "tmp" / "owned").exists()
