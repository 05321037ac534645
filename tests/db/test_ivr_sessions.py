"""IVR trips are stored whole: the session, its path and its steps in the order visited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.db.ivr_sessions import IvrTrip, IvrTripStep, record_ivr_trip
from asterisk_cc.db.models import IvrSession

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def seconds(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def trip(caller_number: str, **overrides: object) -> IvrTrip:
    fields: dict[str, object] = {
        "uniqueid": "1762045200.7",
        "linkedid": "1762045200.6",
        "flow": "demo",
        "caller_number": caller_number,
        "started_at": T0,
        "ended_at": seconds(9),
        "outcome": "queue",
        "steps": (
            IvrTripStep("greeting", T0),
            IvrTripStep("collect", seconds(2), input="1234", result="entered", elapsed_ms=4100),
            IvrTripStep("queue", seconds(8), result="support"),
        ),
        "inputs": {"digits": "1234"},
    }
    fields.update(overrides)
    return IvrTrip(**fields)  # type: ignore[arg-type]


def test_a_trip_is_stored_with_its_steps_in_order(db_session: Session) -> None:
    record_ivr_trip(db_session, trip("013812345678"), default_region="CN")
    db_session.commit()
    db_session.expunge_all()
    stored = db_session.scalars(
        select(IvrSession).where(IvrSession.linkedid == "1762045200.6")
    ).one()
    assert stored.path == ["greeting", "collect", "queue"]
    assert stored.inputs == {"digits": "1234"}
    assert stored.outcome == "queue"
    assert stored.caller_number == "013812345678"
    assert stored.caller_e164 == "+8613812345678"
    assert stored.started_at == T0 and stored.ended_at == seconds(9)
    assert [(s.seq, s.node, s.input, s.result, s.elapsed_ms) for s in stored.steps] == [
        (1, "greeting", None, None, None),
        (2, "collect", "1234", "entered", 4100),
        (3, "queue", None, "support", None),
    ]


def test_a_withheld_or_odd_caller_number_is_kept_but_not_normalised(db_session: Session) -> None:
    for number, linkedid in (("anonymous", "a.1"), ("12", "a.2"), ("", "a.3")):
        record_ivr_trip(db_session, trip(number, linkedid=linkedid), default_region="CN")
    db_session.commit()
    rows = db_session.execute(
        select(IvrSession.linkedid, IvrSession.caller_number, IvrSession.caller_e164)
        .where(IvrSession.linkedid.in_(["a.1", "a.2", "a.3"]))
        .order_by(IvrSession.linkedid)
    ).all()
    assert [tuple(row) for row in rows] == [
        ("a.1", "anonymous", None),
        ("a.2", "12", None),
        ("a.3", None, None),
    ]
