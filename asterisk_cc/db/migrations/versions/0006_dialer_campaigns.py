"""Outbound campaigns as the dialer runs them.

* ``campaigns``: ``holidays`` (local dates with no calls), what to do when AMD hears a machine
  (``machine_action``: hang up, leave ``machine_message``, or retry later), the compliance
  message played when no agent is free within 2 s (``abandon_message``), and ``purpose``
  (``list`` for lead lists, ``callbacks`` for the campaign that dials a queue's callback
  requests).
* ``campaign_agents`` / ``campaign_teams``: who works a campaign (a campaign with neither uses
  the agents skilled for its queue).
* ``leads``: ``callback_agent_id`` (a callback scheduled for one agent: dialled only when that
  agent is free) and ``callback_request_id`` (the IVR callback request the lead dials). Both
  are plain ids, not foreign keys: SQLite adds a foreign key only by rebuilding ``leads``, and a
  rebuild drops the table that ``lead_phones`` and ``call_attempts`` cascade from.

Columns are added with ``ALTER TABLE ... ADD COLUMN`` and their own CHECK or REFERENCES, which
both databases accept in place (no table rebuild, see 0005).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MACHINE_ACTION_CHECK = "machine_action IN ('hangup', 'message', 'retry')"
PURPOSE_CHECK = "purpose IN ('list', 'callbacks')"


def upgrade() -> None:
    statements = (
        "ALTER TABLE campaigns ADD COLUMN machine_action VARCHAR(16) DEFAULT 'hangup' NOT NULL "
        f"CONSTRAINT ck_campaigns_machine_action CHECK ({MACHINE_ACTION_CHECK})",
        "ALTER TABLE campaigns ADD COLUMN machine_message VARCHAR(128)",
        "ALTER TABLE campaigns ADD COLUMN abandon_message VARCHAR(128)",
        "ALTER TABLE campaigns ADD COLUMN purpose VARCHAR(16) DEFAULT 'list' NOT NULL "
        f"CONSTRAINT ck_campaigns_purpose CHECK ({PURPOSE_CHECK})",
        "ALTER TABLE leads ADD COLUMN callback_agent_id INTEGER",
        "ALTER TABLE leads ADD COLUMN callback_request_id INTEGER",
    )
    op.add_column(
        "campaigns",
        sa.Column(
            "holidays",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
    )
    for statement in statements:
        op.execute(sa.text(statement))
    op.create_index("ix_leads_callback_request_id", "leads", ["callback_request_id"])
    for member, table in (("agent", "agents"), ("team", "teams")):
        op.create_table(
            f"campaign_{member}s",
            sa.Column("campaign_id", sa.Integer(), nullable=False),
            sa.Column(f"{member}_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["campaign_id"],
                ["campaigns.id"],
                name=op.f(f"fk_campaign_{member}s_campaign_id_campaigns"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                [f"{member}_id"],
                [f"{table}.id"],
                name=op.f(f"fk_campaign_{member}s_{member}_id_{table}"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint(
                "campaign_id", f"{member}_id", name=op.f(f"pk_campaign_{member}s")
            ),
        )
        op.create_index(
            f"ix_campaign_{member}s_{member}_id", f"campaign_{member}s", [f"{member}_id"]
        )


def downgrade() -> None:
    for member in ("team", "agent"):
        op.drop_table(f"campaign_{member}s")
    op.drop_index("ix_leads_callback_request_id", table_name="leads")
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("callback_request_id")
        batch.drop_column("callback_agent_id")
    for column in ("purpose", "abandon_message", "machine_message", "machine_action", "holidays"):
        op.drop_column("campaigns", column)
