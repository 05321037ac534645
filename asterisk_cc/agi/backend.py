"""The IVR's database side: the CRM directory for customers, the project's tables for the rest.

Each method is one short transaction. Customer ids travel as text (a mapped CRM's key may be
anything); only the built-in CRM's integer ids are stored as references in the project's
tables, so records made for callers of an external CRM keep the caller's number instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.config import Settings
from asterisk_cc.core.customers import Customer, Tier
from asterisk_cc.core.sla import complaint_due_at
from asterisk_cc.db.crm import CustomerDirectory, customer_directory
from asterisk_cc.db.engine import is_sqlite, session_factory
from asterisk_cc.db.ivr_sessions import IvrTrip, record_ivr_trip
from asterisk_cc.db.ivr_store import (
    latest_ticket,
    open_interaction,
    request_callback,
    save_survey_answer,
)
from asterisk_cc.db.tickets import open_complaint

logger = logging.getLogger(__name__)

COMPLAINT_DESCRIPTION = "Recorded by the caller in the IVR (listen to the recording)."


def customer_record(customer: Customer) -> dict[str, str]:
    """The customer as the IVR engine's variables (``customer.<key>``)."""
    record = {key.lower(): value for key, value in customer.fields.items() if value is not None}
    record.update(
        id=customer.customer_id,
        name=customer.name,
        tier=customer.tier.value,
        account=customer.account_number or "",
        language=customer.language or "",
        timezone=customer.timezone or "",
    )
    return record


class DatabaseBackend:
    """:class:`asterisk_cc.agi.ivr.IvrBackend` over the shared CRM database."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.directory: CustomerDirectory = customer_directory(settings.crm, settings.site, engine)
        self._builtin = settings.crm.source == "builtin"
        # Read-then-write transactions: on SQLite take the write lock at BEGIN (no "locked").
        self.sessions: sessionmaker[Session] = session_factory(engine, immediate=True)
        # SQLite has one writer: writers that find the lock taken sleep and retry, which
        # under load makes some wait for seconds. Queuing them here keeps each write short.
        self._write_turn: contextlib.AbstractContextManager[object] = (
            threading.Lock() if is_sqlite(engine) else contextlib.nullcontext()
        )

    def _writing(self) -> contextlib.AbstractContextManager[object]:
        return self._write_turn

    def _own_id(self, customer_id: str) -> int | None:
        """The id as a reference into the project's customers table, if it is one."""
        if self._builtin and customer_id.isdigit():
            return int(customer_id)
        return None

    def find_customer(self, by: str, value: str) -> Mapping[str, str] | None:
        if by == "caller_id":
            customer = self.directory.find_by_phone(value)
        elif by == "account":
            customer = self.directory.find_by_account(value)
        else:
            raise ValueError(f"cannot look a customer up by {by!r}")
        return customer_record(customer) if customer else None

    def latest_ticket(self, customer_id: str) -> Mapping[str, str] | None:
        own = self._own_id(customer_id)
        if own is None:
            return None
        with self.sessions() as session:
            ticket = latest_ticket(session, own)
            if ticket is None:
                return None
            return {"id": str(ticket.id), "state": str(ticket.state.value)}

    def request_callback(
        self, *, phone_e164: str, customer_id: str, queue: str, linkedid: str, at: datetime
    ) -> str:
        with self._writing(), self.sessions.begin() as session:
            request = request_callback(
                session,
                phone_e164=phone_e164,
                customer_id=self._own_id(customer_id),
                queue_name=queue,
                linkedid=linkedid,
                requested_at=at,
            )
            session.flush()
            return str(request.id)

    def open_complaint(
        self,
        *,
        category: str,
        recording_ref: str,
        customer_id: str,
        caller_e164: str,
        linkedid: str,
        at: datetime,
    ) -> str:
        with self._writing(), self.sessions.begin() as session:
            # The linkedid is the uniqueid of the call's first channel: the call's own id.
            interaction = open_interaction(
                session,
                uniqueid=linkedid,
                linkedid=linkedid,
                caller_number=caller_e164 or None,
                caller_e164=caller_e164 or None,
                customer_id=self._own_id(customer_id),
                customer_tier=None,
                queue_name=None,
                started_at=at,
            )
            session.flush()
            ticket = open_complaint(
                session,
                description=COMPLAINT_DESCRIPTION,
                now=at,
                customer_id=self._own_id(customer_id),
                interaction_id=interaction.id,
                caller_e164=caller_e164 or None,
                category=category,
                recording_ref=recording_ref,
                # The supervisor's complaints queue times the ticket from here on.
                due_at=complaint_due_at(at, self.settings.ivr.complaint_due_hours),
            )
            session.flush()
            return str(ticket.id)

    def save_survey(
        self,
        *,
        linkedid: str,
        question: str,
        score: int,
        agent_login: str,
        queue: str,
        at: datetime,
    ) -> str:
        with self._writing(), self.sessions.begin() as session:
            answer = save_survey_answer(
                session,
                linkedid=linkedid,
                question=question,
                score=score,
                answered_at=at,
                agent_login=agent_login or None,
                queue_name=queue or None,
            )
            session.flush()
            return str(answer.id)

    def open_interaction(
        self,
        *,
        uniqueid: str,
        linkedid: str,
        caller_number: str,
        caller_e164: str,
        customer_id: str,
        tier: str,
        queue: str,
        at: datetime,
    ) -> str:
        with self._writing(), self.sessions.begin() as session:
            interaction = open_interaction(
                session,
                uniqueid=uniqueid,
                linkedid=linkedid,
                caller_number=caller_number or None,
                caller_e164=caller_e164 or None,
                customer_id=self._own_id(customer_id),
                customer_tier=Tier.parse(tier) if tier else None,
                queue_name=queue,
                started_at=at,
            )
            session.flush()
            return str(interaction.id)

    def record_trip(self, trip: IvrTrip) -> None:
        if trip.customer_id is None and trip.customer_ref:
            trip = dataclasses.replace(trip, customer_id=self._own_id(trip.customer_ref))
        with self._writing(), self.sessions.begin() as session:
            record_ivr_trip(session, trip, default_region=self.settings.site.default_region)
