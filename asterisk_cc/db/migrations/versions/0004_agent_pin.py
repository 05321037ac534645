"""Agent PINs for logging in by phone: ``agents.pin_hash``.

An agent logs in from any phone with the feature code ``*45``: the agent keys their agent
number, then their PIN. The PIN is kept only as a salted, slow hash
(:func:`asterisk_cc.db.agents.hash_pin`); NULL means the agent cannot log in by phone, which is
what every existing agent gets until a PIN is set.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default is added in place on both databases.
    op.add_column("agents", sa.Column("pin_hash", sa.String(length=255), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild of agents would drop and recreate the
    # table that interactions, agent_state_changes and the others refer to.
    op.drop_column("agents", "pin_hash")
