"""Notes on calls get their own table, and two lists get the index they read by.

* ``call_notes``: what an agent wrote on a call (the desktop's wrap-up form). Until now the
  desktop kept a note as an audit entry (action ``call.note``, target ``call:<linkedid>``,
  details ``{"note": ...}``); notes are work data, the audit log is for sensitive actions.
  Those entries are copied into ``call_notes`` (the author's agent from the user, the call's
  interaction when it is known) and stay in the audit log as they were. An entry whose user
  no longer exists has no author to give the note: it is left in the audit log only.
* ``ix_audit_log_action_at``: the audit viewer filters by action and shows the newest first.
* ``ix_interactions_recorded_started_at``: the QA list of recorded calls, newest first; a
  partial index (``WHERE recording_ref IS NOT NULL``) holds only the recorded calls.

Downgrade: notes written since the upgrade would be lost with the table, so each note that
has no ``call.note`` audit entry yet gets one (as the older desktop wrote them) first.

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-19
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NOTE_MAX = 2000
RECORDED = "recording_ref IS NOT NULL"

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "call_notes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("linkedid", sa.String(length=64), nullable=False),
        sa.Column("interaction_id", BIG_ID, nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint(
            f"length(text) BETWEEN 1 AND {NOTE_MAX}", name=op.f("ck_call_notes_text_length")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_call_notes_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_call_notes_interaction_id_interactions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_call_notes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_notes")),
    )
    op.create_index(op.f("ix_call_notes_linkedid_at"), "call_notes", ["linkedid", "at"])
    op.create_index(op.f("ix_audit_log_action_at"), "audit_log", ["action", "at"])
    op.create_index(
        op.f("ix_interactions_recorded_started_at"),
        "interactions",
        ["started_at", "id"],
        sqlite_where=sa.text(RECORDED),
        postgresql_where=sa.text(RECORDED),
    )

    # The note as the desktop stored it in the audit entry's JSON details.
    note = "json_extract(a.details, '$.note')" if _sqlite() else "a.details ->> 'note'"
    # "call:" + a linkedid of at most 64 characters (the column's length).
    linkedid = "substr(a.target, 6)"
    op.execute(
        sa.text(
            "INSERT INTO call_notes (linkedid, interaction_id, agent_id, user_id, at, text) "  # noqa: S608 (no input: fixed SQL)
            f"SELECT {linkedid}, i.id, u.agent_id, u.id, a.at, substr({note}, 1, {NOTE_MAX}) "
            "FROM audit_log a "
            "JOIN users u ON u.id = a.user_id "
            f"LEFT JOIN interactions i ON i.linkedid = {linkedid} "
            "WHERE a.action = 'call.note' "
            "AND substr(a.target, 1, 5) = 'call:' AND length(a.target) BETWEEN 6 AND 69 "
            f"AND {note} IS NOT NULL AND {note} <> '' "
            "ORDER BY a.id"
        )
    )


def downgrade() -> None:
    details = "json_object('note', n.text)" if _sqlite() else "jsonb_build_object('note', n.text)"
    op.execute(
        sa.text(
            "INSERT INTO audit_log (at, user_id, username, action, target, details) "  # noqa: S608 (no input: fixed SQL)
            f"SELECT n.at, n.user_id, u.username, 'call.note', 'call:' || n.linkedid, {details} "
            "FROM call_notes n JOIN users u ON u.id = n.user_id "
            "WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'call.note' "
            "AND a.user_id = n.user_id AND a.at = n.at AND a.target = 'call:' || n.linkedid) "
            "ORDER BY n.id"
        )
    )
    op.drop_index(op.f("ix_interactions_recorded_started_at"), table_name="interactions")
    op.drop_index(op.f("ix_audit_log_action_at"), table_name="audit_log")
    op.drop_index(op.f("ix_call_notes_linkedid_at"), table_name="call_notes")
    op.drop_table("call_notes")
