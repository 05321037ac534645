"""Quality pages: results per agent, one agent's evaluations, an evaluation, and an agent's
own evaluations (read-only, only theirs).

The figures follow docs/kpi.md §3.2: the quality score is the mean evaluation score of the
period; the major-error rate is the share of evaluations with a critical item failed. The pass
rate is the share of evaluations that reached their scorecard's pass score without a major
error; the trend compares the quality score with the period of the same length just before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from flask import abort, render_template, url_for

from asterisk_cc.db.models import Agent
from asterisk_cc.db.qa import (
    agent_evaluations,
    agent_results,
    agent_weekly_scores,
    evaluation_detail,
)
from asterisk_cc.web.access import agents_only, current_user, supervisors_only
from asterisk_cc.web.context import db, web_context
from asterisk_cc.web.i18n import gettext
from asterisk_cc.web.qa_common import (
    PAGE_SIZE,
    Period,
    blueprint,
    page_arg,
    period_from_request,
)

RESULTS_DEFAULT_DAYS: Final = 30
MINE_DEFAULT_DAYS: Final = 90


@blueprint.route("/results")
@supervisors_only
def results() -> Any:
    period = period_from_request(RESULTS_DEFAULT_DAYS)
    return render_template(
        "qa/results.html",
        period=period,
        results=agent_results(db(), period.start, period.end),
    )


@blueprint.route("/results/agents/<int:agent_id>")
@supervisors_only
def agent(agent_id: int) -> Any:
    """One agent's figures, weekly scores and evaluations over the period."""
    found = db().get(Agent, agent_id)
    if found is None:
        abort(404, description=gettext("There is no such agent."))
    period = period_from_request(RESULTS_DEFAULT_DAYS)
    return _agent_page(
        "qa/agent.html",
        found,
        period,
        page_url=lambda page: url_for(
            "qa.agent",
            agent_id=agent_id,
            page=page,
            **_period_args(period),
        ),
        detail_endpoint="qa.evaluation",
    )


def _period_args(period: Period) -> dict[str, Any]:
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}


def _agent_page(
    template: str,
    found: Agent,
    period: Period,
    *,
    page_url: Callable[[int], str],
    detail_endpoint: str,
) -> Any:
    page = page_arg()
    rows, more = agent_evaluations(
        db(),
        found.id,
        start=period.start,
        end=period.end,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    summary = agent_results(db(), period.start, period.end, agent_id=found.id)
    return render_template(
        template,
        agent=found,
        period=period,
        summary=summary[0] if summary else None,
        weeks=agent_weekly_scores(
            db(), found.id, period.start, period.end, web_context().site_zone
        ),
        evaluations=rows,
        page=page,
        previous_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if more else None,
        detail_endpoint=detail_endpoint,
    )


@blueprint.route("/evaluations/<int:evaluation_id>")
@supervisors_only
def evaluation(evaluation_id: int) -> Any:
    detail = evaluation_detail(db(), evaluation_id)
    if detail is None:
        abort(404, description=gettext("There is no such evaluation."))
    return render_template("qa/evaluation.html", detail=detail, own=False)


@blueprint.route("/mine")
@agents_only
def mine() -> Any:
    """The signed-in agent's own evaluations: the agent comes from the session, never from
    the request."""
    agent_id = current_user().agent_id
    found = db().get(Agent, agent_id) if agent_id is not None else None
    if found is None:
        return render_template("qa/mine.html", agent=None)
    period = period_from_request(MINE_DEFAULT_DAYS)
    return _agent_page(
        "qa/mine.html",
        found,
        period,
        page_url=lambda page: url_for(
            "qa.mine",
            page=page,
            **_period_args(period),
        ),
        detail_endpoint="qa.my_evaluation",
    )


@blueprint.route("/mine/<int:evaluation_id>")
@agents_only
def my_evaluation(evaluation_id: int) -> Any:
    agent_id = current_user().agent_id
    detail = (
        evaluation_detail(db(), evaluation_id, agent_id=agent_id) if agent_id is not None else None
    )
    if detail is None:
        # Another agent's evaluation is answered as if it did not exist.
        abort(404, description=gettext("There is no such evaluation."))
    return render_template("qa/evaluation.html", detail=detail, own=True)
