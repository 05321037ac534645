"""The dialer's database side: the checks every lead passes at dial time, attempts and their
outcomes, a restart's clean-up, callbacks, and two dialers sharing one database."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from asterisk_cc.core.vocabulary import (
    AbandonDefinition,
    CallbackStatus,
    CallOutcome,
    CampaignStatus,
    DialMode,
    DncScope,
    LeadStatus,
)
from asterisk_cc.db.lead_outcomes import apply_disposition
from asterisk_cc.db.models import (
    Agent,
    CallAttempt,
    CallbackRequest,
    Campaign,
    CampaignAgent,
    DncEntry,
    Interaction,
    Lead,
    LeadPhone,
    Queue,
)
from asterisk_cc.dialer.store import AttemptResult, CampaignPlan, Dial, DialerStore

# Leads claimed here stay claimed in the database other tests share: a name of this module's own.
DIALER = f"store-test-{secrets.token_hex(3)}"
# A Monday, 14:00 UTC: 09:00 in New York, 22:00 in Shanghai.
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
ALL_DAY = (time(0, 0), time(23, 59, 59))


def make_campaign(
    engine: Engine,
    phones_per_lead: list[list[str]],
    *,
    definition: AbandonDefinition = AbandonDefinition.FTC_30D,
    window: tuple[time, time] = ALL_DAY,
    lead_timezone: str | None = "UTC",
) -> tuple[int, list[int]]:
    with Session(engine) as session, session.begin():
        tag = secrets.token_hex(4)
        agent = Agent(login=f"a{tag}", name="Agent")
        queue = Queue(name=f"q{tag}")
        session.add_all([agent, queue])
        session.flush()
        campaign = Campaign(
            name=f"c{tag}",
            dial_mode=DialMode.PREDICTIVE,
            status=CampaignStatus.ACTIVE,
            queue_id=queue.id,
            timezone="UTC",
            window_start=window[0],
            window_end=window[1],
            call_days="mon,tue,wed,thu,fri,sat,sun",
            abandon_definition=definition,
            ring_timeout_s=20,
        )
        session.add(campaign)
        session.flush()
        session.add(CampaignAgent(campaign_id=campaign.id, agent_id=agent.id))
        lead_ids = []
        for index, phones in enumerate(phones_per_lead):
            lead = Lead(
                campaign_id=campaign.id,
                external_ref=str(index),
                timezone=lead_timezone,
                next_attempt_at=NOW - timedelta(days=1, minutes=len(phones_per_lead) - index),
            )
            lead.phones = [LeadPhone(phone_e164=p, position=n) for n, p in enumerate(phones)]
            session.add(lead)
            session.flush()
            lead_ids.append(lead.id)
        return campaign.id, lead_ids


def plan_of(store: DialerStore, campaign_id: int) -> CampaignPlan:
    (plan,) = [p for p in store.running_campaigns(NOW) if p.id == campaign_id]
    return plan


def number(n: int) -> str:
    return f"+86138{n:08d}"


def lead_of(engine: Engine, lead_id: int) -> Lead:
    with Session(engine, expire_on_commit=False) as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead


def result(outcome: CallOutcome, **kw: object) -> AttemptResult:
    values: dict[str, object] = {
        "outcome": outcome,
        "answered_at": None,
        "connected_at": None,
        "ended_at": NOW + timedelta(seconds=30),
        "agent_login": None,
        "abandoned": False,
        "amd_status": None,
        "amd_cause": None,
        "hangup_cause": None,
    }
    values.update(kw)
    return AttemptResult(**values)  # type: ignore[arg-type]


def test_do_not_call_lists_are_checked_when_dialling_not_only_at_import(engine: Engine) -> None:
    campaign_id, (clean, listed, second_number) = make_campaign(
        engine, [[number(1)], [number(2)], [number(3), number(4)]]
    )
    with Session(engine) as session, session.begin():
        # Listed after the import: the dialer must still see it.
        session.add(DncEntry(phone_e164=number(2), scope=DncScope.GLOBAL, source="registry"))
        session.add(
            DncEntry(
                phone_e164=number(3),
                scope=DncScope.CAMPAIGN,
                campaign_id=campaign_id,
                source="import",
            )
        )
    store = DialerStore(engine)
    dials = store.take_leads(plan_of(store, campaign_id), 10, DIALER, NOW, frozenset())
    assert sorted((d.lead_id, d.phone) for d in dials) == [
        (clean, number(1)),
        (second_number, number(4)),
    ]
    assert lead_of(engine, listed).status == LeadStatus.DNC
    assert all(d.channel_id.startswith(f"asterisk-cc-dial-{DIALER}-") for d in dials)


def test_leads_outside_their_local_calling_hours_wait_for_the_opening(engine: Engine) -> None:
    campaign_id, (new_york, shanghai) = make_campaign(
        engine,
        [[number(10)], [number(11)]],
        window=(time(10, 0), time(21, 0)),
        lead_timezone=None,
    )
    with Session(engine) as session, session.begin():
        for lead_id, zone in ((new_york, "America/New_York"), (shanghai, "Asia/Shanghai")):
            lead = session.get(Lead, lead_id)
            assert lead is not None
            lead.timezone = zone
    store = DialerStore(engine)
    assert store.take_leads(plan_of(store, campaign_id), 10, DIALER, NOW, frozenset()) == []
    # 09:00 in New York: at 10:00 local (15:00 UTC). 22:00 in Shanghai: at 10:00 tomorrow.
    assert lead_of(engine, new_york).next_attempt_at == datetime(2026, 11, 30, 15, tzinfo=UTC)
    assert lead_of(engine, shanghai).next_attempt_at == datetime(2026, 12, 1, 2, tzinfo=UTC)
    assert {lead_of(engine, i).status for i in (new_york, shanghai)} == {LeadStatus.PENDING}


def test_an_abandoned_number_is_not_called_for_72_hours_in_ofcom_campaigns(
    engine: Engine,
) -> None:
    campaign_id, (lead_id,) = make_campaign(
        engine, [[number(20)]], definition=AbandonDefinition.OFCOM_DAILY
    )
    store = DialerStore(engine)
    plan = plan_of(store, campaign_id)
    (dial,) = store.take_leads(plan, 1, DIALER, NOW - timedelta(hours=10), frozenset())
    store.finish(
        dial,
        result(CallOutcome.HUMAN, answered_at=NOW - timedelta(hours=10), abandoned=True),
        NOW - timedelta(hours=10),
    )
    lead = lead_of(engine, lead_id)
    assert lead.status == LeadStatus.PENDING
    assert lead.next_attempt_at >= NOW - timedelta(hours=10) + timedelta(hours=72)
    # Even if someone moves the lead forward, the dialer checks again when it dials.
    with Session(engine) as session, session.begin():
        row = session.get(Lead, lead_id)
        assert row is not None
        row.next_attempt_at = NOW - timedelta(minutes=1)
    assert store.take_leads(plan, 1, DIALER, NOW, frozenset()) == []
    assert lead_of(engine, lead_id).next_attempt_at >= NOW + timedelta(hours=61)


def test_outcomes_and_dispositions_settle_the_lead_in_either_order(engine: Engine) -> None:
    campaign_id, (busy, talked, callback) = make_campaign(
        engine, [[number(30)], [number(31)], [number(32)]]
    )
    store = DialerStore(engine)
    plan = plan_of(store, campaign_id)
    dials = {d.lead_id: d for d in store.take_leads(plan, 3, DIALER, NOW, frozenset())}
    assert set(dials) == {busy, talked, callback}

    store.finish(dials[busy], result(CallOutcome.BUSY, hangup_cause=17), NOW)
    lead = lead_of(engine, busy)
    assert (lead.status, lead.attempts, lead.last_outcome) == (LeadStatus.PENDING, 1, "busy")
    assert lead.next_attempt_at > NOW and lead.locked_by is None

    answered = NOW + timedelta(seconds=5)
    for lead_id in (talked, callback):
        store.open_interaction(dials[lead_id], answered)
        store.mark_connected(dials[lead_id], plan.agent_logins[0], answered)
    # The agent sets "do not call" during the call: the call's end must not undo it.
    linkedid = dials[talked].channel_id
    with Session(engine) as session, session.begin():
        assert (
            apply_disposition(session, linkedid=linkedid, disposition="do_not_call", now=NOW)
            is None
        )
    store.finish(
        dials[talked], result(CallOutcome.HUMAN, answered_at=answered, connected_at=answered), NOW
    )
    assert lead_of(engine, talked).status == LeadStatus.DNC
    with Session(engine) as session:
        assert session.scalars(
            select(DncEntry.scope).where(DncEntry.phone_e164 == number(31))
        ).all() == [DncScope.GLOBAL]
        interaction = session.scalars(
            select(Interaction).where(Interaction.linkedid == linkedid)
        ).one()
        assert interaction.campaign_id == campaign_id and interaction.ended_at is not None

    # A callback asked for after the call: the lead comes back then, for the same agent.
    store.finish(
        dials[callback], result(CallOutcome.HUMAN, answered_at=answered, connected_at=answered), NOW
    )
    assert lead_of(engine, callback).status == LeadStatus.DONE
    at = NOW + timedelta(days=1)
    with Session(engine) as session, session.begin():
        apply_disposition(
            session,
            linkedid=dials[callback].channel_id,
            disposition="callback",
            now=NOW,
            callback_at=at,
        )
    lead = lead_of(engine, callback)
    assert (lead.status, lead.next_attempt_at) == (LeadStatus.PENDING, at)
    assert lead.callback_agent_id is not None


def test_a_restart_closes_what_the_stopped_dialer_left(engine: Engine) -> None:
    campaign_id, (ringing, talking) = make_campaign(engine, [[number(40)], [number(41)]])
    store = DialerStore(engine)
    plan = plan_of(store, campaign_id)
    dialer = f"restart-{secrets.token_hex(3)}"  # the database is shared with other tests
    dials = {d.lead_id: d for d in store.take_leads(plan, 2, dialer, NOW, frozenset())}
    store.open_interaction(dials[talking], NOW)
    store.mark_connected(dials[talking], plan.agent_logins[0], NOW)
    assert sorted(store.open_attempts(dialer)) == sorted(
        [(dials[ringing].channel_id, False), (dials[talking].channel_id, True)]
    )
    assert store.recover(dialer, NOW + timedelta(minutes=1)) == 2
    assert store.open_attempts(dialer) == []
    with Session(engine) as session:
        outcomes = dict(
            session.execute(
                select(CallAttempt.lead_id, CallAttempt.outcome).where(
                    CallAttempt.campaign_id == campaign_id
                )
            ).all()
        )
    assert outcomes == {ringing: CallOutcome.CANCELLED, talking: CallOutcome.HUMAN}
    assert lead_of(engine, ringing).status == LeadStatus.PENDING
    assert lead_of(engine, ringing).next_attempt_at > NOW + timedelta(minutes=1)
    assert lead_of(engine, talking).status == LeadStatus.DONE


def test_due_callback_requests_are_dialled_once_through_their_queue(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        queue = Queue(name=f"q{secrets.token_hex(4)}")
        session.add(queue)
        session.flush()
        due = CallbackRequest(
            phone_e164=number(50), queue_id=queue.id, requested_at=NOW - timedelta(hours=1)
        )
        later = CallbackRequest(
            phone_e164=number(51),
            queue_id=queue.id,
            requested_at=NOW,
            preferred_at=NOW + timedelta(hours=2),
        )
        session.add_all([due, later])
        session.flush()
        due_id, later_id = due.id, later.id
    store = DialerStore(engine)
    assert store.promote_callbacks(NOW) >= 1
    assert store.promote_callbacks(NOW) == 0
    with Session(engine) as session:
        leads = session.scalars(
            select(Lead).where(Lead.callback_request_id.in_([due_id, later_id]))
        ).all()
        assert [lead.callback_request_id for lead in leads] == [due_id]
        campaign = session.get(Campaign, leads[0].campaign_id)
        assert campaign is not None and campaign.purpose == "callbacks"
        request = session.get(CallbackRequest, due_id)
        assert request is not None and request.status == CallbackStatus.IN_PROGRESS


def test_two_dialers_sharing_the_database_never_take_the_same_lead(engine: Engine) -> None:
    campaign_id, lead_ids = make_campaign(engine, [[number(100 + n)] for n in range(40)])
    store_a, store_b = DialerStore(engine), DialerStore(engine)
    plan = plan_of(store_a, campaign_id)
    taken: dict[str, list[Dial]] = {"a": [], "b": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(name: str, store: DialerStore) -> None:
        try:
            start.wait()
            while True:
                batch = store.take_leads(plan, 3, f"{DIALER}-{name}", NOW, frozenset())
                if not batch:
                    return
                taken[name] += batch
        except BaseException as exc:  # reported from the test's thread
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(n, s)) for n, s in (("a", store_a), ("b", store_b))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    a = {d.lead_id for d in taken["a"]}
    b = {d.lead_id for d in taken["b"]}
    assert not a & b
    assert a | b == set(lead_ids)
    with Session(engine) as session:
        attempts = session.scalars(
            select(CallAttempt.lead_id).where(CallAttempt.campaign_id == campaign_id)
        ).all()
    assert sorted(attempts) == sorted(lead_ids)  # one attempt per lead, none twice


def test_the_abandon_tally_counts_the_regulatory_window(engine: Engine) -> None:
    campaign_id, leads = make_campaign(
        engine, [[number(200 + n)] for n in range(7)], definition=AbandonDefinition.OFCOM_DAILY
    )
    with Session(engine) as session, session.begin():

        def attempt(lead: int, hours_ago: float, outcome: CallOutcome, **kw: object) -> None:
            started = NOW - timedelta(hours=hours_ago)
            session.add(
                CallAttempt(
                    campaign_id=campaign_id,
                    lead_id=lead,
                    phone_e164=number(300),
                    started_at=started,
                    answered_at=started + timedelta(seconds=7),
                    ended_at=started + timedelta(minutes=1),
                    outcome=outcome,
                    **kw,
                )
            )

        talked = {"connected_at": NOW - timedelta(hours=1)}
        attempt(leads[0], 1, CallOutcome.HUMAN, **talked)
        attempt(leads[1], 1, CallOutcome.HUMAN, disposition="answering_machine", **talked)
        attempt(leads[2], 2, CallOutcome.HUMAN, abandoned=True)  # a drop: who answered?
        attempt(leads[3], 2, CallOutcome.HUMAN, abandoned=True, amd_result="HUMAN")
        attempt(leads[4], 3, CallOutcome.MACHINE, amd_result="MACHINE")
        attempt(leads[5], 4, CallOutcome.NO_ANSWER)
        attempt(leads[6], 20, CallOutcome.HUMAN, abandoned=True)  # yesterday (UTC day)
    store = DialerStore(engine)
    tally = store.abandon_tally(plan_of(store, campaign_id), NOW)
    assert (tally.people_handled, tally.machines_handled) == (1, 1)
    assert (tally.known_abandons, tally.machine_verdicts) == (1, 1)
    assert tally.drops == [("h12", 7.0)]  # 12:00 UTC, rang 7 s
    with Session(engine) as session, session.begin():
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.abandon_definition = AbandonDefinition.FTC_30D
    tally = store.abandon_tally(plan_of(store, campaign_id), NOW)
    assert len(tally.drops) == 2  # the last 30 days


def test_a_callback_for_one_agent_waits_until_that_agent_is_free(engine: Engine) -> None:
    campaign_id, (lead_id,) = make_campaign(engine, [[number(60)]])
    store = DialerStore(engine)
    plan = plan_of(store, campaign_id)
    (login,) = plan.agent_logins
    with Session(engine) as session, session.begin():
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.callback_agent_id = session.scalar(select(Agent.id).where(Agent.login == login))
    assert store.take_leads(plan, 1, DIALER, NOW, frozenset({"someone-else"})) == []
    waiting = lead_of(engine, lead_id)
    assert (waiting.status, waiting.next_attempt_at) == (
        LeadStatus.PENDING,
        NOW + timedelta(seconds=30),
    )
    later = NOW + timedelta(seconds=30)
    (dial,) = store.take_leads(plan, 1, DIALER, later, frozenset({login}))
    assert (dial.lead_id, dial.agent_login) == (lead_id, login)
