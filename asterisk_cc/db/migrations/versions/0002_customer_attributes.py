"""Free-form CRM fields on the built-in customers: ``customers.attributes``.

The IVR branches on, and says, fields of the caller's CRM record beyond the standard ones
(a balance for self-service, a segment, a contract end date). Sites add such fields without a
migration each: they live in one JSON document per customer, ``jsonb`` on PostgreSQL. Existing
customers get an empty document.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # A constant default lets both databases add a NOT NULL column in place (no table rebuild
    # on SQLite, no rewrite on PostgreSQL).
    op.add_column(
        "customers",
        sa.Column("attributes", JSON_DOC, server_default=sa.text("'{}'"), nullable=False),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild of customers would drop and recreate
    # the table that customer_phones, interactions and the others refer to.
    op.drop_column("customers", "attributes")
