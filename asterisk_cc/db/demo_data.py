"""The demo's database: a contact centre ready to take calls, seeded into an empty database.

:func:`seed_demo` writes, with the product's own functions wherever it has one:

* customers of the built-in CRM, with tiers (standard, gold, VIP), a language, an E.164 number
  (what the IVR's caller-ID lookup finds), an account number (what the hotline's self-service
  asks unknown callers for), a balance (what it says) and, for some, a complaint ticket that
  is open or closed (what the ticket status says);
* the queues the hotline routes to (support, sales, vip), a skill for each, and agents with
  those skills, a phone log-in number and a PIN (``*45``, as the ARI controller takes it);
* a predictive campaign on the sales queue, checked by the dialer's own rules
  (:func:`~asterisk_cc.core.dialer.campaign.campaign_from_mapping`), its leads imported as a
  lead file is (:func:`~asterisk_cc.db.lead_import.import_leads`), started;
* dashboard users: an admin, a supervisor and one user per agent.

The hotline is the IVR's default flow by configuration (``[ivr] default_flow``), not by data.

Names, tiers, numbers and balances come from the ``rng`` the caller passes, so a seed gives the
same customers again. Passwords and PINs never do: they are drawn with :mod:`secrets` and
returned in :class:`DemoData`, for the demo to print. The database must be empty (no
customers, agents, users or campaigns): the demo refuses to mix its made-up contact centre
into real data. The caller commits.
"""

from __future__ import annotations

import csv
import io
import math
import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asterisk_cc.core.customers import Tier
from asterisk_cc.core.dialer.campaign import campaign_from_mapping, campaign_warnings
from asterisk_cc.core.dialer.lead_csv import LeadColumns
from asterisk_cc.core.dialer.retry import DEFAULT_DELAYS_S
from asterisk_cc.core.sla import complaint_due_at
from asterisk_cc.core.tickets import TicketState
from asterisk_cc.core.traffic import DemoCustomer, TrafficModel
from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.db.agents import set_agent_pin
from asterisk_cc.db.campaigns import save_campaign, set_campaign_status
from asterisk_cc.db.ivr_store import queue_id
from asterisk_cc.db.lead_import import import_leads
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    Campaign,
    ComplaintTicket,
    Customer,
    CustomerPhone,
    Queue,
    QueueSkill,
    Skill,
    Team,
    User,
)
from asterisk_cc.db.tickets import move_ticket, open_complaint
from asterisk_cc.db.users import create_user

__all__ = [
    "DEMO_CAMPAIGN",
    "DEMO_QUEUES",
    "DemoAgent",
    "DemoData",
    "DemoDataError",
    "DemoLead",
    "DemoUser",
    "LeadNumber",
    "seed_demo",
]

DEMO_CAMPAIGN: Final = "demo-outbound"
DEMO_QUEUES: Final = {
    "support": "Customer support",
    "sales": "Sales",
    "vip": "VIP service",
}
"""The queues the hotline routes to, with their names on the dashboard."""
CAMPAIGN_QUEUE: Final = "sales"
CAMPAIGN_CALLER_ID: Final = '"Service Hotline" <+864008208820>'
ABANDON_MESSAGE: Final = "please-try-call-later"
CUSTOMER_PREFIX: Final = "+86139"
"""Customers' numbers: +86 139 and eight digits (unknown callers use +86 186, leads +86 138)."""
FIRST_AGENT_LOGIN: Final = 8001
TIER_SHARES: Final = {Tier.VIP: 0.05, Tier.GOLD: 0.20, Tier.STANDARD: 0.75}
ENGLISH_SHARE: Final = 0.15
TICKET_SHARE: Final = 0.08
"""Customers with a complaint on file; 60 % of those are closed."""
CLOSED_SHARE: Final = 0.6
NO_BALANCE_SHARE: Final = 0.02
"""Customers whose balance the CRM does not have (the hotline says it is unavailable)."""
PASSWORD_BYTES: Final = 12  # 16 characters of token_urlsafe
PIN_DIGITS: Final = 6

LeadNumber = Callable[[int, str], str]
"""``(serial, kind) -> E.164``: the number of a lead that behaves as ``kind`` when dialled
(the sandbox's scripted customers: :func:`asterisk_cc.sandbox.callers.lead_number`)."""

_SURNAMES: Final = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛"
_GIVEN: Final = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文博宇欣怡子涵浩然思雨佳琪俊杰梓轩"
_FIRST_NAMES: Final = (
    "Anna", "Ben", "Chloe", "David", "Emma", "Frank", "Grace", "Henry", "Isla", "Jack",
    "Kate", "Liam", "Mia", "Noah", "Olivia", "Paul", "Rose", "Sam", "Tom", "Zoe",
)  # fmt: skip
_LAST_NAMES: Final = (
    "Brown", "Clark", "Davies", "Evans", "Green", "Hall", "Hughes", "Jones", "King", "Lewis",
    "Moore", "Parker", "Roberts", "Smith", "Taylor", "Walker", "White", "Wilson", "Wood",
)  # fmt: skip


class DemoDataError(ValueError):
    """The demo's data cannot be seeded (the database is not empty)."""


@dataclass(frozen=True)
class DemoAgent:
    login: str
    """The agent number keyed at ``*45``, and the member name in app_queue."""
    name: str
    pin: str
    queues: tuple[str, ...]


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: UserRole
    agent_login: str | None = None


@dataclass(frozen=True)
class DemoLead:
    external_ref: str
    number: str
    kind: str
    """What the scripted customer does when dialled (``person``, ``busy``...)."""


@dataclass(frozen=True)
class DemoData:
    """What :func:`seed_demo` made, with the secrets the demo prints."""

    customers: tuple[DemoCustomer, ...]
    agents: tuple[DemoAgent, ...]
    users: tuple[DemoUser, ...]
    campaign: str
    leads: tuple[DemoLead, ...]
    campaign_warnings: tuple[str, ...] = ()

    @property
    def phone_logins(self) -> list[tuple[str, str]]:
        """``(login, PIN)`` of every agent: what their phones key at ``*45``."""
        return [(agent.login, agent.pin) for agent in self.agents]


def seed_demo(
    session: Session,
    *,
    rng: random.Random,
    now: datetime,
    lead_number: LeadNumber,
    customers: int = 3000,
    agents: int = 8,
    leads: int = 300,
    model: TrafficModel | None = None,
    timezone: str = "Asia/Shanghai",
    region: str = "CN",
    complaint_due_hours: int = 24,
) -> DemoData:
    """Seed the demo's contact centre into the empty database of ``session``; see the module
    docstring. ``lead_number`` makes the campaign's numbers; ``model`` gives the lead mix and
    the campaign's demo-sized retry delays; ``timezone`` and ``region`` are the site's."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not 1 <= customers <= 10**6 or not 1 <= agents <= 999 or not 0 <= leads <= 10_000:
        raise ValueError("the demo seeds 1-1 000 000 customers, 1-999 agents, 0-10 000 leads")
    _refuse_unless_empty(session)
    model = model or TrafficModel()
    made_customers = _seed_customers(session, rng, now, customers, complaint_due_hours)
    made_agents = _seed_agents(session, rng, agents)
    users = _seed_users(session, made_agents)
    warnings, made_leads = _seed_campaign(
        session, rng, now, model, lead_number, leads, timezone, region
    )
    return DemoData(
        customers=tuple(made_customers),
        agents=tuple(made_agents),
        users=tuple(users),
        campaign=DEMO_CAMPAIGN,
        leads=tuple(made_leads),
        campaign_warnings=tuple(warnings),
    )


def _refuse_unless_empty(session: Session) -> None:
    found = {
        label: session.scalar(select(func.count()).select_from(model)) or 0
        for label, model in (
            ("customers", Customer),
            ("agents", Agent),
            ("users", User),
            ("campaigns", Campaign),
        )
    }
    held = [f"{count} {label}" for label, count in found.items() if count]
    if held:
        raise DemoDataError(
            f"the database already holds {', '.join(held)}: the demo seeds only an empty "
            "database, so its made-up customers never mix with real ones. Fix: give the demo "
            "a new database (a new SQLite file)."
        )


# --- customers -----------------------------------------------------------------------------------


def _chinese_name(rng: random.Random) -> str:
    given = "".join(_GIVEN[rng.randrange(len(_GIVEN))] for _ in range(1 + rng.randrange(2)))
    return _SURNAMES[rng.randrange(len(_SURNAMES))] + given


def _english_name(rng: random.Random) -> str:
    first = _FIRST_NAMES[rng.randrange(len(_FIRST_NAMES))]
    return f"{first} {_LAST_NAMES[rng.randrange(len(_LAST_NAMES))]}"


def _seed_customers(
    session: Session, rng: random.Random, now: datetime, count: int, due_hours: int
) -> list[DemoCustomer]:
    tiers = list(TIER_SHARES)
    numbers = rng.sample(range(10**8), count)
    accounts = rng.sample(range(10**6), count) if count <= 10**6 else []
    rows = []
    for index in range(count):
        tier = rng.choices(tiers, weights=[TIER_SHARES[t] for t in tiers])[0]
        english = rng.random() < ENGLISH_SHARE
        balance = (
            None
            if rng.random() < NO_BALANCE_SHARE
            else f"{rng.lognormvariate(math.log(600), 1.0):.2f}"
        )
        customer = Customer(
            name=_english_name(rng) if english else _chinese_name(rng),
            account_number=f"62{accounts[index]:06d}",
            tier=tier,
            language="en" if english else "zh",
            timezone="Asia/Shanghai",
            attributes={"balance": balance} if balance is not None else {},
        )
        customer.phones.append(
            CustomerPhone(phone_e164=f"{CUSTOMER_PREFIX}{numbers[index]:08d}", label="mobile")
        )
        rows.append(customer)
    session.add_all(rows)
    session.flush()
    opened: list[tuple[int, ComplaintTicket]] = []
    for customer in rows:
        if rng.random() >= TICKET_SHARE:
            continue
        received = now - timedelta(days=1 + rng.randrange(60), minutes=rng.randrange(600))
        ticket = open_complaint(
            session,
            description="Complaint made to the hotline (demo data).",
            now=received,
            customer_id=customer.id,
            caller_e164=customer.phones[0].phone_e164,
            category="hotline",
            due_at=complaint_due_at(received, due_hours),
        )
        if rng.random() < CLOSED_SHARE:
            move_ticket(
                session,
                ticket,
                TicketState.CLOSED,
                received + timedelta(hours=1 + rng.randrange(48)),
                note="Resolved with the customer (demo data).",
            )
        opened.append((customer.id, ticket))
    session.flush()
    tickets = {cid: (str(t.id), TicketState(t.state).value) for cid, t in opened}
    made = []
    for customer in rows:
        ticket_id, ticket_state = tickets.get(customer.id, (None, None))
        made.append(
            DemoCustomer(
                customer_id=str(customer.id),
                e164=customer.phones[0].phone_e164,
                account=customer.account_number or "",
                tier=Tier(customer.tier),
                language=customer.language,
                balance=customer.attributes.get("balance"),
                ticket_id=ticket_id,
                ticket_state=ticket_state,
            )
        )
    return made


# --- agents and users ----------------------------------------------------------------------------


def _seed_agents(session: Session, rng: random.Random, count: int) -> list[DemoAgent]:
    skills = {
        name: Skill(name=name, description=f"Takes the {name} queue's calls")
        for name in DEMO_QUEUES
    }
    session.add_all(skills.values())
    session.flush()
    for name, shown in DEMO_QUEUES.items():
        row = session.get(Queue, queue_id(session, name))
        assert row is not None
        row.display_name = shown
        session.add(QueueSkill(queue_id=row.id, skill_id=skills[name].id, min_level=1, penalty=0))
    teams = [
        Team(name="Team A", description="Demo team"),
        Team(name="Team B", description="Demo team"),
    ]
    session.add_all(teams)
    session.flush()
    made = []
    # The senior half of the floor also serves the VIP queue.
    seniors = math.ceil(count / 2)
    for index in range(count):
        login = str(FIRST_AGENT_LOGIN + index)
        queues = ("sales", "support", "vip") if index < seniors else ("sales", "support")
        agent = Agent(login=login, name=_chinese_name(rng), team_id=teams[index % 2].id)
        session.add(agent)
        session.flush()
        for queue in queues:
            session.add(
                AgentSkill(
                    agent_id=agent.id,
                    skill_id=skills[queue].id,
                    level=5 + rng.randrange(5),
                    penalty=0,
                )
            )
        pin = "".join(str(secrets.randbelow(10)) for _ in range(PIN_DIGITS))
        set_agent_pin(session, login, pin)
        made.append(DemoAgent(login, agent.name, pin, queues))
    session.flush()
    return made


def _password() -> str:
    return secrets.token_urlsafe(PASSWORD_BYTES)


def _seed_users(session: Session, agents: Sequence[DemoAgent]) -> list[DemoUser]:
    wanted = [
        DemoUser("admin", _password(), UserRole.ADMIN),
        DemoUser("supervisor", _password(), UserRole.SUPERVISOR),
        *(
            DemoUser(f"agent-{agent.login}", _password(), UserRole.AGENT, agent.login)
            for agent in agents
        ),
    ]
    names = {agent.login: agent.name for agent in agents}
    for user in wanted:
        create_user(
            session,
            username=user.username,
            password=user.password,
            role=user.role,
            display_name=names.get(user.agent_login or "", user.username.capitalize()),
            agent_login=user.agent_login,
        )
    return wanted


# --- the campaign --------------------------------------------------------------------------------


def _seed_campaign(
    session: Session,
    rng: random.Random,
    now: datetime,
    model: TrafficModel,
    lead_number: LeadNumber,
    count: int,
    timezone: str,
    region: str,
) -> tuple[list[str], list[DemoLead]]:
    settings = campaign_from_mapping(
        {
            "name": DEMO_CAMPAIGN,
            "dial_mode": "predictive",
            "queue": CAMPAIGN_QUEUE,
            "caller_id": CAMPAIGN_CALLER_ID,
            # Its customers are the sandbox's scripted ones: it may call at any hour, so the
            # demo works at any hour.
            "window": "00:00-24:00",
            "days": "all",
            "max_attempts": 3,
            # Retries come back within the demo, as its calls are demo-sized.
            "retry_delays_s": {
                outcome: max(60, round(model.demo_s(delay)))
                for outcome, delay in DEFAULT_DELAYS_S.items()
            },
            "ring_timeout_s": 15,
            "amd_enabled": True,
            "machine_action": "hangup",
            # A person no agent takes within 2 s hears this stock sound (about 2 s long).
            "abandon_message": ABANDON_MESSAGE,
            "recording": "none",
        },
        default_timezone=timezone,
    )
    campaign = save_campaign(session, settings, now)
    kinds = model.lead_mix.kinds(count, rng)
    made = [
        DemoLead(f"demo-{serial:04d}", lead_number(serial, kind), kind)
        for serial, kind in enumerate(kinds)
    ]
    if made:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["ref", "phone", "name"])
        for lead in made:
            writer.writerow([lead.external_ref, lead.number, _chinese_name(rng)])
        report = import_leads(
            session,
            campaign.id,
            out.getvalue(),
            LeadColumns(phones=("phone",), external_ref="ref", fields=("name",)),
            region,
            now,
        )
        if report.rejected:
            first = report.rejected[0]
            raise DemoDataError(
                f"{len(report.rejected)} of the demo's leads were refused, the first "
                f"(line {first.line}): {first.reason}"
            )
    set_campaign_status(session, campaign, "start", now)
    return campaign_warnings(settings), made
