"""The demo's data, seeded into a new database on SQLite and PostgreSQL, read back the way
the product's parts read it: the IVR's CRM lookups, the controller's phone log-in, the
dashboard's log-in, the dialer's campaign check."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from asterisk_cc.agi.backend import customer_record
from asterisk_cc.config import CrmSettings, DatabaseSettings, SiteSettings
from asterisk_cc.core.customers import Tier
from asterisk_cc.core.traffic import TrafficModel
from asterisk_cc.core.vocabulary import CampaignStatus, UserRole
from asterisk_cc.db.agents import check_agent_pin
from asterisk_cc.db.campaigns import campaign_agent_ids, find_campaign, load_campaign_settings
from asterisk_cc.db.crm import customer_directory
from asterisk_cc.db.demo_data import DEMO_CAMPAIGN, DemoData, DemoDataError, seed_demo
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.ivr_store import latest_ticket
from asterisk_cc.db.migrate import upgrade
from asterisk_cc.db.models import Agent, Customer, Lead, LeadPhone, Queue, User
from asterisk_cc.db.users import authenticate
from asterisk_cc.sandbox.render import CUSTOMER_KINDS
from tests.db_fixtures import BACKENDS, sqlite_url

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def scripted_number(serial: int, kind: str) -> str:
    """A stand-in for the sandbox's scripted customers: the kind's code in the number."""
    return f"+86138{serial:04d}{CUSTOMER_KINDS[kind]}260"


def new_engine(request: pytest.FixtureRequest, backend: str, name: str) -> Engine:
    if backend == "sqlite":
        factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
        url = sqlite_url(factory.mktemp("demo") / f"{name}.sqlite3")
    else:
        make_database: Callable[[], URL] = request.getfixturevalue("postgres_database_factory")
        url = make_database().render_as_string(hide_password=False)
    engine = make_engine(DatabaseSettings(url=url))
    upgrade(engine)
    return engine


def seed(engine: Engine, *, customers: int = 3000, agents: int = 8, leads: int = 300) -> DemoData:
    with Session(engine) as session, session.begin():
        return seed_demo(
            session,
            rng=random.Random(1),
            now=NOW,
            lead_number=scripted_number,
            customers=customers,
            agents=agents,
            leads=leads,
        )


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, DemoData]]:
    engine = new_engine(request, str(request.param), "seeded")
    data = seed(engine)
    yield engine, data
    engine.dispose()


def test_customers_have_tiers_numbers_accounts_and_what_the_hotline_says(
    seeded: tuple[Engine, DemoData],
) -> None:
    engine, data = seeded
    assert len(data.customers) == 3000
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 3000
    numbers = {c.e164 for c in data.customers}
    accounts = {c.account for c in data.customers}
    assert len(numbers) == len(accounts) == 3000
    assert all(n.startswith("+86139") and len(n) == 14 for n in numbers)
    tiers = Counter(c.tier for c in data.customers)
    # 5 % VIP, 20 % gold: binomial counts within 4 standard deviations.
    assert abs(tiers[Tier.VIP] - 150) <= 4 * (3000 * 0.05 * 0.95) ** 0.5
    assert abs(tiers[Tier.GOLD] - 600) <= 4 * (3000 * 0.2 * 0.8) ** 0.5
    assert {c.language for c in data.customers} == {"zh", "en"}
    assert sum(c.balance is not None for c in data.customers) > 2900
    states = Counter(c.ticket_state for c in data.customers if c.ticket_id)
    assert set(states) == {"received", "closed"} and 150 < sum(states.values()) < 350


def test_the_ivr_finds_each_customer_as_the_traffic_model_expects(
    seeded: tuple[Engine, DemoData],
) -> None:
    engine, data = seeded
    directory = customer_directory(CrmSettings(), SiteSettings(default_region="CN"), engine)
    with_ticket = [c for c in data.customers if c.ticket_id][:20]
    sample = [*data.customers[:30], *with_ticket]
    for customer in sample:
        found = directory.find_by_phone(customer.e164)
        assert found is not None
        variables = {f"customer.{k}": v for k, v in customer_record(found).items()}
        by_account = directory.find_by_account(customer.account)
        assert by_account is not None and by_account.customer_id == customer.customer_id
        with Session(engine) as session:
            ticket = latest_ticket(session, int(customer.customer_id))
            if ticket is not None:
                variables |= {"ticket.id": str(ticket.id), "ticket.state": ticket.state.value}
        expected = customer.ivr_variables()
        assert {k: variables.get(k) for k in expected} == expected
        assert ("ticket.id" in variables) == (customer.ticket_id is not None)


def test_agents_log_in_by_phone_into_the_hotlines_queues(
    seeded: tuple[Engine, DemoData],
) -> None:
    engine, data = seeded
    assert [a.login for a in data.agents] == [str(8001 + i) for i in range(8)]
    assert len({a.pin for a in data.agents}) > 1
    with Session(engine) as session:
        for agent in data.agents:
            assert agent.pin.isdigit() and len(agent.pin) == 6
            profile = check_agent_pin(session, agent.login, agent.pin)
            assert profile is not None and profile.name == agent.name
            assert {queue for queue, _ in profile.queues} == set(agent.queues)
            assert all(penalty == 0 for _, penalty in profile.queues)
        first = data.agents[0]
        wrong = "111111" if first.pin != "111111" else "222222"
        assert check_agent_pin(session, first.login, wrong) is None
        queues = {q.name: q.display_name for q in session.scalars(select(Queue))}
    assert queues == {"support": "Customer support", "sales": "Sales", "vip": "VIP service"}
    # Half of the floor serves the VIP queue; everyone support and sales.
    assert sum("vip" in a.queues for a in data.agents) == 4
    assert all({"support", "sales"} <= set(a.queues) for a in data.agents)


def test_dashboard_users_log_in_with_the_passwords_given_back(
    seeded: tuple[Engine, DemoData],
) -> None:
    engine, data = seeded
    roles = Counter(user.role for user in data.users)
    assert roles == {UserRole.ADMIN: 1, UserRole.SUPERVISOR: 1, UserRole.AGENT: 8}
    assert len({user.password for user in data.users}) == len(data.users)
    with Session(engine) as session:
        for user in data.users:
            assert len(user.password) >= 16
            found = authenticate(session, user.username, user.password)
            assert found is not None and found.role == user.role
            if user.agent_login:
                agent = session.get(Agent, found.agent_id)
                assert agent is not None and agent.login == user.agent_login
        assert session.scalar(select(func.count()).select_from(User)) == 10


def test_the_campaign_passes_the_dialers_checks_and_is_running_with_its_leads(
    seeded: tuple[Engine, DemoData],
) -> None:
    engine, data = seeded
    assert data.campaign == DEMO_CAMPAIGN and data.campaign_warnings == ()
    with Session(engine) as session:
        campaign = find_campaign(session, DEMO_CAMPAIGN)
        settings = load_campaign_settings(campaign, session)
        assert campaign.status is CampaignStatus.ACTIVE
        assert settings.dial_mode.value == "predictive" and settings.queue == "sales"
        assert settings.amd_enabled and settings.ring_timeout_s == 15
        assert len(campaign_agent_ids(session, campaign.id)) == 8
        phones = dict(
            session.execute(
                select(Lead.external_ref, LeadPhone.phone_e164)
                .join(LeadPhone, LeadPhone.lead_id == Lead.id)
                .where(Lead.campaign_id == campaign.id)
            ).all()
        )
    assert phones == {lead.external_ref: lead.number for lead in data.leads}
    # The model's mix, by largest remainder: 50 % people, 15 % busy...
    assert Counter(lead.kind for lead in data.leads) == {
        "person": 150,
        "busy": 45,
        "no_answer": 45,
        "machine": 36,
        "unallocated": 24,
    }
    # Retries come back within a demo: the real delays, compressed.
    assert settings.retry_delays_s["busy"] == 900 // TrafficModel().time_compression


def test_a_database_that_is_not_empty_is_refused(seeded: tuple[Engine, DemoData]) -> None:
    engine, _ = seeded
    with pytest.raises(DemoDataError, match="already holds 3000 customers, 8 agents, 10 users"):
        seed(engine)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_seed_gives_the_same_customers_but_never_the_same_secrets(
    request: pytest.FixtureRequest, backend: str
) -> None:
    first = seed(new_engine(request, backend, "first"), customers=60, agents=2, leads=10)
    second = seed(new_engine(request, backend, "second"), customers=60, agents=2, leads=10)
    assert first.customers == second.customers and first.leads == second.leads
    assert [u.password for u in first.users] != [u.password for u in second.users]
    assert [a.pin for a in first.agents] != [a.pin for a in second.agents]
