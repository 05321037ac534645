"""The quality pages: scorecards, calls to grade, evaluating while listening, the recording
file, results per agent and an agent's own evaluations."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from asterisk_cc.config import Settings
from asterisk_cc.core.qa import ItemDraft, ScorecardDraft
from asterisk_cc.core.vocabulary import CallDirection
from asterisk_cc.db.call_notes import add_call_note
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.models import (
    Agent,
    AuditLogEntry,
    Customer,
    Interaction,
    QaEvaluation,
    QaScorecard,
    Queue,
)
from asterisk_cc.db.qa import create_scorecard, record_evaluation
from tests.web_fixtures import START, FixedClock, WebUser, post

Clients = Callable[[str | None], FlaskClient]
SCRIPT = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"
WAV = b"RIFF" + bytes(range(256)) * 40


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    root = tmp_path / "recording"
    root.mkdir()
    return root


@pytest.fixture
def web_settings(web_settings: Settings, recordings: Path) -> Settings:
    """The dashboard plays recordings from the test's folder: its ``[web] recordings_dir``."""
    web = dataclasses.replace(web_settings.web, recordings_dir=str(recordings))
    return dataclasses.replace(web_settings, web=web)


@pytest.fixture
def session(web_engine: Engine, web_users: dict[str, WebUser]) -> Iterator[Session]:
    with session_factory(web_engine)() as db_session:
        yield db_session


def ann(session: Session) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.login == "1001"))
    assert agent is not None
    return agent


def add_agent(session: Session, login: str, name: str) -> Agent:
    agent = Agent(login=login, name=name)
    session.add(agent)
    session.commit()
    return agent


def add_call(
    session: Session,
    linkedid: str,
    agent: Agent | None,
    *,
    minutes_ago: int = 60,
    ref: str | None = "asterisk-cc/2026/11/23/call.wav",
    customer: str | None = None,
    disposition: str | None = "resolved",
    queue: Queue | None = None,
) -> Interaction:
    customer_row = None
    if customer is not None:
        customer_row = Customer(name=customer)
        session.add(customer_row)
        session.flush()
    at = START - timedelta(minutes=minutes_ago)
    call = Interaction(
        uniqueid=linkedid,
        linkedid=linkedid,
        direction=CallDirection.INBOUND,
        agent_id=agent.id if agent else None,
        queue_id=queue.id if queue else None,
        customer_id=customer_row.id if customer_row else None,
        caller_number="+8613812345678",
        started_at=at,
        answered_at=at + timedelta(seconds=12),
        ended_at=at + timedelta(seconds=200),
        wait_s=12,
        talk_s=188,
        disposition=disposition,
        recording_ref=ref,
    )
    session.add(call)
    session.commit()
    return call


def add_scorecard(
    session: Session, name: str = "Inbound service", pass_score: float = 80
) -> QaScorecard:
    card = create_scorecard(
        session,
        ScorecardDraft(
            name=name,
            description=None,
            pass_score=pass_score,
            items=(
                ItemDraft("Greeted the caller", 1.0, False),
                ItemDraft("Solved the problem", 3.0, False),
                ItemDraft("Checked identity", 1.0, True),
            ),
        ),
    )
    session.commit()
    return card


def add_evaluation(
    session: Session,
    card: QaScorecard,
    call: Interaction,
    points: tuple[float, float, float],
    *,
    days_ago: float = 1,
    comment: str | None = None,
    evaluator: int | None = None,
) -> QaEvaluation:
    evaluation, _ = record_evaluation(
        session,
        interaction_id=call.id,
        scorecard=card,
        answers={item.id: p for item, p in zip(card.items, points, strict=True)},
        comment=comment,
        evaluator_user_id=evaluator or 1,
        at=START - timedelta(days=days_ago),
    )
    session.commit()
    return evaluation


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def reread(session: Session) -> None:
    """Forget what the test's session read: the next reads see what the pages wrote."""
    session.commit()
    session.expire_all()


def count(session: Session, model: Any) -> int:
    reread(session)
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


SUPERVISOR_PAGES = (
    "/qa/",
    "/qa/scorecards",
    "/qa/scorecards/new",
    "/qa/scorecards/1",
    "/qa/calls/1/evaluate",
    "/qa/recordings/1",
    "/qa/results",
    "/qa/results/agents/1",
    "/qa/evaluations/1",
)
AGENT_PAGES = ("/qa/mine", "/qa/mine/1")
POSTS = (
    "/qa/scorecards/new",
    "/qa/scorecards/1",
    "/qa/scorecards/1/active",
    "/qa/calls/1/evaluate",
)


# --- who may ---------------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in_or_refused(web_client: Clients) -> None:
    client = web_client(None)
    for url in SUPERVISOR_PAGES + AGENT_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
    for url in POSTS:
        assert post(client, url).status_code == 401, url


def test_an_agent_is_refused_the_supervisor_pages_and_a_supervisor_the_agent_pages(
    web_client: Clients,
) -> None:
    agent = web_client("agent")
    for url in SUPERVISOR_PAGES:
        assert agent.get(url).status_code == 403, url
    for url in POSTS:
        assert post(agent, url).status_code == 403, url
    for role in ("supervisor", "admin"):
        client = web_client(role)
        for url in AGENT_PAGES:
            assert client.get(url).status_code == 403, (role, url)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    web_client: Clients, session: Session
) -> None:
    card = add_scorecard(session)
    call = add_call(session, "c1", ann(session))
    client = web_client("supervisor")
    form = {"name": "Forged", "pass_score": "50", "item-1-question": "Q", "active": "0"}
    for url in (
        "/qa/scorecards/new",
        f"/qa/scorecards/{card.id}",
        f"/qa/scorecards/{card.id}/active",
        f"/qa/calls/{call.id}/evaluate",
    ):
        response = client.post(url, data=form)
        assert response.status_code == 400, url
        assert "CSRF" in text_of(response)
    reread(session)
    assert count(session, QaScorecard) == 1 and count(session, QaEvaluation) == 0
    assert session.get(QaScorecard, card.id).active  # type: ignore[union-attr]


# --- scorecards ------------------------------------------------------------------------------


def scorecard_form(**fields: str) -> dict[str, str]:
    form = {
        "name": "Outbound sales",
        "description": "Sales calls",
        "pass_score": "75",
        "item-1-question": "Introduced the offer",
        "item-1-weight": "2",
        "item-1-order": "2",
        "item-2-question": "Read the legal notice",
        "item-2-weight": "1",
        "item-2-critical": "1",
        "item-2-order": "1",
        "item-3-question": "",
        "item-3-weight": "1",
    }
    form.update(fields)
    return form


def test_a_supervisor_creates_a_scorecard(web_client: Clients, session: Session) -> None:
    client = web_client("supervisor")
    assert "New scorecard" in text_of(client.get("/qa/scorecards/new"))
    response = post(client, "/qa/scorecards/new", scorecard_form())
    assert response.status_code == 302 and response.headers["Location"] == "/qa/scorecards"
    card = session.scalar(select(QaScorecard).where(QaScorecard.name == "Outbound sales"))
    assert card is not None and card.pass_score == 75 and card.description == "Sales calls"
    assert [(i.question, i.weight, i.critical) for i in card.items] == [
        ("Read the legal notice", 1.0, True),
        ("Introduced the offer", 2.0, False),
    ]
    listing = text_of(client.get("/qa/scorecards"))
    assert "Scorecard Outbound sales created." in listing and "Outbound sales" in listing
    audited = session.scalars(select(AuditLogEntry.action)).all()
    assert "qa_scorecard_created" in audited


def test_a_wrong_scorecard_is_refused_with_every_problem_and_nothing_lost(
    web_client: Clients, session: Session
) -> None:
    client = web_client("supervisor")
    response = post(
        client,
        "/qa/scorecards/new",
        scorecard_form(name="", pass_score="150", **{"item-1-weight": "0", "item-2-question": ""}),
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "Give the scorecard a name." in page
    assert "The pass score must be a number from 0 to 100." in page
    assert "Item 1: the weight must be a number greater than 0 and at most 100." in page
    assert "Item 2: write the question, or clear the row." in page
    # What was typed is still there.
    assert 'value="Introduced the offer"' in page and 'value="150"' in page
    assert count(session, QaScorecard) == 0


def test_a_scorecard_name_already_taken_is_refused(web_client: Clients, session: Session) -> None:
    add_scorecard(session, "Outbound sales")
    response = post(web_client("admin"), "/qa/scorecards/new", scorecard_form())
    assert response.status_code == 400
    assert "Another scorecard is already called Outbound sales." in text_of(response)
    assert count(session, QaScorecard) == 1


def test_script_in_a_question_is_shown_as_text(web_client: Clients, session: Session) -> None:
    client = web_client("supervisor")
    response = post(
        client, "/qa/scorecards/new", scorecard_form(name=SCRIPT, **{"item-1-question": SCRIPT})
    )
    assert response.status_code == 302
    card = session.scalar(select(QaScorecard).where(QaScorecard.name == SCRIPT))
    assert card is not None
    for url in ("/qa/scorecards", f"/qa/scorecards/{card.id}"):
        page = text_of(client.get(url))
        assert SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    call = add_call(session, "c1", ann(session))
    page = text_of(client.get(f"/qa/calls/{call.id}/evaluate?scorecard={card.id}"))
    assert SCRIPT not in page and "&lt;script&gt;" in page


def test_editing_a_used_scorecard_saves_a_new_version(
    web_client: Clients, session: Session
) -> None:
    card = add_scorecard(session)
    old_id = card.id
    evaluation = add_evaluation(session, card, add_call(session, "c1", ann(session)), (1, 1, 1))
    client = web_client("supervisor")
    page = text_of(client.get(f"/qa/scorecards/{old_id}"))
    assert "1 evaluations used this scorecard" in page
    form = {
        "name": "Inbound service",
        "pass_score": "80",
        "item-1-question": "Greeted the caller",
        "item-1-weight": "2",
        "item-2-question": "Solved the problem",
        "item-2-weight": "3",
        "item-3-question": "Checked identity",
        "item-3-weight": "1",
        "item-3-critical": "1",
    }
    response = post(client, f"/qa/scorecards/{old_id}", form)
    assert response.status_code == 302
    assert "saved as a new version" in text_of(client.get("/qa/scorecards"))
    reread(session)
    old = session.get(QaScorecard, old_id)
    assert old is not None and not old.active and old.name.endswith("replaced)")
    assert [item.weight for item in old.items] == [1.0, 3.0, 1.0]
    new = session.scalar(select(QaScorecard).where(QaScorecard.name == "Inbound service"))
    assert new is not None and new.active and [i.weight for i in new.items] == [2.0, 3.0, 1.0]
    assert session.get(QaEvaluation, evaluation.id).scorecard_id == old_id  # type: ignore[union-attr]
    assert "qa_scorecard_new_version" in session.scalars(select(AuditLogEntry.action)).all()


def test_renaming_a_used_scorecard_keeps_it(web_client: Clients, session: Session) -> None:
    card = add_scorecard(session)
    add_evaluation(session, card, add_call(session, "c1", ann(session)), (1, 1, 1))
    form = {
        "name": "Inbound care",
        "pass_score": "80",
        **{f"item-{n}-question": item.question for n, item in enumerate(card.items, 1)},
        **{f"item-{n}-weight": f"{item.weight:g}" for n, item in enumerate(card.items, 1)},
        "item-3-critical": "1",
    }
    assert post(web_client("supervisor"), f"/qa/scorecards/{card.id}", form).status_code == 302
    reread(session)
    assert session.get(QaScorecard, card.id).name == "Inbound care"  # type: ignore[union-attr]
    assert count(session, QaScorecard) == 1


def test_a_scorecard_is_deactivated_and_brought_back(web_client: Clients, session: Session) -> None:
    card = add_scorecard(session)
    client = web_client("supervisor")
    response = post(client, f"/qa/scorecards/{card.id}/active", {"active": "0"})
    assert response.status_code == 302
    reread(session)
    assert not session.get(QaScorecard, card.id).active  # type: ignore[union-attr]
    assert "deactivated" in text_of(client.get("/qa/scorecards"))
    post(client, f"/qa/scorecards/{card.id}/active", {"active": "1"})
    reread(session)
    assert session.get(QaScorecard, card.id).active  # type: ignore[union-attr]
    actions = session.scalars(select(AuditLogEntry.action)).all()
    assert "qa_scorecard_deactivated" in actions and "qa_scorecard_activated" in actions


def test_an_unknown_scorecard_is_not_found(web_client: Clients) -> None:
    client = web_client("supervisor")
    assert client.get("/qa/scorecards/999").status_code == 404
    assert post(client, "/qa/scorecards/999", scorecard_form()).status_code == 404


# --- calls to grade --------------------------------------------------------------------------


def test_the_calls_to_grade_list_recorded_calls_with_filters(
    web_client: Clients, session: Session
) -> None:
    bob = add_agent(session, "1002", "Bob Builder")
    sales = Queue(name="sales", display_name="Sales line")
    session.add(sales)
    session.commit()
    add_call(
        session,
        "ann-call",
        ann(session),
        customer=f"Zhang {SCRIPT}",
        disposition=SCRIPT,
        queue=sales,
    )
    bob_call = add_call(session, "bob-call", bob, minutes_ago=30)
    add_call(session, "not-recorded", bob, ref=None)
    add_call(session, "last-month", bob, minutes_ago=60 * 24 * 30)
    card = add_scorecard(session)
    add_evaluation(session, card, bob_call, (1, 1, 1))
    client = web_client("supervisor")

    page = text_of(client.get("/qa/"))
    assert "Ann Agent" in page and "Bob Builder" in page and "Sales line" in page
    assert page.count("Listen and evaluate") == 2  # neither the unrecorded nor the old call
    assert SCRIPT not in page and "Zhang &lt;script&gt;" in page

    only_bob = text_of(client.get(f"/qa/?agent={bob.id}"))
    assert only_bob.count("Listen and evaluate") == 1 and "Zhang" not in only_bob
    only_sales = text_of(client.get(f"/qa/?queue={sales.id}"))
    assert only_sales.count("Listen and evaluate") == 1 and "Zhang" in only_sales
    pending = text_of(client.get("/qa/?pending=1"))
    assert pending.count("Listen and evaluate") == 1 and "Zhang" in pending
    month = text_of(client.get("/qa/?from=2026-10-01&to=2026-11-23"))
    assert month.count("Listen and evaluate") == 3


def test_sql_looking_filters_are_plain_text(web_client: Clients, session: Session) -> None:
    add_call(session, "c1", ann(session))
    client = web_client("supervisor")
    response = client.get(
        "/qa/", query_string={"agent": SQL, "queue": SQL, "from": SQL, "before": SQL}
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "Not a date: &#39; OR 1=1 --. Use the form YYYY-MM-DD." in page
    assert page.count("Listen and evaluate") == 1
    assert count(session, Interaction) == 1


def test_the_calls_are_paged_newest_first(web_client: Clients, session: Session) -> None:
    agent = ann(session)
    for n in range(53):
        add_call(session, f"c{n:02d}", agent, minutes_ago=n + 1, disposition=f"case-{n:02d}")
    client = web_client("supervisor")
    first = text_of(client.get("/qa/"))
    assert first.count("Listen and evaluate") == 50
    assert "case-00" in first and "case-49" in first and "case-50" not in first
    next_url = first.split('href="', 1)[0]  # the "Older calls" link
    marker = first.index("Older calls")
    next_url = first[:marker].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = text_of(client.get(next_url))
    assert second.count("Listen and evaluate") == 3
    assert "case-50" in second and "case-52" in second and "case-49" not in second
    assert "Older calls" not in second and "Newest calls" in second


# --- evaluating ------------------------------------------------------------------------------


def test_the_evaluation_page_shows_the_call_the_player_and_the_items(
    web_client: Clients, session: Session
) -> None:
    card = add_scorecard(session)
    call = add_call(session, "1700000000.42", ann(session), customer="Zhang Wei")
    page = text_of(web_client("supervisor").get(f"/qa/calls/{call.id}/evaluate"))
    assert (
        f'<audio controls preload="none" class="qa-player" src="/qa/recordings/{call.id}"' in page
    )
    assert "Ann Agent" in page and "Zhang Wei" in page and "1700000000.42" in page
    assert "3:20" in page  # the call's duration
    assert "resolved" in page
    for item in card.items:
        assert item.question in page
        assert f'name="item-{item.id}" value="pass"' in page
    critical = card.items[2]
    assert f'name="item-{critical.id}" value="partial"' not in page  # pass or fail only


def test_the_evaluation_page_shows_the_agents_notes_on_the_call(
    web_client: Clients, session: Session, web_users: dict[str, WebUser]
) -> None:
    call = add_call(session, "1700000000.42", ann(session))
    for minutes, text in ((5, f"Caller upset {SCRIPT}"), (3, "Refund promised\nby Friday")):
        add_call_note(
            session,
            linkedid=call.linkedid,
            user_id=web_users["agent"].id,
            agent_id=ann(session).id,
            text=text,
            at=START - timedelta(minutes=minutes),
        )
    add_call_note(
        session,
        linkedid="1700000000.99",  # another call's note
        user_id=web_users["agent"].id,
        agent_id=ann(session).id,
        text="Not this call",
        at=START,
    )
    session.commit()
    page = text_of(web_client("supervisor").get(f"/qa/calls/{call.id}/evaluate"))
    assert "Agent notes on this call" in page and "The agent" in page  # the author
    assert SCRIPT not in page and "Caller upset &lt;script&gt;" in page
    assert page.index("Caller upset") < page.index("Refund promised")  # in the order written
    assert "Not this call" not in page
    other = add_call(session, "1700000000.43", ann(session), minutes_ago=30)
    page = text_of(web_client("supervisor").get(f"/qa/calls/{other.id}/evaluate"))
    assert "Agent notes on this call" not in page


def test_an_evaluation_is_scored_stored_and_shown(web_client: Clients, session: Session) -> None:
    card = add_scorecard(session, pass_score=50)
    call = add_call(session, "c1", ann(session))
    greeting, solution, identity = card.items
    client = web_client("supervisor")
    response = post(
        client,
        f"/qa/calls/{call.id}/evaluate",
        {
            "scorecard_id": str(card.id),
            f"item-{greeting.id}": "pass",
            f"item-{solution.id}": "partial",
            f"item-{identity.id}": "fail",
            "comment": f"Forgot the identity check {SCRIPT}",
        },
    )
    assert response.status_code == 302
    reread(session)
    evaluation = session.scalar(select(QaEvaluation))
    assert evaluation is not None
    assert evaluation.score == 50.0  # (1 + 1.5 + 0) / 5
    assert evaluation.critical_failed  # the critical item failed: a major error
    assert evaluation.agent_id == ann(session).id and evaluation.interaction_id == call.id
    assert evaluation.answers == {
        str(greeting.id): 1.0,
        str(solution.id): 0.5,
        str(identity.id): 0.0,
    }
    assert response.headers["Location"] == f"/qa/evaluations/{evaluation.id}"
    page = text_of(client.get(response.headers["Location"]))
    assert "Evaluation saved: score 50.0, failed on a critical item (major error)." in page
    assert "Major error" in page
    assert SCRIPT not in page and "Forgot the identity check &lt;script&gt;" in page


def test_a_passing_evaluation(web_client: Clients, session: Session) -> None:
    card = add_scorecard(session, pass_score=80)
    call = add_call(session, "c1", ann(session))
    form = {"scorecard_id": str(card.id), **{f"item-{i.id}": "pass" for i in card.items}}
    form[f"item-{card.items[0].id}"] = "fail"
    client = web_client("admin")
    response = post(client, f"/qa/calls/{call.id}/evaluate", form)
    assert "Evaluation saved: score 80.0, passed." in text_of(
        client.get(response.headers["Location"])
    )
    reread(session)
    evaluation = session.scalar(select(QaEvaluation))
    assert evaluation is not None and evaluation.score == 80.0 and not evaluation.critical_failed


def test_an_item_left_unanswered_is_refused_and_the_answers_kept(
    web_client: Clients, session: Session
) -> None:
    card = add_scorecard(session)
    call = add_call(session, "c1", ann(session))
    greeting, _, identity = card.items
    response = post(
        web_client("supervisor"),
        f"/qa/calls/{call.id}/evaluate",
        {
            "scorecard_id": str(card.id),
            f"item-{greeting.id}": "pass",
            f"item-{identity.id}": "sometimes",
            "comment": "Half done",
        },
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "Score every item: 2 left without a score are marked below." in page
    assert f'name="item-{greeting.id}" value="pass" checked' in page
    assert "Half done" in page
    assert count(session, QaEvaluation) == 0


def test_a_retired_scorecard_cannot_be_used(web_client: Clients, session: Session) -> None:
    card = add_scorecard(session)
    card.active = False
    session.commit()
    call = add_call(session, "c1", ann(session))
    form = {"scorecard_id": str(card.id), **{f"item-{i.id}": "pass" for i in card.items}}
    response = post(web_client("supervisor"), f"/qa/calls/{call.id}/evaluate", form)
    assert response.status_code == 409
    assert "This scorecard is no longer in use" in text_of(response)
    assert count(session, QaEvaluation) == 0


def test_a_call_nobody_took_cannot_be_evaluated(web_client: Clients, session: Session) -> None:
    card = add_scorecard(session)
    call = add_call(session, "c1", None)
    form = {"scorecard_id": str(card.id), **{f"item-{i.id}": "pass" for i in card.items}}
    response = post(web_client("supervisor"), f"/qa/calls/{call.id}/evaluate", form)
    assert response.status_code == 400
    assert "No agent took this call" in text_of(response)
    assert post(web_client("supervisor"), "/qa/calls/999/evaluate", form).status_code == 404


def test_without_an_active_scorecard_the_page_says_to_create_one(
    web_client: Clients, session: Session
) -> None:
    call = add_call(session, "c1", ann(session))
    page = text_of(web_client("supervisor").get(f"/qa/calls/{call.id}/evaluate"))
    assert "There is no active scorecard yet: create one first." in page


# --- the recording ---------------------------------------------------------------------------


def store_recording(root: Path, ref: str = "asterisk-cc/2026/11/23/call.wav") -> Path:
    path = root / ref
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(WAV)
    return path


def played(session: Session) -> list[AuditLogEntry]:
    reread(session)
    return list(
        session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "recording_played"))
    )


def test_a_recording_is_served_with_range_requests_and_audited_once_per_listening(
    web_client: Clients, session: Session, recordings: Path, web_clock: FixedClock
) -> None:
    store_recording(recordings)
    call = add_call(session, "1700000000.7", ann(session))
    client = web_client("supervisor")
    with client.get(f"/qa/recordings/{call.id}") as response:
        assert response.status_code == 200
        assert response.mimetype == "audio/wav"
        assert response.data == WAV
        assert response.headers["Accept-Ranges"] == "bytes"
        assert "no-store" in response.headers["Cache-Control"]
    with client.get(f"/qa/recordings/{call.id}", headers={"Range": "bytes=100-199"}) as response:
        assert response.status_code == 206
        assert response.headers["Content-Range"] == f"bytes 100-199/{len(WAV)}"
        assert response.data == WAV[100:200]
    entries = played(session)
    assert len(entries) == 1  # the seek belongs to the same listening
    assert entries[0].target == "call:1700000000.7"
    assert entries[0].username == "supervisor"
    assert entries[0].details == {"interaction_id": call.id, "recording": call.recording_ref}
    web_clock.advance(minutes=11)
    with client.get(f"/qa/recordings/{call.id}", headers={"Range": "bytes=0-"}) as response:
        assert response.status_code == 206
    assert len(played(session)) == 2


def test_recordings_are_played_from_the_configured_folder_only(
    web_client: Clients, session: Session, recordings: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "another-recording-folder"
    store_recording(elsewhere)
    call = add_call(session, "1700000000.8", ann(session))
    client = web_client("supervisor")
    # The call's file is in another folder, not [web] recordings_dir: missing, for the page.
    response = client.get(f"/qa/recordings/{call.id}")
    assert response.status_code == 404
    assert "The recording file of this call is missing" in text_of(response)
    store_recording(recordings)
    with client.get(f"/qa/recordings/{call.id}") as response:
        assert response.status_code == 200 and response.data == WAV


def test_a_recording_is_never_served_from_outside_the_recording_directory(
    web_client: Clients, session: Session, recordings: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    client = web_client("admin")
    for ref in ("../secret.txt", "../../etc/passwd", "/etc/passwd", "asterisk-cc/../../secret.txt"):
        call = add_call(session, f"call-{ref}", ann(session), ref=ref)
        response = client.get(f"/qa/recordings/{call.id}")
        assert response.status_code == 404, ref
        assert "secret" not in text_of(response) and "root:" not in text_of(response)
        assert "The recording reference stored for this call is not valid" in text_of(response)
    # Only a call's number is accepted: no path in the request.
    for url in ("/qa/recordings/abc", "/qa/recordings/..%2F..%2Fetc%2Fpasswd", "/qa/recordings/-1"):
        assert client.get(url).status_code == 404, url
    assert played(session) == []


def test_a_missing_recording_file_is_a_clear_404(web_client: Clients, session: Session) -> None:
    call = add_call(session, "c1", ann(session))
    client = web_client("supervisor")
    response = client.get(f"/qa/recordings/{call.id}")
    assert response.status_code == 404
    assert "The recording file of this call is missing" in text_of(response)
    unrecorded = add_call(session, "c2", ann(session), ref=None)
    assert "This call has no recording." in text_of(client.get(f"/qa/recordings/{unrecorded.id}"))
    assert client.get("/qa/recordings/987654").status_code == 404
    assert played(session) == []


def test_an_agent_cannot_have_a_recording_even_of_their_own_call(
    web_client: Clients, session: Session, recordings: Path
) -> None:
    store_recording(recordings)
    call = add_call(session, "c1", ann(session))
    assert web_client("agent").get(f"/qa/recordings/{call.id}").status_code == 403
    assert played(session) == []


# --- results ---------------------------------------------------------------------------------


def seed_results(session: Session) -> tuple[Agent, Agent, QaScorecard]:
    bob = add_agent(session, "1002", "Bob Builder")
    card = add_scorecard(session, pass_score=80)
    agent = ann(session)
    # Ann in the last 30 days: 100 (pass), 80 (pass), 80 with the critical item failed.
    add_evaluation(session, card, add_call(session, "a1", agent), (1, 1, 1), days_ago=1)
    add_evaluation(
        session, card, add_call(session, "a2", agent), (0, 1, 1), days_ago=2, comment="Greet first"
    )
    add_evaluation(session, card, add_call(session, "a3", agent), (1, 1, 0), days_ago=3)
    # Ann 40 days ago (the period before): 60.
    add_evaluation(session, card, add_call(session, "a0", agent), (1, 0.5, 1), days_ago=40)
    # Bob: 40, below the pass score.
    add_evaluation(session, card, add_call(session, "b1", bob), (1, 0, 1), days_ago=5)
    return agent, bob, card


def row_of(page: str, text: str) -> str:
    """The table row of ``page`` that holds ``text``."""
    at = page.index(text)
    return page[page.rindex("<tr>", 0, at) : page.index("</tr>", at)]


def test_results_per_agent(web_client: Clients, session: Session) -> None:
    agent, bob, _ = seed_results(session)
    page = text_of(web_client("supervisor").get("/qa/results"))
    ann_row = row_of(page, "Ann Agent")
    assert ">3<" in ann_row  # evaluations
    assert "86.7" in ann_row  # (100 + 80 + 80) / 3
    assert "66.7%" in ann_row  # pass rate: 2 of 3
    assert "33.3%" in ann_row  # major-error rate: 1 of 3
    assert "Up" in ann_row  # 86.7 against 70.0 before
    assert f"/qa/results/agents/{agent.id}?" in ann_row  # the drill-down
    bob_row = row_of(page, "Bob Builder")
    assert "40.0" in bob_row and "0.0%" in bob_row
    assert f"/qa/results/agents/{bob.id}?" in bob_row
    # A period with none of them.
    empty = text_of(web_client("supervisor").get("/qa/results?from=2025-01-01&to=2025-01-31"))
    assert "No evaluation in this period." in empty


def test_an_agents_evaluations(web_client: Clients, session: Session) -> None:
    agent, _, _ = seed_results(session)
    client = web_client("supervisor")
    page = text_of(client.get(f"/qa/results/agents/{agent.id}"))
    assert "Quality of Ann Agent" in page
    assert page.count("Major error") >= 1 and "Greet first" in page
    assert "Bob" not in page
    assert "Score per week" in page
    assert client.get("/qa/results/agents/999").status_code == 404


# --- an agent's own evaluations --------------------------------------------------------------


def test_an_agent_sees_only_their_own_evaluations(web_client: Clients, session: Session) -> None:
    agent, bob, card = seed_results(session)
    bob_evaluation = session.scalar(select(QaEvaluation).where(QaEvaluation.agent_id == bob.id))
    assert bob_evaluation is not None
    add_evaluation(session, card, add_call(session, "a9", agent), (1, 1, 1), comment=SCRIPT)
    client = web_client("agent")
    page = text_of(client.get("/qa/mine"))
    assert "My evaluations" in page and "Greet first" in page
    assert "Bob" not in page and "40.0" not in page
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert "/qa/recordings/" not in page
    own = session.scalar(
        select(QaEvaluation).where(
            QaEvaluation.agent_id == agent.id, QaEvaluation.comment == "Greet first"
        )
    )
    assert own is not None
    detail = text_of(client.get(f"/qa/mine/{own.id}"))
    assert "Greeted the caller" in detail and "Greet first" in detail
    # Another agent's evaluation does not exist for this agent, whatever the number asked.
    assert client.get(f"/qa/mine/{bob_evaluation.id}").status_code == 404
    assert client.get(f"/qa/evaluations/{bob_evaluation.id}").status_code == 403


def test_the_pages_speak_chinese(web_client: Clients, session: Session) -> None:
    seed_results(session)
    client = web_client("supervisor")
    post(client, "/language", {"language": "zh", "next": "/qa/results"})
    page = text_of(client.get("/qa/results"))
    assert "坐席质检结果" in page and "致命错误率" in page
