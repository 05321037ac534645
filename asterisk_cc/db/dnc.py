"""Do-not-call lists: numbers that must not be dialled, for every campaign (the global list)
or for one campaign, until they expire (never, when no expiry is set).

The dialer asks :func:`blocked_numbers` at dial time, for the numbers of the leads it is about
to call: a number added while a lead waits is never dialled. Entries come from an agent (a
person asking not to be called, disposition ``do_not_call``: the global list, source
``agent``), from an admin (``dnc add``), or from a file (``dnc import``: a national registry
extract, a complaints list).

One number has at most one entry per list: adding it again updates that entry (a new reason,
a new expiry, renewed when it had expired). Adding, removing and importing leave an audit log
entry. Every function takes a :class:`~sqlalchemy.orm.Session` and leaves the commit to the
caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from asterisk_cc.core.dialer.lead_csv import RejectedRow, parse_phone_list
from asterisk_cc.core.phone import InvalidPhoneNumber, normalize_e164
from asterisk_cc.core.vocabulary import DncScope
from asterisk_cc.db.audit import audit_start
from asterisk_cc.db.models import Campaign, DncEntry

__all__ = [
    "CHUNK",
    "DncImportReport",
    "add_dnc",
    "blocked_numbers",
    "check_e164",
    "dnc_entries",
    "import_dnc",
    "remove_dnc",
]

CHUNK: Final = 500
"""Numbers per ``IN (...)`` query: well under SQLite's and PostgreSQL's parameter limits."""
MAX_SOURCE_CHARS: Final = 32  # dnc_entries.source
MAX_REASON_CHARS: Final = 500


def check_e164(phone_e164: str) -> str:
    """``phone_e164`` when it is a valid number already in E.164 form; else ValueError."""
    if not isinstance(phone_e164, str) or not phone_e164.startswith("+"):
        raise ValueError(f"{phone_e164!r} is not in E.164 form (+ and the country code)")
    try:
        normalized = normalize_e164(phone_e164, "US")  # the region is unused for a + number
    except InvalidPhoneNumber as exc:
        raise ValueError(str(exc)) from None
    if normalized != phone_e164:
        raise ValueError(f"{phone_e164!r} is not in E.164 form; it reads as {normalized}")
    return phone_e164


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _scope(campaign_id: int | None) -> DncScope:
    return DncScope.GLOBAL if campaign_id is None else DncScope.CAMPAIGN


def _check_source(source: str) -> str:
    if not isinstance(source, str) or not source.strip() or len(source) > MAX_SOURCE_CHARS:
        raise ValueError(f"a DNC source is 1 to {MAX_SOURCE_CHARS} characters, e.g. agent")
    return source.strip()


def _same_list(campaign_id: int | None) -> ColumnElement[bool]:
    if campaign_id is None:
        return DncEntry.campaign_id.is_(None)
    return DncEntry.campaign_id == campaign_id


def add_dnc(
    session: Session,
    phone_e164: str,
    *,
    campaign_id: int | None = None,
    source: str,
    reason: str | None = None,
    expires_at: datetime | None = None,
    now: datetime,
    user_id: int | None = None,
) -> DncEntry:
    """Put ``phone_e164`` on the global list (``campaign_id`` None) or on the campaign's;
    → its entry. Already there: the entry gets the new source, reason and expiry."""
    phone = check_e164(phone_e164)
    source = _check_source(source)
    if expires_at is not None and expires_at <= now:
        raise ValueError(f"the expiry {expires_at.isoformat()} is not in the future")
    if reason is not None:
        reason = reason.strip()[:MAX_REASON_CHARS] or None
    entry = session.scalars(
        select(DncEntry)
        .where(DncEntry.phone_e164 == phone, _same_list(campaign_id))
        .order_by(DncEntry.id)
    ).first()
    if entry is None:
        entry = DncEntry(
            phone_e164=phone, scope=_scope(campaign_id), campaign_id=campaign_id, created_at=now
        )
        session.add(entry)
    entry.source = source
    entry.reason = reason
    entry.expires_at = expires_at
    entry.created_by_user_id = user_id
    session.flush()
    audit_start(
        session,
        user_id=user_id,
        action="dnc_added",
        at=now,
        target=f"phone:{phone}",
        details={"campaign_id": campaign_id, "source": source, "reason": reason},
    )
    return entry


def remove_dnc(
    session: Session,
    phone_e164: str,
    *,
    campaign_id: int | None = None,
    everywhere: bool = False,
    now: datetime,
    user_id: int | None = None,
) -> int:
    """Take ``phone_e164`` off the global list (``campaign_id`` None), off one campaign's,
    or off every list (``everywhere``); → the entries removed."""
    phone = check_e164(phone_e164)
    statement = delete(DncEntry).where(DncEntry.phone_e164 == phone)
    if not everywhere:
        statement = statement.where(_same_list(campaign_id))
    removed = int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    if removed:
        audit_start(
            session,
            user_id=user_id,
            action="dnc_removed",
            at=now,
            target=f"phone:{phone}",
            details={"campaign_id": campaign_id, "everywhere": everywhere, "removed": removed},
        )
    return removed


def blocked_numbers(
    session: Session, phones: Iterable[str], campaign_id: int, now: datetime
) -> set[str]:
    """The numbers of ``phones`` that must not be dialled for ``campaign_id`` at ``now``: on
    the global list or on the campaign's, and not expired. One query per :data:`CHUNK`."""
    wanted = sorted(set(phones))
    blocked: set[str] = set()
    for chunk in _chunks(wanted):
        blocked.update(
            session.scalars(
                select(DncEntry.phone_e164).where(
                    DncEntry.phone_e164.in_(chunk),
                    or_(DncEntry.campaign_id.is_(None), DncEntry.campaign_id == campaign_id),
                    or_(DncEntry.expires_at.is_(None), DncEntry.expires_at > now),
                )
            )
        )
    return blocked


def dnc_entries(session: Session, phone_e164: str) -> list[tuple[DncEntry, str | None]]:
    """Every entry of ``phone_e164`` (expired ones too), with its campaign's name (None for
    the global list), global first."""
    phone = check_e164(phone_e164)
    rows = session.execute(
        select(DncEntry, Campaign.name)
        .outerjoin(Campaign, Campaign.id == DncEntry.campaign_id)
        .where(DncEntry.phone_e164 == phone)
        .order_by(DncEntry.campaign_id.is_not(None), Campaign.name, DncEntry.id)
    )
    return [(entry, name) for entry, name in rows]


@dataclass(frozen=True)
class DncImportReport:
    """``added``: new entries; ``updated``: numbers already on the list (their entry is
    renewed when expired); ``repeated``: numbers that appear more than once in the file;
    ``rejected``: lines without a valid number, with the reason."""

    added: int
    updated: int
    repeated: int
    rejected: tuple[RejectedRow, ...]
    warnings: tuple[str, ...]


def import_dnc(
    session: Session,
    csv_text: str | bytes,
    default_region: str,
    campaign_id: int | None = None,
    source: str = "import",
    *,
    now: datetime,
    user_id: int | None = None,
) -> DncImportReport:
    """Add every number of a file to the global list (``campaign_id`` None) or a campaign's.

    The file has one number per line, or a header naming a phone column (phone, number,
    msisdn...) and optionally a ``reason`` column. Numbers already listed keep their entry
    (an expired one is renewed, without expiry). In bulk: a few queries per 500 numbers.
    """
    source = _check_source(source)
    parsed = parse_phone_list(csv_text, default_region)
    phones = [entry.phone_e164 for entry in parsed.entries]
    existing: set[str] = set()
    for chunk in _chunks(phones):
        existing.update(
            session.scalars(
                select(DncEntry.phone_e164).where(
                    DncEntry.phone_e164.in_(chunk),
                    _same_list(campaign_id),
                )
            )
        )
    new_rows = [
        {
            "phone_e164": entry.phone_e164,
            "scope": _scope(campaign_id),
            "campaign_id": campaign_id,
            "source": source,
            "reason": entry.reason,
            "created_at": now,
            "created_by_user_id": user_id,
        }
        for entry in parsed.entries
        if entry.phone_e164 not in existing
    ]
    if new_rows:
        session.execute(insert(DncEntry), new_rows)
    renewed = sorted(existing)
    for chunk in _chunks(renewed):
        session.execute(
            update(DncEntry)
            .where(
                DncEntry.phone_e164.in_(chunk),
                _same_list(campaign_id),
                DncEntry.expires_at.is_not(None),
                DncEntry.expires_at <= now,
            )
            .values(expires_at=None)
        )
    report = DncImportReport(
        added=len(new_rows),
        updated=len(existing),
        repeated=parsed.repeated,
        rejected=parsed.rejected,
        warnings=parsed.warnings,
    )
    audit_start(
        session,
        user_id=user_id,
        action="dnc_imported",
        at=now,
        target=f"campaign:{campaign_id}" if campaign_id is not None else "dnc:global",
        details={
            "source": source,
            "added": report.added,
            "updated": report.updated,
            "rejected": len(report.rejected),
        },
    )
    return report
