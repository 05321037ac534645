"""The IVR's database backend opens a caller's recorded complaint as a ticket due
``[ivr] complaint_due_hours`` after it was recorded (none for 0), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from asterisk_cc.agi.backend import DatabaseBackend
from asterisk_cc.config import IvrSettings, Settings
from asterisk_cc.db.models import ComplaintTicket

RECORDED = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)  # a Friday, 18:30 in Shanghai


def backend(engine: Engine, due_hours: int) -> DatabaseBackend:
    settings = dataclasses.replace(
        Settings(), ivr=dataclasses.replace(IvrSettings(), complaint_due_hours=due_hours)
    )
    return DatabaseBackend(settings, engine)


def complaint(engine: Engine, due_hours: int) -> ComplaintTicket:
    # The backend commits: a call of its own, so no other test's rows are touched.
    linkedid = f"1795000000.{secrets.randbelow(10**9)}"
    ticket_id = backend(engine, due_hours).open_complaint(
        category="hotline",
        recording_ref=f"/var/spool/asterisk/asterisk-cc/{linkedid}-complaint.wav",
        customer_id="",
        caller_e164="+8613900000009",
        linkedid=linkedid,
        at=RECORDED,
    )
    with Session(engine) as session:
        ticket = session.get(ComplaintTicket, int(ticket_id))
        assert ticket is not None
        return ticket


@pytest.mark.parametrize(("due_hours", "due"), [(24, timedelta(hours=24)), (72, timedelta(days=3))])
def test_an_ivr_complaint_is_due_its_hours_after_it_was_recorded(
    engine: Engine, due_hours: int, due: timedelta
) -> None:
    ticket = complaint(engine, due_hours)
    assert ticket.received_at == RECORDED
    # Plain hours: Friday evening plus a day is Saturday evening, weekend or not.
    assert ticket.due_at == RECORDED + due


def test_zero_hours_opens_the_complaint_without_a_due_time(engine: Engine) -> None:
    ticket = complaint(engine, 0)
    assert ticket.received_at == RECORDED and ticket.due_at is None
