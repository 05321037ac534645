"""The demo's scripted callers on the real Asterisk 22 sandbox: one caller per kind of path
through the demo's hotline (open round the clock, so this runs at any hour), on the demo's
seeded database, through the real FastAGI server. Each caller's script is timed from the real
lengths of the prompts they hear; where each ended is read from the IVR session the server
recorded and from app_queue's queue_log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.agi.backend import DatabaseBackend
from asterisk_cc.agi.flows import flow_library, prompts_to_build
from asterisk_cc.agi.ivr import IvrRunner
from asterisk_cc.agi.prompts import build_missing
from asterisk_cc.agi.server import run_server_in_thread
from asterisk_cc.agi.service import ivr_options, make_router
from asterisk_cc.config import load_settings
from asterisk_cc.core.customers import Tier
from asterisk_cc.core.traffic import DemoCustomer, IvrPath, PlannedCaller, ivr_paths
from asterisk_cc.db.demo_data import DemoData, seed_demo
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import IvrSession
from asterisk_cc.sandbox import PlacedCall, ringing_agent
from asterisk_cc.sandbox.callers import (
    lead_number,
    path_sounds,
    planned_caller_script,
    sound_lengths,
    write_demo_flows,
)
from tests.asterisk_fixtures import AsteriskSandbox

pytestmark = pytest.mark.asterisk

UNKNOWN_NUMBERS = iter(f"+8618600000{n:03d}" for n in range(1000))


@dataclass
class DemoIvr:
    asterisk: AsteriskSandbox
    engine: Engine
    data: DemoData
    paths: list[IvrPath]

    def session_of(self, call: PlacedCall, timeout_s: float) -> IvrSession:
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
            time.sleep(0.3)


@pytest.fixture(scope="module")
def demo_ivr(
    asterisk: AsteriskSandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoIvr]:
    directory = tmp_path_factory.mktemp("demo-ivr")
    config = asterisk.sandbox.write_config(
        directory / "asterisk-cc.toml", database_url=f"sqlite:///{directory / 'demo.sqlite3'}"
    )
    settings = load_settings(config, needed_by="agi")
    flows_dir = write_demo_flows(directory / "ivr")
    settings = dataclasses.replace(
        settings, ivr=dataclasses.replace(settings.ivr, flows_dir=str(flows_dir))
    )
    flows = flow_library(settings.ivr, default_timezone=settings.site.timezone)
    build_missing(prompts_to_build(flows.all_flows()), Path(settings.ivr.sounds_dirs[0]))
    assert flows.check() == {"hotline": [], "survey": []}
    hotline = flows.get("hotline")
    assert hotline is not None
    engine = make_engine(settings.database)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        data = seed_demo(
            session,
            rng=random.Random(8),
            now=datetime.now(UTC),
            lead_number=lead_number,
            customers=300,
            agents=2,
            leads=10,
        )
    # The real clock: the demo's hotline is open whenever the test runs.
    runner = IvrRunner(DatabaseBackend(settings, engine), ivr_options(settings))
    router = make_router({}, runner=runner, flows=flows, default_flow="hotline")
    with run_server_in_thread(
        router, port=asterisk.agi_port, failover_context=settings.agi.failover_context
    ):
        yield DemoIvr(asterisk, engine, data, ivr_paths(hotline))
    runner.close()
    engine.dispose()


def customer(data: DemoData, tier: Tier, language: str, **having: bool) -> DemoCustomer:
    return next(
        c
        for c in data.customers
        if c.tier is tier
        and c.language == language
        and all((getattr(c, field) is not None) == wanted for field, wanted in having.items())
    )


def planned(
    demo: DemoIvr,
    goal: str,
    who: DemoCustomer | None,
    *,
    language: str = "zh",
    keyed_account_of: DemoCustomer | None = None,
    hang_up_at: str | None = None,
) -> PlannedCaller:
    """The caller ``who`` (None: an unknown number) going the shortest way to ``goal``."""
    own = who.ivr_variables() if who else {}
    picked = keyed_account_of.ivr_variables() if keyed_account_of else None
    ways = [
        p for p in demo.paths if p.goal == goal and p.language == language and p.fits(own, picked)
    ]
    assert ways, (goal, who)
    path = min(ways, key=lambda p: len(p.input_steps)).for_caller(own, picked)
    return PlannedCaller(
        offset_s=0,
        number=who.e164 if who else next(UNKNOWN_NUMBERS),
        path=path,
        patience_s=20,
        talk_s=10,
        customer=who,
        entries={"account": keyed_account_of.account} if keyed_account_of else {},
        hangup_at=path.nodes.index(hang_up_at) if hang_up_at else None,
    )


def test_a_caller_of_each_kind_ends_where_the_traffic_model_planned(demo_ivr: DemoIvr) -> None:
    data = demo_ivr.data
    gold_en = customer(data, Tier.GOLD, "en", balance=True)
    standard = customer(data, Tier.STANDARD, "zh", balance=True)
    callers = {
        "vip by caller ID": planned(demo_ivr, "queue:vip", customer(data, Tier.VIP, "zh")),
        "sales": planned(demo_ivr, "queue:sales", None),
        "operator": planned(demo_ivr, "queue:support", standard),
        "complaint": planned(demo_ivr, "complaint", gold_en, language="en"),
        "balance": planned(demo_ivr, "self_service:balance", standard),
        "balance by account": planned(
            demo_ivr, "self_service:balance", None, language="en", keyed_account_of=gold_en
        ),
        "IVR hang-up": planned(demo_ivr, "queue:sales", None, hang_up_at="main_menu"),
    }
    lengths = sound_lengths(
        demo_ivr.asterisk.sandbox.sounds_dir, path_sounds(c.path for c in callers.values())
    )
    asterisk = demo_ivr.asterisk
    queue_log = asterisk.queue_log()
    with contextlib.ExitStack() as members:
        # Members who ring and never answer: the queued callers wait until hung up.
        for queue in ("support", "sales", "vip"):
            members.enter_context(
                asterisk.queue_member(queue, ringing_agent(), f"Demo Test {queue}")
            )
        calls = {
            kind: asterisk.call(
                "hotline@asterisk-cc-ivr",
                planned_caller_script(caller, lengths),
                caller_id=f'"Caller" <{caller.number}>',
            )
            for kind, caller in callers.items()
        }
        entered = {}
        for kind, caller in callers.items():
            if caller.expected_queue is not None:
                (line,) = queue_log.wait_for_events(
                    calls[kind].callee_id, ["ENTERQUEUE"], timeout_s=60
                )
                entered[kind] = line.queue
                # The demo hangs up callers whose patience runs out; here, at once.
                asterisk.hang_up(calls[kind])
    assert entered == {
        kind: caller.expected_queue
        for kind, caller in callers.items()
        if caller.expected_queue is not None
    }
    assert set(entered) == {"vip by caller ID", "sales", "operator"}
    for kind, caller in callers.items():
        session = demo_ivr.session_of(calls[kind], timeout_s=120)
        steps = [(s.node, s.input, s.result) for s in session.steps]
        assert session.outcome == caller.expected_outcome, (kind, steps)
        assert tuple(session.path) == caller.expected_nodes, (kind, steps)
        # Every key landed: no prompt had to ask again.
        assert not [s for s in steps if s[2] in ("invalid", "timeout", "exhausted")], (kind, steps)
    assert callers["vip by caller ID"].path.presses == ()
    hang_up = demo_ivr.session_of(calls["IVR hang-up"], timeout_s=5)
    assert [(s.node, s.result) for s in hang_up.steps][-1] == ("main_menu", "hangup")
    by_account = demo_ivr.session_of(calls["balance by account"], timeout_s=5)
    assert by_account.inputs == {"account": "****" + gold_en.account[-4:]}
    balance = demo_ivr.session_of(calls["balance"], timeout_s=5)
    assert ("say_balance", None, "said") in [(s.node, s.input, s.result) for s in balance.steps]
    for kind in ("complaint", "balance", "balance by account"):
        asterisk.wait_for_hangup(calls[kind], timeout_s=60)  # the IVR said goodbye
