"""Importing a lead file into a campaign, in bulk, without losing a row.

:func:`import_leads` reads the file with :func:`asterisk_cc.core.dialer.lead_csv.parse_lead_file`
(which rejects the rows that cannot be leads and duplicates inside the file), then rejects the
rows that duplicate a lead the campaign already has (the same reference, or a number one of
its leads already has), and inserts the rest. Every data row ends up either inserted or in
the report's ``rejected`` list with its line number and reason; importing the same file twice
inserts nothing the second time and reports every row as already in the campaign.

Bulk: the duplicates are found in one pass over the campaign's leads, and the leads and their
numbers are written with multi-row INSERTs (5 000 leads at a time), so 100 000 rows take
seconds, not one query per row.

Two imports into the same campaign at once are serialised: the campaign row is locked first
(PostgreSQL ``FOR UPDATE``; SQLite has a single writer), so neither misses the other's leads.
The caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from asterisk_cc.core.dialer.lead_csv import (
    LeadColumns,
    LeadRow,
    RejectedRow,
    RowWarning,
    parse_lead_file,
)
from asterisk_cc.core.vocabulary import LeadStatus
from asterisk_cc.db.audit import audit_start
from asterisk_cc.db.dnc import blocked_numbers
from asterisk_cc.db.models import Campaign, Lead, LeadPhone

__all__ = ["ImportReport", "import_leads"]

_INSERT_BATCH = 5_000  # leads per INSERT ... RETURNING (bounds the memory of one statement)
# Core tables, not the ORM classes: a plain multi-row INSERT is about 15 % quicker.
_LEADS: Table = Lead.__table__  # type: ignore[assignment]
_LEAD_PHONES: Table = LeadPhone.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ImportReport:
    """``inserted`` leads; ``rejected`` rows (line, reason, raw cells) in line order;
    ``warnings`` about rows that were imported anyway (line 0: the whole file). ``rows`` is
    the number of non-blank data rows read: ``inserted + len(rejected) == rows``."""

    inserted: int
    rejected: tuple[RejectedRow, ...]
    warnings: tuple[RowWarning, ...]
    rows: int
    encoding: str
    delimiter: str
    header: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The promise of the module: no row is lost and none is counted twice.
        if self.inserted + len(self.rejected) != self.rows:
            raise AssertionError("an imported row is neither inserted nor rejected")


def import_leads(
    session: Session,
    campaign_id: int,
    csv_text_or_bytes: str | bytes,
    columns: LeadColumns,
    default_region: str,
    now: datetime,
    *,
    user_id: int | None = None,
) -> ImportReport:
    """Import a lead file into the campaign ``campaign_id``; → what happened to each row.

    Raises :class:`~asterisk_cc.core.dialer.lead_csv.LeadFileError` when the file as a whole
    cannot be used (nothing is written then) and :class:`LookupError` for an unknown campaign.
    """
    campaign = session.scalars(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    ).one_or_none()
    if campaign is None:
        raise LookupError(f"no campaign with id {campaign_id}")
    parsed = parse_lead_file(csv_text_or_bytes, columns, default_region)
    known_refs = _existing_refs(session, campaign_id, parsed.rows)
    known_phones = _existing_phones(session, campaign_id, parsed.rows)
    fresh: list[LeadRow] = []
    rejected = list(parsed.rejected)
    for row in parsed.rows:
        reason = _already_there(row, known_refs, known_phones)
        if reason is None:
            fresh.append(row)
        else:
            rejected.append(RejectedRow(row.line, reason, row.raw))
    _insert(session, campaign_id, fresh, now)
    warnings = [*parsed.warnings, *_dnc_warnings(session, campaign_id, fresh, now)]
    report = ImportReport(
        inserted=len(fresh),
        rejected=tuple(sorted(rejected, key=lambda r: r.line)),
        warnings=tuple(sorted(warnings, key=lambda w: w.line)),
        rows=len(parsed.rows) + len(parsed.rejected),
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        header=parsed.header,
    )
    audit_start(
        session,
        user_id=user_id,
        action="leads_imported",
        at=now,
        target=f"campaign:{campaign.name}",
        details={"inserted": report.inserted, "rejected": len(report.rejected)},
    )
    return report


# The campaign's references and numbers are read in one pass over its leads, keeping only the
# ones the file also has. Looking them up in chunks of the file's values was slower: without
# fresh statistics (right after a big import) PostgreSQL filtered all the campaign's leads
# against each chunk's list, a second per chunk.
_STREAM = {"yield_per": 10_000}


def _existing_refs(session: Session, campaign_id: int, rows: Sequence[LeadRow]) -> dict[str, int]:
    """The file's references that the campaign's leads already have → those leads' ids."""
    wanted = {row.external_ref for row in rows if row.external_ref}
    if not wanted:
        return {}
    found = session.execute(
        select(Lead.external_ref, Lead.id)
        .where(Lead.campaign_id == campaign_id, Lead.external_ref.is_not(None))
        .execution_options(**_STREAM)
    )
    return {ref: lead_id for ref, lead_id in found if ref in wanted}


def _existing_phones(session: Session, campaign_id: int, rows: Sequence[LeadRow]) -> dict[str, int]:
    """The file's numbers that the campaign's leads already have → those leads' ids."""
    wanted = {phone for row in rows for phone in row.phones}
    if not wanted:
        return {}
    found = session.execute(
        select(LeadPhone.phone_e164, LeadPhone.lead_id)
        .join(Lead, Lead.id == LeadPhone.lead_id)
        .where(Lead.campaign_id == campaign_id)
        .execution_options(**_STREAM)
    )
    return {phone: lead_id for phone, lead_id in found if phone in wanted}


def _already_there(
    row: LeadRow, known_refs: dict[str, int], known_phones: dict[str, int]
) -> str | None:
    if row.external_ref and row.external_ref in known_refs:
        lead_id = known_refs[row.external_ref]
        return f"already in the campaign: lead {lead_id} has the reference {row.external_ref!r}"
    for phone in row.phones:
        if phone in known_phones:
            return f"already in the campaign: lead {known_phones[phone]} has the phone {phone}"
    return None


def _insert(session: Session, campaign_id: int, rows: Sequence[LeadRow], now: datetime) -> None:
    for start in range(0, len(rows), _INSERT_BATCH):
        batch = rows[start : start + _INSERT_BATCH]
        leads: list[dict[str, Any]] = [
            {
                "campaign_id": campaign_id,
                "external_ref": row.external_ref,
                "fields": dict(row.fields),
                "timezone": row.timezone,
                "status": LeadStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for row in batch
        ]
        ids = _insert_returning_ids(session, leads)
        phones = [
            {"lead_id": lead_id, "phone_e164": phone, "position": position, "attempts": 0}
            for lead_id, row in zip(ids, batch, strict=True)
            for position, phone in enumerate(row.phones)
        ]
        session.execute(insert(_LEAD_PHONES), phones)


def _insert_returning_ids(session: Session, leads: list[dict[str, Any]]) -> Sequence[int]:
    """Insert the leads; → their ids, in the order of ``leads``."""
    if session.get_bind().dialect.name != "sqlite":
        # PostgreSQL: the ids are taken from the table's sequence first, then the rows are
        # inserted with them; twice as quick as INSERT ... RETURNING in parameter order.
        ids = session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, :n)"
            ),
            {"n": len(leads)},
        ).all()
        session.execute(
            insert(_LEADS), [{**lead, "id": i} for lead, i in zip(leads, ids, strict=True)]
        )
        return ids
    # SQLite cannot order RETURNING by the rows given (SQLAlchemy would send one INSERT per
    # row). It does not need to: a rowid table's new rows get the next rowids, in the order
    # they are inserted, and nobody else writes meanwhile (SQLite has one writer), so the
    # sorted ids are the rows' ids in order. Checked, in case the rowids ever ran out and
    # SQLite picked random ones.
    ids = sorted(session.scalars(insert(_LEADS).returning(_LEADS.c.id), leads).all())
    if len(ids) != len(leads) or (ids and ids[-1] - ids[0] != len(ids) - 1):
        raise RuntimeError("SQLite gave the imported leads ids that are not consecutive")
    return ids


def _dnc_warnings(
    session: Session, campaign_id: int, rows: Sequence[LeadRow], now: datetime
) -> list[RowWarning]:
    """Leads are imported even when a number is on a do-not-call list (an entry may expire;
    the dialer checks again at dial time), but the admin should know."""
    blocked = blocked_numbers(session, (p for row in rows for p in row.phones), campaign_id, now)
    if not blocked:
        return []
    return [
        RowWarning(row.line, f"{phone} is on a do-not-call list: it will not be dialled")
        for row in rows
        for phone in row.phones
        if phone in blocked
    ]
