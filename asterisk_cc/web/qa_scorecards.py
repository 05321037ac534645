"""Quality pages: scorecards (supervisors and admins).

A scorecard is a name, a description, a pass score and its items (question, weight, critical
or not, order). Once an evaluation used a scorecard, a change to its pass score or items saves
a new version and retires the old one, so past evaluations keep what they were scored on
(:func:`asterisk_cc.db.qa.update_scorecard`); a name or description change is made in place.
Every change is in the audit log.
"""

from __future__ import annotations

import re
from typing import Any, Final

from flask import abort, flash, redirect, render_template, request, url_for

from asterisk_cc.core.qa import ItemRow, Problem, ProblemCode, parse_scorecard
from asterisk_cc.db.models import QaScorecard
from asterisk_cc.db.qa import (
    ScorecardNameTaken,
    create_scorecard,
    evaluation_count,
    scorecard_summaries,
    update_scorecard,
)
from asterisk_cc.web.access import audit, supervisors_only
from asterisk_cc.web.context import db
from asterisk_cc.web.i18n import gettext
from asterisk_cc.web.qa_common import blueprint

BLANK_ROWS: Final = 3
"""Empty item rows the form offers (more with the "Add item" button)."""
MAX_FORM_ROWS: Final = 200
ROW_FIELD: Final = re.compile(r"item-(\d{1,3})-question")


@blueprint.route("/scorecards")
@supervisors_only
def scorecards() -> Any:
    return render_template("qa/scorecards.html", scorecards=scorecard_summaries(db()))


def _rows_of(card: QaScorecard | None) -> list[ItemRow]:
    rows = [
        ItemRow(
            question=item.question,
            weight=f"{item.weight:g}",
            critical=item.critical,
            order=str(item.position),
        )
        for item in (card.items if card else [])
    ]
    return rows + [ItemRow(weight="1") for _ in range(BLANK_ROWS)]


def _rows_from_form() -> list[ItemRow]:
    """The item rows as posted, in the form's order (``item-<n>-question`` and friends)."""
    numbers = sorted(
        {int(match.group(1)) for key in request.form if (match := ROW_FIELD.fullmatch(key))}
    )[:MAX_FORM_ROWS]
    return [
        ItemRow(
            question=request.form.get(f"item-{n}-question", ""),
            weight=request.form.get(f"item-{n}-weight", ""),
            critical=request.form.get(f"item-{n}-critical") == "1",
            order=request.form.get(f"item-{n}-order", ""),
        )
        for n in numbers
    ]


def _problem_text(problem: Problem) -> str:
    row = problem.row
    messages = {
        ProblemCode.NAME_MISSING: lambda: gettext("Give the scorecard a name."),
        ProblemCode.NAME_TOO_LONG: lambda: gettext(
            "The name is too long (at most 128 characters)."
        ),
        ProblemCode.DESCRIPTION_TOO_LONG: lambda: gettext(
            "The description is too long (at most 2000 characters)."
        ),
        ProblemCode.PASS_SCORE_INVALID: lambda: gettext(
            "The pass score must be a number from 0 to 100."
        ),
        ProblemCode.NO_ITEMS: lambda: gettext("Add at least one item (a question to score)."),
        ProblemCode.TOO_MANY_ITEMS: lambda: gettext("A scorecard has at most 50 items."),
        ProblemCode.QUESTION_MISSING: lambda: gettext(
            "Item {row}: write the question, or clear the row.", row=row
        ),
        ProblemCode.QUESTION_TOO_LONG: lambda: gettext(
            "Item {row}: the question is too long (at most 500 characters).", row=row
        ),
        ProblemCode.QUESTION_REPEATED: lambda: gettext(
            "Item {row}: the same question is already on the scorecard.", row=row
        ),
        ProblemCode.WEIGHT_INVALID: lambda: gettext(
            "Item {row}: the weight must be a number greater than 0 and at most 100.", row=row
        ),
        ProblemCode.ORDER_INVALID: lambda: gettext(
            "Item {row}: the order must be a number.", row=row
        ),
    }
    return messages[problem.code]()


def _render_form(
    card: QaScorecard | None,
    *,
    rows: list[ItemRow] | None = None,
    values: dict[str, str] | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> Any:
    used_by = 0 if card is None else evaluation_count(db(), card.id)
    if values is None:
        values = {
            "name": card.name if card else "",
            "description": (card.description or "") if card else "",
            "pass_score": f"{card.pass_score:g}" if card else "80",
        }
    return (
        render_template(
            "qa/scorecard_form.html",
            card=card,
            used_by=used_by,
            rows=rows if rows is not None else _rows_of(card),
            values=values,
            problems=problems or [],
        ),
        status,
    )


@blueprint.route("/scorecards/new")
@supervisors_only
def new_scorecard() -> Any:
    return _render_form(None)


@blueprint.route("/scorecards/<int:scorecard_id>")
@supervisors_only
def edit_scorecard(scorecard_id: int) -> Any:
    return _render_form(_scorecard_or_404(scorecard_id))


def _scorecard_or_404(scorecard_id: int) -> QaScorecard:
    card = db().get(QaScorecard, scorecard_id)
    if card is None:
        abort(404, description=gettext("There is no such scorecard."))
    return card


@blueprint.route("/scorecards/new", methods=["POST"])
@supervisors_only
def create_scorecard_view() -> Any:
    return _save(None)


@blueprint.route("/scorecards/<int:scorecard_id>", methods=["POST"])
@supervisors_only
def save_scorecard(scorecard_id: int) -> Any:
    return _save(_scorecard_or_404(scorecard_id))


def _save(card: QaScorecard | None) -> Any:
    values = {
        "name": request.form.get("name", ""),
        "description": request.form.get("description", ""),
        "pass_score": request.form.get("pass_score", ""),
    }
    rows = _rows_from_form()
    draft, problems = parse_scorecard(
        values["name"], values["description"], values["pass_score"], rows
    )
    messages = [_problem_text(problem) for problem in problems]
    if draft is not None:
        try:
            if card is None:
                saved = create_scorecard(db(), draft)
                audit("qa_scorecard_created", f"scorecard:{saved.id}", name=saved.name)
                flash(gettext("Scorecard {name} created.", name=saved.name), "ok")
            else:
                result = update_scorecard(db(), card, draft)
                saved = result.scorecard
                if result.new_version:
                    audit(
                        "qa_scorecard_new_version",
                        f"scorecard:{saved.id}",
                        name=saved.name,
                        replaces=result.replaced_id,
                    )
                    flash(
                        gettext(
                            "Scorecard {name} saved as a new version: the evaluations made with the previous one keep it.",
                            name=saved.name,
                        ),
                        "ok",
                    )
                else:
                    audit("qa_scorecard_changed", f"scorecard:{saved.id}", name=saved.name)
                    flash(gettext("Scorecard {name} saved.", name=saved.name), "ok")
        except ScorecardNameTaken:
            db().rollback()
            messages.append(gettext("Another scorecard is already called {name}.", name=draft.name))
        else:
            db().commit()
            return redirect(url_for("qa.scorecards"))
    if card is not None:
        # The rollback expired it: load it again for the form's header.
        card = db().get(QaScorecard, card.id)
    return _render_form(card, rows=rows, values=values, problems=messages, status=400)


@blueprint.route("/scorecards/<int:scorecard_id>/active", methods=["POST"])
@supervisors_only
def set_active(scorecard_id: int) -> Any:
    """Deactivate a scorecard (no new evaluations with it) or bring it back."""
    card = _scorecard_or_404(scorecard_id)
    active = request.form.get("active") == "1"
    if card.active != active:
        card.active = active
        audit(
            "qa_scorecard_activated" if active else "qa_scorecard_deactivated",
            f"scorecard:{card.id}",
            name=card.name,
        )
        db().commit()
    if active:
        flash(gettext("Scorecard {name} is in use again.", name=card.name), "ok")
    else:
        flash(
            gettext(
                "Scorecard {name} deactivated: no new evaluations with it; past ones stay.",
                name=card.name,
            ),
            "ok",
        )
    return redirect(url_for("qa.scorecards"))
