"""Quality pages: the recorded calls to grade, evaluating a call (with the notes the agents
wrote on it), and playing its recording.

The recording is served only to supervisors and admins, from Asterisk's recording directory
by the reference stored on the call (the request names the call by its number, never a
path), with HTTP range requests so the player can seek. Each listening is in the audit log
(``recording_played``, target ``call:<linkedid>``): the player's follow-up requests within
:data:`PLAY_AUDIT_WINDOW` (seeking, buffering) are part of the same listening.
"""

from __future__ import annotations

import logging
import mimetypes
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from asterisk_cc.core.qa import MAX_ITEMS, ScoringError, parse_points
from asterisk_cc.db.call_notes import notes_of_call
from asterisk_cc.db.models import Agent, QaScorecard, Queue
from asterisk_cc.db.qa import (
    CallNotEvaluable,
    CallsFilter,
    RecordingUnavailable,
    call_details,
    calls_to_grade,
    evaluations_of_call,
    played_recently,
    record_evaluation,
    recording_file,
    scorecard_summaries,
)
from asterisk_cc.db.recordings import RECORDING_PLAYED
from asterisk_cc.web.access import audit, current_user, supervisors_only
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import gettext
from asterisk_cc.web.qa_common import (
    PAGE_SIZE,
    blueprint,
    direction_label,
    int_arg,
    period_from_request,
    recordings_root,
)

logger = logging.getLogger(__name__)

PLAY_AUDIT_WINDOW: Final = timedelta(minutes=10)
MAX_COMMENT: Final = 4000
CALLS_DEFAULT_DAYS: Final = 7
CALL_NOTES_SHOWN: Final = 20
"""The agents' notes on the call shown beside it: the newest, in the order written."""
AUDIO_TYPES: Final = {".wav": "audio/wav", ".gsm": "audio/x-gsm", ".mp3": "audio/mpeg"}


# --- calls to grade --------------------------------------------------------------------------


def _cursor() -> tuple[datetime, int] | None:
    """The ``before`` argument: ``<microseconds since 1970>.<call id>`` of the last row seen."""
    text = request.args.get("before", "")
    micros, _, interaction_id = text.partition(".")
    if not (micros.isdigit() and interaction_id.isdigit() and len(micros) < 20):
        return None
    at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
    return at, int(interaction_id)


def _cursor_text(cursor: tuple[datetime, int]) -> str:
    at, interaction_id = cursor
    micros = (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"{micros}.{interaction_id}"


@blueprint.route("/")
@supervisors_only
def index() -> Any:
    """The recorded calls of a period, newest first, to pick one to evaluate."""
    period = period_from_request(CALLS_DEFAULT_DAYS)
    agent_id = int_arg("agent")
    queue_id = int_arg("queue")
    not_evaluated = request.args.get("pending") == "1"
    filters = CallsFilter(
        start=period.start,
        end=period.end,
        agent_id=agent_id,
        queue_id=queue_id,
        not_evaluated=not_evaluated,
    )
    before = _cursor()
    page = calls_to_grade(db(), filters, before=before, limit=PAGE_SIZE)
    agents = db().execute(select(Agent.id, Agent.name, Agent.login).order_by(Agent.name)).all()
    queues = (
        db().execute(select(Queue.id, Queue.name, Queue.display_name).order_by(Queue.name)).all()
    )
    filter_args: dict[str, Any] = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        **({"agent": agent_id} if agent_id else {}),
        **({"queue": queue_id} if queue_id else {}),
        **({"pending": "1"} if not_evaluated else {}),
    }
    return render_template(
        "qa/calls.html",
        period=period,
        page=page,
        agents=agents,
        queues=queues,
        agent_id=agent_id,
        queue_id=queue_id,
        not_evaluated=not_evaluated,
        first_page=before is None,
        first_url=url_for("qa.index", **filter_args),
        next_url=(
            url_for("qa.index", **filter_args, before=_cursor_text(page.next_cursor))
            if page.next_cursor
            else None
        ),
        direction_label=direction_label,
    )


# --- evaluating ------------------------------------------------------------------------------


def _chosen_scorecard(scorecard_id: int | None) -> QaScorecard | None:
    """The scorecard asked for, else the first active one (by name)."""
    if scorecard_id is not None:
        return db().get(QaScorecard, scorecard_id)
    return db().scalar(
        select(QaScorecard).where(QaScorecard.active).order_by(QaScorecard.name).limit(1)
    )


def _render_evaluation(
    interaction_id: int,
    scorecard: QaScorecard | None,
    *,
    choices: dict[int, str] | None = None,
    comment: str = "",
    problems: list[str] | None = None,
    unanswered: tuple[int, ...] = (),
    status: int = 200,
) -> Any:
    call = call_details(db(), interaction_id)
    if call is None:
        abort(404, description=gettext("There is no call with this number."))
    return (
        render_template(
            "qa/evaluate.html",
            call=call,
            scorecard=scorecard,
            scorecards=scorecard_summaries(db(), active_only=True),
            evaluations=evaluations_of_call(db(), interaction_id),
            notes=notes_of_call(db(), call.linkedid, CALL_NOTES_SHOWN),
            choices=choices or {},
            comment=comment,
            problems=problems or [],
            unanswered=set(unanswered),
            direction_label=direction_label,
        ),
        status,
    )


@blueprint.route("/calls/<int:interaction_id>/evaluate")
@supervisors_only
def evaluate(interaction_id: int) -> Any:
    """The call (details, recording) and the scorecard's form."""
    return _render_evaluation(interaction_id, _chosen_scorecard(int_arg("scorecard")))


@blueprint.route("/calls/<int:interaction_id>/evaluate", methods=["POST"])
@supervisors_only
def save_evaluation(interaction_id: int) -> Any:
    scorecard_text = request.form.get("scorecard_id", "")
    scorecard = db().get(QaScorecard, int(scorecard_text)) if scorecard_text.isdigit() else None
    comment = request.form.get("comment", "").strip()
    choices = {
        item.id: request.form.get(f"item-{item.id}", "")
        for item in (scorecard.items if scorecard else [])[:MAX_ITEMS]
    }
    if scorecard is None or not scorecard.active:
        message = gettext(
            "This scorecard is no longer in use (deactivated or replaced by a new version): evaluate the call with a current one."
        )
        return _render_evaluation(
            interaction_id, _chosen_scorecard(None), comment=comment, problems=[message], status=409
        )
    problems = []
    if len(comment) > MAX_COMMENT:
        problems.append(gettext("The comment is too long (at most 4000 characters)."))
    answers = {item_id: parse_points(text) for item_id, text in choices.items()}
    unanswered: tuple[int, ...] = ()
    if not problems:
        try:
            evaluation, scored = record_evaluation(
                db(),
                interaction_id=interaction_id,
                scorecard=scorecard,
                answers=answers,
                comment=comment,
                evaluator_user_id=current_user().id,
                at=web_context().now(),
            )
        except ScoringError as error:
            unanswered = error.unanswered + error.out_of_range
            problems.append(
                gettext(
                    "Score every item: {count} left without a score are marked below.",
                    count=len(unanswered),
                )
            )
        except CallNotEvaluable:
            if call_details(db(), interaction_id) is None:
                abort(404, description=gettext("There is no call with this number."))
            problems.append(gettext("No agent took this call: there is nobody to evaluate."))
        else:
            db().commit()
            flash(_saved_message(scored.score, scored.critical_failed, scored.passed), "ok")
            return redirect(url_for("qa.evaluation", evaluation_id=evaluation.id))
    db().rollback()
    return _render_evaluation(
        interaction_id,
        scorecard,
        choices=choices,
        comment=comment,
        problems=problems,
        unanswered=unanswered,
        status=400,
    )


def _saved_message(score: float, critical_failed: bool, passed: bool) -> str:
    if critical_failed:
        return gettext(
            "Evaluation saved: score {score}, failed on a critical item (major error).",
            score=f"{score:.1f}",
        )
    if passed:
        return gettext("Evaluation saved: score {score}, passed.", score=f"{score:.1f}")
    return gettext("Evaluation saved: score {score}, below the pass score.", score=f"{score:.1f}")


# --- the recording ---------------------------------------------------------------------------


@blueprint.route("/recordings/<int:interaction_id>")
@supervisors_only
def recording(interaction_id: int) -> Any:
    """The call's recording file, for the page's player (range requests for seeking)."""
    try:
        found = recording_file(db(), interaction_id, recordings_root())
    except RecordingUnavailable as unavailable:
        abort(404, description=_unavailable_message(unavailable, interaction_id))
    _audit_listening(found.linkedid, found.interaction_id, found.ref)
    response = send_file(
        found.path,
        mimetype=AUDIO_TYPES.get(found.path.suffix.lower())
        or mimetypes.guess_type(found.path.name)[0]
        or "application/octet-stream",
        conditional=True,
        max_age=0,
        etag=True,
    )
    # Recordings hold what customers said: never kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store, private"
    return response


def _audit_listening(linkedid: str, interaction_id: int, ref: str) -> None:
    user = current_user()
    target = f"call:{linkedid}"
    since = web_context().now() - PLAY_AUDIT_WINDOW
    if played_recently(db(), user_id=user.id, action=RECORDING_PLAYED, target=target, since=since):
        return
    audit(RECORDING_PLAYED, target, interaction_id=interaction_id, recording=ref)
    db().commit()


def _unavailable_message(unavailable: RecordingUnavailable, interaction_id: int) -> str:
    if unavailable.reason == "no_call":
        return gettext("There is no call with this number.")
    if unavailable.reason == "not_recorded":
        return gettext("This call has no recording.")
    if unavailable.reason == "bad_reference":
        logger.warning(
            "call %s: stored recording reference points outside the recording directory; "
            "not served",
            interaction_id,
        )
        return gettext(
            "The recording reference stored for this call is not valid: it was not served."
        )
    return gettext(
        "The recording file of this call is missing from the recording directory (deleted, archived or not yet written)."
    )
