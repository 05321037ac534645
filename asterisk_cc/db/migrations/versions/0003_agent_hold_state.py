"""Agents on hold: ``agent_state_changes.state`` accepts ``hold``.

The agent state machine (asterisk_cc/core/agents.py) records the time a customer spends on hold
apart from talk time. The state column is text with a CHECK constraint listing the allowed
values (``vocabulary()`` in models.py, no native enum type on either database), so the
constraint is replaced. SQLite cannot alter a constraint: the table is rebuilt in batch mode
(no other table refers to agent_state_changes, so the rebuild touches nothing else);
PostgreSQL drops and adds the constraint in place.

Downgrade: the older vocabulary has no ``hold``; hold time was talk time, so ``hold`` rows
become ``talking`` before the older constraint comes back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "agent_state_changes"
CHECK = "ck_agent_state_changes_agent_state"
STATES_BEFORE = ("logged_out", "ready", "reserved", "ringing", "talking", "wrap_up", "paused")
STATES_AFTER = (
    "logged_out",
    "ready",
    "reserved",
    "ringing",
    "talking",
    "hold",
    "wrap_up",
    "paused",
)


def _allow_states(states: Sequence[str]) -> None:
    # In batch mode SQLite rebuilds the table (keeping its keys, indexes and other
    # constraints); PostgreSQL gets plain ALTER TABLE statements.
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.create_check_constraint(op.f(CHECK), sa.column("state").in_(states))


def upgrade() -> None:
    _allow_states(STATES_AFTER)


def downgrade() -> None:
    op.execute(sa.text(f"UPDATE {TABLE} SET state = 'talking' WHERE state = 'hold'"))  # noqa: S608
    _allow_states(STATES_BEFORE)
