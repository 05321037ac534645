"""Quality assurance and call recordings: scorecards, the recorded calls to grade, evaluating a
call while listening to it, results per agent, and each agent's own evaluations.

Supervisors and admins use every page but an agent's own (``/qa/mine``, agents only, showing
only the signed-in agent's evaluations). The pages are in :mod:`~asterisk_cc.web.qa_calls`,
:mod:`~asterisk_cc.web.qa_scorecards` and :mod:`~asterisk_cc.web.qa_results`, all on one
blueprint (:data:`blueprint`, ``/qa``); the scoring is :mod:`asterisk_cc.core.qa`, the
database side :mod:`asterisk_cc.db.qa`. See docs/dashboard/quality.md.
"""

from __future__ import annotations

from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.web import qa_calls, qa_results, qa_scorecards
from asterisk_cc.web.nav import SUPERVISING, NavItem
from asterisk_cc.web.qa_common import blueprint

__all__ = ["NAV", "blueprint", "index"]

NAV = [
    NavItem("qa.index", "Quality", SUPERVISING, 50),
    NavItem("qa.mine", "My evaluations", (UserRole.AGENT,), 50),
]

index = qa_calls.index
"""The quality start page: the recorded calls to grade."""

# The page modules register their views on the blueprint when imported.
_PAGES = (qa_calls, qa_results, qa_scorecards)
