"""Call recording policies: ``queues.recording`` and ``campaigns.recording``.

Each queue (and each outbound campaign) says which of its calls are recorded: ``all`` (every
call an agent answers), ``none``, or ``on_demand`` (the agent or a supervisor starts it).
Existing queues and campaigns get ``none``: nothing is recorded that was not before.

The column comes with its CHECK constraint in one ``ALTER TABLE ... ADD COLUMN``, which both
databases accept: SQLite keeps the constraint with the column, so neither table is rebuilt
(interactions, campaigns and others refer to queues, and a batch rebuild would drop and
recreate the table they point at), and a constant default adds a NOT NULL column in place on
both. Downgrade drops the column with its constraint (SQLite 3.35+ allows a column whose own
CHECK names only itself).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("queues", "campaigns")
POLICY_CHECK = "recording IN ('all', 'none', 'on_demand')"


def upgrade() -> None:
    for table in TABLES:
        op.execute(
            sa.text(
                f"ALTER TABLE {table} ADD COLUMN recording VARCHAR(16) DEFAULT 'none' NOT NULL "
                f"CONSTRAINT ck_{table}_recording_policy CHECK ({POLICY_CHECK})"
            )
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "recording")
