"""IVR sessions in the database: one row per caller's trip through a flow, one per node visited.

The IVR reports (containment, drop-off per node) read these rows, so a trip is written whole,
in one transaction, with the nodes in the order the caller met them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from asterisk_cc.core.phone import InvalidPhoneNumber, normalize_e164
from asterisk_cc.db.models import IvrSession, IvrStep

__all__ = ["IvrTrip", "IvrTripStep", "record_ivr_trip"]


@dataclass(frozen=True)
class IvrTripStep:
    """One node the caller went through: what they entered there and what came of it."""

    node: str
    at: datetime
    input: str | None = None
    result: str | None = None
    elapsed_ms: int | None = None


@dataclass(frozen=True)
class IvrTrip:
    """A finished trip through a flow, as the FastAGI server saw it."""

    uniqueid: str
    linkedid: str
    flow: str
    caller_number: str
    started_at: datetime
    ended_at: datetime
    outcome: str
    steps: Sequence[IvrTripStep] = ()
    inputs: Mapping[str, Any] = field(default_factory=dict)
    language: str | None = None
    customer_id: int | None = None
    # The CRM's id of the caller as text (any CRM); customer_id is set from it for the
    # built-in CRM, whose ids the project's tables can reference.
    customer_ref: str = ""


def record_ivr_trip(session: Session, trip: IvrTrip, *, default_region: str) -> IvrSession:
    """Add ``trip`` and its steps to ``session`` (the caller commits). The caller's number is
    stored as given and, when it is a dialable number, also in E.164 for joins with the CRM."""
    try:
        caller_e164: str | None = normalize_e164(trip.caller_number, default_region)
    except InvalidPhoneNumber:
        caller_e164 = None
    row = IvrSession(
        uniqueid=trip.uniqueid,
        linkedid=trip.linkedid,
        caller_number=trip.caller_number or None,
        caller_e164=caller_e164,
        customer_id=trip.customer_id,
        flow=trip.flow,
        language=trip.language,
        path=[step.node for step in trip.steps],
        inputs=dict(trip.inputs),
        outcome=trip.outcome,
        started_at=trip.started_at,
        ended_at=trip.ended_at,
        steps=[
            IvrStep(
                seq=seq,
                node=step.node,
                at=step.at,
                input=step.input,
                result=step.result,
                elapsed_ms=step.elapsed_ms,
            )
            for seq, step in enumerate(trip.steps, start=1)
        ],
    )
    session.add(row)
    return row
