"""Campaigns in the database: settings saved and read back, who works a campaign, status
changes, and the figures ``campaign show`` prints."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from datetime import time as TimeOfDay

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from asterisk_cc.core.dialer.calling_window import CallingWindow
from asterisk_cc.core.dialer.campaign import CampaignError, CampaignSettings
from asterisk_cc.core.vocabulary import (
    AbandonDefinition,
    CallOutcome,
    CampaignStatus,
    DialMode,
    LeadStatus,
)
from asterisk_cc.db.campaigns import (
    CampaignNotFound,
    attempt_summary,
    campaign_agent_ids,
    find_campaign,
    lead_counts,
    list_campaigns,
    load_campaign_settings,
    local_day_start,
    save_campaign,
    set_campaign_status,
)
from asterisk_cc.db.models import (
    Agent,
    AgentSkill,
    AuditLogEntry,
    CallAttempt,
    Campaign,
    Lead,
    Queue,
    QueueSkill,
    Skill,
    Team,
)

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def add_agent(session: Session, login: str, team: Team | None = None, active: bool = True) -> Agent:
    agent = Agent(login=login, name=login, team_id=team.id if team else None, active=active)
    session.add(agent)
    session.flush()
    return agent


def add_team(session: Session, name: str) -> Team:
    team = Team(name=name)
    session.add(team)
    session.flush()
    return team


def full_settings(
    name: str, agents: tuple[str, ...] = (), teams: tuple[str, ...] = ()
) -> CampaignSettings:
    return CampaignSettings(
        name=name,
        dial_mode=DialMode.PREDICTIVE,
        queue=unique("q"),
        caller_id="+442071234567",
        timezone="Europe/London",
        window=CallingWindow(
            TimeOfDay(9), TimeOfDay(20), frozenset(range(6)), frozenset({date(2026, 12, 25)})
        ),
        max_attempts=6,
        retry_delays_s={"busy": 600},
        ring_timeout_s=22,
        amd_enabled=True,
        machine_action="message",
        machine_message="custom/machine",
        abandon_target_ratio=0.02,
        abandon_definition=AbandonDefinition.OFCOM_DAILY,
        abandon_message="custom/abandon",
        max_lines_per_agent=2.5,
        recording="all",
        agents=agents,
        teams=teams,
    )


def test_settings_saved_read_back_equal(db_session: Session) -> None:
    team = add_team(db_session, unique("team"))
    agent = add_agent(db_session, unique("a"))
    settings = full_settings(unique("uk"), agents=(agent.login,), teams=(team.name,))
    campaign = save_campaign(db_session, settings, NOW)
    db_session.expire_all()
    stored = db_session.get(Campaign, campaign.id)
    assert stored is not None and stored.status is CampaignStatus.DRAFT
    assert stored.call_days == "mon,tue,wed,thu,fri,sat" and stored.holidays == ["2026-12-25"]
    assert load_campaign_settings(stored) == settings
    queue = db_session.scalars(select(Queue).where(Queue.id == stored.queue_id)).one()
    assert queue.name == settings.queue  # made on first use, as the IVR does


def test_saving_again_updates_and_keeps_the_status(db_session: Session) -> None:
    first, second = add_agent(db_session, unique("a")), add_agent(db_session, unique("a"))
    name = unique("camp")
    campaign = save_campaign(db_session, full_settings(name, agents=(first.login,)), NOW)
    campaign.status = CampaignStatus.PAUSED
    changed = CampaignSettings(name=name, max_attempts=9, agents=(second.login,))
    again = save_campaign(db_session, changed, NOW + timedelta(hours=1))
    assert again.id == campaign.id and again.status is CampaignStatus.PAUSED
    assert load_campaign_settings(again) == changed
    actions = db_session.scalars(
        select(AuditLogEntry.action).where(AuditLogEntry.target == f"campaign:{name}")
    ).all()
    assert sorted(actions) == ["campaign_created", "campaign_updated"]


def test_unknown_agents_and_teams_are_named(db_session: Session) -> None:
    settings = CampaignSettings(name=unique("c"), agents=("ghost-1",), teams=("ghosts",))
    with pytest.raises(CampaignError) as caught:
        save_campaign(db_session, settings, NOW)
    assert caught.value.problems == (
        "agents: no agent with login 'ghost-1'",
        "teams: no team named 'ghosts'",
    )


def test_a_bare_campaign_row_reads_with_the_column_defaults(db_session: Session) -> None:
    row = Campaign(name=unique("bare"), dial_mode=DialMode.PROGRESSIVE)
    db_session.add(row)
    db_session.flush()
    db_session.refresh(row)
    settings = load_campaign_settings(row)
    assert (settings.timezone, settings.max_attempts, settings.ring_timeout_s) == ("UTC", 3, 25)
    assert settings.window.start == TimeOfDay(9) and settings.window.days == frozenset(range(5))


def test_a_row_holding_unlawful_values_is_refused(db_session: Session) -> None:
    row = Campaign(name=unique("bad"), dial_mode=DialMode.PREDICTIVE, ring_timeout_s=10)
    db_session.add(row)
    db_session.flush()
    db_session.refresh(row)
    with pytest.raises(CampaignError, match="ring_timeout_s"):
        load_campaign_settings(row)


def test_find_and_list(db_session: Session) -> None:
    name = unique("findme")
    save_campaign(db_session, CampaignSettings(name=name), NOW)
    assert find_campaign(db_session, f" {name} ").name == name
    assert name in [c.name for c in list_campaigns(db_session)]
    with pytest.raises(CampaignNotFound, match=f"no campaign named 'nope'; campaigns: .*{name}"):
        find_campaign(db_session, "nope")


# --- who works a campaign ----------------------------------------------------------------------


def test_assigned_agents_and_team_members_work_the_campaign(db_session: Session) -> None:
    team = add_team(db_session, unique("team"))
    member = add_agent(db_session, unique("m"), team)
    add_agent(db_session, unique("gone"), team, active=False)
    solo = add_agent(db_session, unique("s"))
    add_agent(db_session, unique("other"))
    campaign = save_campaign(
        db_session,
        CampaignSettings(name=unique("c"), agents=(solo.login,), teams=(team.name,)),
        NOW,
    )
    assert campaign_agent_ids(db_session, campaign.id) == {member.id, solo.id}


def test_without_assignments_the_queues_skilled_agents_work_it(db_session: Session) -> None:
    skill = Skill(name=unique("skill"))
    db_session.add(skill)
    queue_name = unique("q")
    campaign = save_campaign(db_session, CampaignSettings(name=unique("c"), queue=queue_name), NOW)
    assert campaign.queue_id is not None
    db_session.add(QueueSkill(queue_id=campaign.queue_id, skill_id=skill.id, min_level=5))
    good, weak, inactive = (
        add_agent(db_session, unique("g")),
        add_agent(db_session, unique("w")),
        add_agent(db_session, unique("i"), active=False),
    )
    db_session.add_all(
        [
            AgentSkill(agent_id=good.id, skill_id=skill.id, level=7),
            AgentSkill(agent_id=weak.id, skill_id=skill.id, level=4),
            AgentSkill(agent_id=inactive.id, skill_id=skill.id, level=9),
        ]
    )
    db_session.flush()
    assert campaign_agent_ids(db_session, campaign.id) == {good.id}
    nobody = save_campaign(db_session, CampaignSettings(name=unique("c")), NOW)
    assert campaign_agent_ids(db_session, nobody.id) == set()


# --- status --------------------------------------------------------------------------------------


def test_status_changes_are_checked_and_audited(db_session: Session) -> None:
    agent = add_agent(db_session, unique("a"))
    name = unique("c")
    campaign = save_campaign(db_session, CampaignSettings(name=name, agents=(agent.login,)), NOW)
    assert set_campaign_status(db_session, campaign, "start", NOW) is CampaignStatus.ACTIVE
    assert set_campaign_status(db_session, campaign, "pause", NOW) is CampaignStatus.PAUSED
    with pytest.raises(ValueError, match="a paused campaign cannot be paused"):
        set_campaign_status(db_session, campaign, "pause", NOW)
    assert set_campaign_status(db_session, campaign, "stop", NOW) is CampaignStatus.FINISHED
    details = db_session.scalars(
        select(AuditLogEntry.details).where(
            AuditLogEntry.target == f"campaign:{name}", AuditLogEntry.action == "campaign_stop"
        )
    ).one()
    assert details == {"from": "paused", "to": "finished"}


def test_a_campaign_nobody_works_cannot_start(db_session: Session) -> None:
    campaign = save_campaign(db_session, CampaignSettings(name=unique("c")), NOW)
    with pytest.raises(ValueError, match="no active agent to take its calls"):
        set_campaign_status(db_session, campaign, "start", NOW)
    assert campaign.status is CampaignStatus.DRAFT


# --- figures -------------------------------------------------------------------------------------


def test_lead_counts_and_attempt_summary(db_session: Session) -> None:
    campaign = save_campaign(db_session, CampaignSettings(name=unique("c")), NOW)
    db_session.execute(
        insert(Lead),
        [
            {"campaign_id": campaign.id, "status": status, "next_attempt_at": NOW}
            for status in (LeadStatus.PENDING, LeadStatus.PENDING, LeadStatus.DONE)
        ],
    )
    lead_id = db_session.scalars(select(Lead.id).where(Lead.campaign_id == campaign.id)).first()
    attempts = [
        (CallOutcome.HUMAN, False, 1),
        (CallOutcome.HUMAN, True, 2),
        (CallOutcome.NO_ANSWER, False, 3),
        (CallOutcome.HUMAN, False, 30 * 60),  # yesterday: outside the period
    ]
    for outcome, abandoned, minutes_ago in attempts:
        started = NOW - timedelta(minutes=minutes_ago)
        db_session.add(
            CallAttempt(
                campaign_id=campaign.id,
                lead_id=lead_id,
                phone_e164="+12125550143",
                started_at=started,
                answered_at=started if outcome is CallOutcome.HUMAN else None,
                outcome=outcome,
                abandoned=abandoned,
            )
        )
    db_session.flush()
    counts = lead_counts(db_session, campaign.id)
    assert counts[LeadStatus.PENDING] == 2 and counts[LeadStatus.DONE] == 1
    assert counts[LeadStatus.DNC] == 0 and len(counts) == len(LeadStatus)
    summary = attempt_summary(db_session, campaign.id, NOW - timedelta(hours=1), NOW)
    assert (summary.attempts, summary.live_answers, summary.abandoned) == (3, 2, 1)
    assert summary.abandon_ratio == 0.5
    empty = attempt_summary(db_session, campaign.id, NOW, NOW + timedelta(hours=1))
    assert empty.abandon_ratio is None


def test_today_starts_at_the_campaigns_local_midnight() -> None:
    start = local_day_start(datetime(2026, 11, 2, 3, 0, tzinfo=UTC), "America/New_York")
    assert start.astimezone(UTC) == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 00:00 EDT
