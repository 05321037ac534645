"""Tables of the reports.

* ``queue_calls``: one row per visit of a call to a queue, built from ``queue_log_events``;
* ``cdr_records``: Asterisk's CDRs as read from Master.csv or the ``cdr`` table;
* ``forecast_intervals``: the staffing forecast per queue and interval;
* ``alerts``: early-warning alerts, raised and cleared.

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("raised_at", TIMESTAMP, nullable=False),
        sa.Column("cleared_at", TIMESTAMP, nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("notified_at", TIMESTAMP, nullable=True),
        sa.Column("notifications", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_alerts_rule_scope_cleared_at"),
            ["rule", "scope", "cleared_at"],
            unique=False,
        )

    op.create_table(
        "cdr_records",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("accountcode", sa.String(length=80), nullable=True),
        sa.Column("src", sa.String(length=80), nullable=True),
        sa.Column("dst", sa.String(length=80), nullable=True),
        sa.Column("dcontext", sa.String(length=80), nullable=True),
        sa.Column("clid", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("dstchannel", sa.String(length=128), nullable=True),
        sa.Column("lastapp", sa.String(length=80), nullable=True),
        sa.Column("lastdata", sa.String(length=255), nullable=True),
        sa.Column("start_at", TIMESTAMP, nullable=False),
        sa.Column("answer_at", TIMESTAMP, nullable=True),
        sa.Column("end_at", TIMESTAMP, nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("billsec_s", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=False),
        sa.Column("amaflags", sa.String(length=16), nullable=True),
        sa.Column("uniqueid", sa.String(length=150), nullable=True),
        sa.Column("userfield", sa.String(length=255), nullable=True),
        sa.Column("peeraccount", sa.String(length=80), nullable=True),
        sa.Column("linkedid", sa.String(length=150), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdr_records")),
        sa.UniqueConstraint("row_hash", name=op.f("uq_cdr_records_row_hash")),
    )
    with op.batch_alter_table("cdr_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cdr_records_linkedid"), ["linkedid"], unique=False)
        batch_op.create_index(batch_op.f("ix_cdr_records_start_at"), ["start_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_cdr_records_uniqueid"), ["uniqueid"], unique=False)

    op.create_table(
        "forecast_intervals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("interval_start", TIMESTAMP, nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Float(), nullable=False),
        sa.Column("aht_s", sa.Float(), nullable=False),
        sa.Column("required_agents", sa.Integer(), nullable=False),
        sa.Column("scheduled_agents", sa.Integer(), nullable=True),
        sa.Column("created_at", TIMESTAMP, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("interval_s > 0", name=op.f("ck_forecast_intervals_interval_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_intervals")),
        sa.UniqueConstraint(
            "queue", "interval_start", name=op.f("uq_forecast_intervals_queue_interval_start")
        ),
    )
    with op.batch_alter_table("forecast_intervals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forecast_intervals_interval_start"), ["interval_start"], unique=False
        )

    op.create_table(
        "queue_calls",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("callid", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("entered_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("wait_s", sa.Float(), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=True),
        sa.Column("agent", sa.String(length=128), nullable=True),
        sa.Column("caller_number", sa.String(length=64), nullable=True),
        sa.Column("entry_position", sa.Integer(), nullable=True),
        sa.Column("ring_no_answer", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("transferred", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("transfer_target", sa.String(length=128), nullable=True),
        sa.Column("exit_key", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_calls")),
        sa.UniqueConstraint(
            "callid", "queue", "entered_at", name=op.f("uq_queue_calls_callid_queue_entered_at")
        ),
    )
    with op.batch_alter_table("queue_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_queue_calls_agent_entered_at"), ["agent", "entered_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_queue_calls_entered_at"), ["entered_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_queue_calls_queue_entered_at"), ["queue", "entered_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("queue_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queue_calls_queue_entered_at"))
        batch_op.drop_index(batch_op.f("ix_queue_calls_entered_at"))
        batch_op.drop_index(batch_op.f("ix_queue_calls_agent_entered_at"))

    op.drop_table("queue_calls")
    with op.batch_alter_table("forecast_intervals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_intervals_interval_start"))

    op.drop_table("forecast_intervals")
    with op.batch_alter_table("cdr_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cdr_records_uniqueid"))
        batch_op.drop_index(batch_op.f("ix_cdr_records_start_at"))
        batch_op.drop_index(batch_op.f("ix_cdr_records_linkedid"))

    op.drop_table("cdr_records")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_rule_scope_cleared_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_raised_at"))

    op.drop_table("alerts")
