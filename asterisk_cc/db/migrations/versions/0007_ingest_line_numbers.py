"""Ingestion cursors count lines: ``ingest_cursors.line`` is the number of lines read so far,
so a malformed line further on is reported by its line number without reading the file from
its start again.

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "ingest_cursors",
        sa.Column(
            "line",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            server_default=sa.text("0"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("ingest_cursors", "line")
