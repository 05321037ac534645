"""The initial schema: every table of the product.

See asterisk_cc/db/models.py for what each table is for. Written out in full, not generated
at run time. Types are spelled as the databases store them: timestamps are ``timestamp with
time zone`` (UTC text on SQLite), JSON documents are ``jsonb`` on PostgreSQL, high-volume keys
are 64-bit on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
NOW = sa.func.now()
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=True),
        sa.Column(
            "tier",
            sa.Enum(
                "vip",
                "gold",
                "standard",
                name="tier",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="standard",
            nullable=False,
        ),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("account_number", name=op.f("uq_customers_account_number")),
    )
    op.create_table(
        "ingest_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=True),
        sa.Column("position", BIG_ID, server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ingest_cursors")),
    )
    op.create_table(
        "qa_scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("pass_score", sa.Float(), server_default=sa.text("80"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "pass_score >= 0 AND pass_score <= 100", name=op.f("ck_qa_scorecards_pass_score_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scorecards")),
        sa.UniqueConstraint("name", name=op.f("uq_qa_scorecards_name")),
    )
    op.create_table(
        "queue_log_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("callid", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("data1", sa.String(length=255), nullable=True),
        sa.Column("data2", sa.String(length=255), nullable=True),
        sa.Column("data3", sa.String(length=255), nullable=True),
        sa.Column("data4", sa.String(length=255), nullable=True),
        sa.Column("data5", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_log_events")),
    )
    op.create_index("ix_queue_log_events_at", "queue_log_events", ["at"])
    op.create_index("ix_queue_log_events_callid", "queue_log_events", ["callid"])
    op.create_index("ix_queue_log_events_queue_at", "queue_log_events", ["queue", "at"])
    op.create_table(
        "queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column(
            "service_level_threshold_s", sa.Integer(), server_default=sa.text("20"), nullable=False
        ),
        sa.Column(
            "service_level_target_ratio", sa.Float(), server_default=sa.text("0.8"), nullable=False
        ),
        sa.Column("short_abandon_s", sa.Integer(), server_default=sa.text("5"), nullable=False),
        sa.Column("wrapup_limit_s", sa.Integer(), server_default=sa.text("30"), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "service_level_target_ratio >= 0 AND service_level_target_ratio <= 1",
            name=op.f("ck_queues_sl_target_ratio"),
        ),
        sa.CheckConstraint(
            "service_level_threshold_s > 0", name=op.f("ck_queues_sl_threshold_positive")
        ),
        sa.CheckConstraint(
            "short_abandon_s >= 0", name=op.f("ck_queues_short_abandon_not_negative")
        ),
        sa.CheckConstraint("wrapup_limit_s >= 0", name=op.f("ck_queues_wrapup_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queues")),
        sa.UniqueConstraint("name", name=op.f("uq_queues_name")),
    )
    op.create_table(
        "report_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report", sa.String(length=64), nullable=False),
        sa.Column("period_start", TIMESTAMP, nullable=False),
        sa.Column("period_end", TIMESTAMP, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="report_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="queued",
            nullable=False,
        ),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("output_path", sa.String(length=500), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("period_end > period_start", name=op.f("ck_report_runs_period_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
    )
    op.create_index("ix_report_runs_report_period_start", "report_runs", ["report", "period_start"])
    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
        sa.UniqueConstraint("name", name=op.f("uq_skills_name")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("interface", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_agents_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("login", name=op.f("uq_agents_login")),
    )
    op.create_index("ix_agents_team_id", "agents", ["team_id"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "dial_mode",
            sa.Enum(
                "preview",
                "progressive",
                "predictive",
                name="dial_mode",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "paused",
                "finished",
                "archived",
                name="campaign_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("caller_id", sa.String(length=64), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("window_start", sa.Time(), server_default="09:00:00", nullable=False),
        sa.Column("window_end", sa.Time(), server_default="21:00:00", nullable=False),
        sa.Column(
            "call_days", sa.String(length=32), server_default="mon,tue,wed,thu,fri", nullable=False
        ),
        sa.Column("max_attempts", sa.Integer(), server_default=sa.text("3"), nullable=False),
        sa.Column("retry_delays_s", JSON_DOC, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("ring_timeout_s", sa.Integer(), server_default=sa.text("25"), nullable=False),
        sa.Column("amd_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("amd_options", JSON_DOC, server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "abandon_target_ratio", sa.Float(), server_default=sa.text("0.03"), nullable=False
        ),
        sa.Column(
            "abandon_definition",
            sa.Enum(
                "ftc_30d",
                "fcc_30d",
                "ofcom_daily",
                name="abandon_definition",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="ftc_30d",
            nullable=False,
        ),
        sa.Column("max_lines_per_agent", sa.Float(), server_default=sa.text("3.0"), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "abandon_target_ratio >= 0 AND abandon_target_ratio <= 1",
            name=op.f("ck_campaigns_abandon_target_ratio"),
        ),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_campaigns_max_attempts_positive")),
        sa.CheckConstraint(
            "max_lines_per_agent >= 1", name=op.f("ck_campaigns_max_lines_per_agent")
        ),
        sa.CheckConstraint("ring_timeout_s > 0", name=op.f("ck_campaigns_ring_timeout_positive")),
        sa.CheckConstraint("window_start < window_end", name=op.f("ck_campaigns_window_order")),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_campaigns_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_index("ix_campaigns_queue_id", "campaigns", ["queue_id"])
    op.create_table(
        "customer_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "phone_e164 LIKE '+%' AND length(phone_e164) BETWEEN 8 AND 16",
            name=op.f("ck_customer_phones_phone_e164_format"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_phones_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_phones")),
    )
    op.create_index("ix_customer_phones_customer_id", "customer_phones", ["customer_id"])
    op.create_index("ux_customer_phones_phone_e164", "customer_phones", ["phone_e164"], unique=True)
    op.create_table(
        "ivr_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=True),
        sa.Column("caller_e164", sa.String(length=16), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("flow", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("path", JSON_DOC, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("inputs", JSON_DOC, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_ivr_sessions_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_ivr_sessions_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_sessions")),
    )
    op.create_index("ix_ivr_sessions_customer_id", "ivr_sessions", ["customer_id"])
    op.create_index("ix_ivr_sessions_flow_started_at", "ivr_sessions", ["flow", "started_at"])
    op.create_index("ix_ivr_sessions_linkedid", "ivr_sessions", ["linkedid"])
    op.create_index("ix_ivr_sessions_started_at", "ivr_sessions", ["started_at"])
    op.create_table(
        "qa_scorecard_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("weight", sa.Float(), server_default=sa.text("1"), nullable=False),
        sa.Column("critical", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_qa_scorecard_items_weight_positive")),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["qa_scorecards.id"],
            name=op.f("fk_qa_scorecard_items_scorecard_id_qa_scorecards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scorecard_items")),
        sa.UniqueConstraint(
            "scorecard_id", "position", name=op.f("uq_qa_scorecard_items_scorecard_id_position")
        ),
    )
    op.create_table(
        "queue_skills",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("min_level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("penalty", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "min_level BETWEEN 1 AND 10", name=op.f("ck_queue_skills_min_level_range")
        ),
        sa.CheckConstraint("penalty >= 0", name=op.f("ck_queue_skills_penalty_not_negative")),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queues.id"],
            name=op.f("fk_queue_skills_queue_id_queues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skills.id"],
            name=op.f("fk_queue_skills_skill_id_skills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("queue_id", "skill_id", name=op.f("pk_queue_skills")),
    )
    op.create_index("ix_queue_skills_skill_id", "queue_skills", ["skill_id"])
    op.create_table(
        "agent_skills",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("penalty", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 10", name=op.f("ck_agent_skills_level_range")),
        sa.CheckConstraint("penalty >= 0", name=op.f("ck_agent_skills_penalty_not_negative")),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_skills_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skills.id"],
            name=op.f("fk_agent_skills_skill_id_skills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "skill_id", name=op.f("pk_agent_skills")),
    )
    op.create_index("ix_agent_skills_skill_id", "agent_skills", ["skill_id"])
    op.create_table(
        "interactions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("uniqueid", sa.String(length=64), nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "inbound",
                "outbound",
                "internal",
                name="direction",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column(
            "customer_tier",
            sa.Enum(
                "vip",
                "gold",
                "standard",
                name="customer_tier",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("caller_number", sa.String(length=64), nullable=True),
        sa.Column("caller_e164", sa.String(length=16), nullable=True),
        sa.Column("called_number", sa.String(length=64), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("answered_at", TIMESTAMP, nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("wait_s", sa.Integer(), nullable=True),
        sa.Column("talk_s", sa.Integer(), nullable=True),
        sa.Column("hold_s", sa.Integer(), nullable=True),
        sa.Column("wrapup_s", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("recording_ref", sa.String(length=255), nullable=True),
        sa.Column("transferred", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "answered_at IS NULL OR answered_at >= started_at",
            name=op.f("ck_interactions_answered_after_start"),
        ),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at",
            name=op.f("ck_interactions_ended_after_start"),
        ),
        sa.CheckConstraint(
            "wait_s >= 0 AND talk_s >= 0 AND hold_s >= 0 AND wrapup_s >= 0",
            name=op.f("ck_interactions_durations_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_interactions_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_interactions_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_interactions_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_interactions_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
        sa.UniqueConstraint("linkedid", name=op.f("uq_interactions_linkedid")),
    )
    op.create_index(
        "ix_interactions_agent_id_started_at", "interactions", ["agent_id", "started_at"]
    )
    op.create_index(
        "ix_interactions_campaign_id_started_at", "interactions", ["campaign_id", "started_at"]
    )
    op.create_index(
        "ix_interactions_customer_id_started_at", "interactions", ["customer_id", "started_at"]
    )
    op.create_index(
        "ix_interactions_queue_id_started_at", "interactions", ["queue_id", "started_at"]
    )
    op.create_index("ix_interactions_started_at", "interactions", ["started_at"])
    op.create_index("ix_interactions_uniqueid", "interactions", ["uniqueid"])
    op.create_table(
        "ivr_steps",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("session_id", BIG_ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("input", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["ivr_sessions.id"],
            name=op.f("fk_ivr_steps_session_id_ivr_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_steps")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_ivr_steps_session_id_seq")),
    )
    op.create_table(
        "leads",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("external_ref", sa.String(length=64), nullable=True),
        sa.Column("fields", JSON_DOC, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "dialing",
                "done",
                "exhausted",
                "dnc",
                "invalid",
                "cancelled",
                name="lead_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("last_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("last_outcome", sa.String(length=32), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("locked_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "(status = 'dialing' AND locked_by IS NOT NULL AND locked_at IS NOT NULL) OR (status <> 'dialing' AND locked_by IS NULL)",
            name=op.f("ck_leads_claimed_iff_dialing"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_leads_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_leads_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_leads_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint(
            "campaign_id", "external_ref", name=op.f("uq_leads_campaign_id_external_ref")
        ),
    )
    op.create_index("ix_leads_customer_id", "leads", ["customer_id"])
    op.create_index("ix_leads_ready", "leads", ["campaign_id", "status", "next_attempt_at"])
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("activity", sa.String(length=32), server_default="shift", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_schedules_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_schedules_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_index("ix_schedules_agent_id_starts_at", "schedules", ["agent_id", "starts_at"])
    op.create_index("ix_schedules_starts_at", "schedules", ["starts_at"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "supervisor",
                "agent",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("last_login_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_users_agent_id_agents"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("agent_id", name=op.f("uq_users_agent_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "agent_state_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "logged_out",
                "ready",
                "reserved",
                "ringing",
                "talking",
                "wrap_up",
                "paused",
                name="agent_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("interaction_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_state_changes_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_agent_state_changes_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_agent_state_changes_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_changes")),
    )
    op.create_index("ix_agent_state_changes_agent_id_at", "agent_state_changes", ["agent_id", "at"])
    op.create_index("ix_agent_state_changes_at", "agent_state_changes", ["at"])
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("details", JSON_DOC, nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_user_id_at", "audit_log", ["user_id", "at"])
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("interaction_id", BIG_ID, nullable=True),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("preferred_at", TIMESTAMP, nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "scheduled",
                "in_progress",
                "done",
                "failed",
                "cancelled",
                name="callback_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("fulfilled_at", TIMESTAMP, nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "phone_e164 LIKE '+%' AND length(phone_e164) BETWEEN 8 AND 16",
            name=op.f("ck_callback_requests_phone_e164_format"),
        ),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_callback_requests_attempts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_callback_requests_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_callback_requests_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_callback_requests_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_callback_requests_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_requests")),
    )
    op.create_index("ix_callback_requests_phone_e164", "callback_requests", ["phone_e164"])
    op.create_index(
        "ix_callback_requests_status_preferred_at", "callback_requests", ["status", "preferred_at"]
    )
    op.create_table(
        "complaint_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "received",
                "confirmed",
                "planned",
                "executing",
                "follow_up",
                "closed",
                name="ticket_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="received",
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("owner_agent_id", sa.Integer(), nullable=True),
        sa.Column("interaction_id", BIG_ID, nullable=True),
        sa.Column("caller_e164", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("recording_ref", sa.String(length=255), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("confirmed_at", TIMESTAMP, nullable=True),
        sa.Column("planned_at", TIMESTAMP, nullable=True),
        sa.Column("executing_at", TIMESTAMP, nullable=True),
        sa.Column("follow_up_at", TIMESTAMP, nullable=True),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("due_at", TIMESTAMP, nullable=True),
        sa.Column("reopen_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("updated_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "(state = 'closed' AND closed_at IS NOT NULL) OR (state <> 'closed' AND closed_at IS NULL)",
            name=op.f("ck_complaint_tickets_closed_at_iff_closed"),
        ),
        sa.CheckConstraint(
            "reopen_count >= 0", name=op.f("ck_complaint_tickets_reopen_count_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_complaint_tickets_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_complaint_tickets_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_agent_id"],
            ["agents.id"],
            name=op.f("fk_complaint_tickets_owner_agent_id_agents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_tickets")),
    )
    op.create_index("ix_complaint_tickets_customer_id", "complaint_tickets", ["customer_id"])
    op.create_index("ix_complaint_tickets_interaction_id", "complaint_tickets", ["interaction_id"])
    op.create_index(
        "ix_complaint_tickets_owner_agent_id_state",
        "complaint_tickets",
        ["owner_agent_id", "state"],
    )
    op.create_index("ix_complaint_tickets_received_at", "complaint_tickets", ["received_at"])
    op.create_index("ix_complaint_tickets_state_due_at", "complaint_tickets", ["state", "due_at"])
    op.create_table(
        "dnc_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "global",
                "campaign",
                name="dnc_scope",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "(scope = 'campaign' AND campaign_id IS NOT NULL) OR (scope = 'global' AND campaign_id IS NULL)",
            name=op.f("ck_dnc_entries_scope_matches_campaign"),
        ),
        sa.CheckConstraint(
            "phone_e164 LIKE '+%' AND length(phone_e164) BETWEEN 8 AND 16",
            name=op.f("ck_dnc_entries_phone_e164_format"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_dnc_entries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_dnc_entries_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_entries")),
    )
    op.create_index("ix_dnc_entries_campaign_id", "dnc_entries", ["campaign_id"])
    op.create_index("ix_dnc_entries_phone_e164", "dnc_entries", ["phone_e164"])
    op.create_table(
        "lead_phones",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("lead_id", BIG_ID, nullable=False),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_outcome", sa.String(length=32), nullable=True),
        sa.Column("last_attempt_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "phone_e164 LIKE '+%' AND length(phone_e164) BETWEEN 8 AND 16",
            name=op.f("ck_lead_phones_phone_e164_format"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_lead_phones_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_phones_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_phones")),
        sa.UniqueConstraint(
            "lead_id", "phone_e164", name=op.f("uq_lead_phones_lead_id_phone_e164")
        ),
    )
    op.create_index("ix_lead_phones_phone_e164", "lead_phones", ["phone_e164"])
    op.create_table(
        "qa_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", BIG_ID, nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_user_id", sa.Integer(), nullable=True),
        sa.Column("evaluated_at", TIMESTAMP, nullable=False),
        sa.Column("answers", JSON_DOC, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("critical_failed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "score >= 0 AND score <= 100", name=op.f("ck_qa_evaluations_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_qa_evaluations_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["evaluator_user_id"],
            ["users.id"],
            name=op.f("fk_qa_evaluations_evaluator_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_qa_evaluations_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["qa_scorecards.id"],
            name=op.f("fk_qa_evaluations_scorecard_id_qa_scorecards"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluations")),
    )
    op.create_index(
        "ix_qa_evaluations_agent_id_evaluated_at", "qa_evaluations", ["agent_id", "evaluated_at"]
    )
    op.create_index("ix_qa_evaluations_interaction_id", "qa_evaluations", ["interaction_id"])
    op.create_table(
        "survey_answers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("interaction_id", BIG_ID, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_survey_answers_score_range")),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_survey_answers_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_survey_answers_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_survey_answers_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"], ["queues.id"], name=op.f("fk_survey_answers_queue_id_queues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint(
            "interaction_id", "question", name=op.f("uq_survey_answers_interaction_id_question")
        ),
    )
    op.create_index(
        "ix_survey_answers_agent_id_answered_at", "survey_answers", ["agent_id", "answered_at"]
    )
    op.create_index(
        "ix_survey_answers_queue_id_answered_at", "survey_answers", ["queue_id", "answered_at"]
    )
    op.create_table(
        "call_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", BIG_ID, nullable=False),
        sa.Column("lead_phone_id", BIG_ID, nullable=True),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column("dialer_id", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("interaction_id", BIG_ID, nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("answered_at", TIMESTAMP, nullable=True),
        sa.Column("connected_at", TIMESTAMP, nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "human",
                "machine",
                "no_answer",
                "busy",
                "congestion",
                "invalid_number",
                "failed",
                "cancelled",
                name="call_outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("amd_result", sa.String(length=16), nullable=True),
        sa.Column("amd_cause", sa.String(length=64), nullable=True),
        sa.Column("hangup_cause", sa.Integer(), nullable=True),
        sa.Column("abandoned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "phone_e164 LIKE '+%' AND length(phone_e164) BETWEEN 8 AND 16",
            name=op.f("ck_call_attempts_phone_e164_format"),
        ),
        sa.CheckConstraint(
            "NOT abandoned OR answered_at IS NOT NULL",
            name=op.f("ck_call_attempts_abandoned_was_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_call_attempts_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_call_attempts_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_call_attempts_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_call_attempts_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["lead_phone_id"],
            ["lead_phones.id"],
            name=op.f("fk_call_attempts_lead_phone_id_lead_phones"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_attempts")),
    )
    op.create_index("ix_call_attempts_agent_id", "call_attempts", ["agent_id"])
    op.create_index(
        "ix_call_attempts_campaign_id_started_at", "call_attempts", ["campaign_id", "started_at"]
    )
    op.create_index("ix_call_attempts_lead_id", "call_attempts", ["lead_id"])
    op.create_index(
        "ix_call_attempts_phone_e164_started_at", "call_attempts", ["phone_e164", "started_at"]
    )
    op.create_table(
        "ticket_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "received",
                "confirmed",
                "planned",
                "executing",
                "follow_up",
                "closed",
                name="from_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "received",
                "confirmed",
                "planned",
                "executing",
                "follow_up",
                "closed",
                name="to_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["complaint_tickets.id"],
            name=op.f("fk_ticket_events_ticket_id_complaint_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_ticket_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index("ix_ticket_events_ticket_id_at", "ticket_events", ["ticket_id", "at"])


def downgrade() -> None:
    # Children first, so foreign keys never point at a dropped table.
    op.drop_table("ticket_events")
    op.drop_table("call_attempts")
    op.drop_table("survey_answers")
    op.drop_table("qa_evaluations")
    op.drop_table("lead_phones")
    op.drop_table("dnc_entries")
    op.drop_table("complaint_tickets")
    op.drop_table("callback_requests")
    op.drop_table("audit_log")
    op.drop_table("agent_state_changes")
    op.drop_table("users")
    op.drop_table("schedules")
    op.drop_table("leads")
    op.drop_table("ivr_steps")
    op.drop_table("interactions")
    op.drop_table("agent_skills")
    op.drop_table("queue_skills")
    op.drop_table("qa_scorecard_items")
    op.drop_table("ivr_sessions")
    op.drop_table("customer_phones")
    op.drop_table("campaigns")
    op.drop_table("agents")
    op.drop_table("teams")
    op.drop_table("skills")
    op.drop_table("report_runs")
    op.drop_table("queues")
    op.drop_table("queue_log_events")
    op.drop_table("qa_scorecards")
    op.drop_table("ingest_cursors")
    op.drop_table("customers")
