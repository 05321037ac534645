"""Reports (to be built)."""

from __future__ import annotations

from flask import Blueprint

from asterisk_cc.web.access import roles
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("reports", __name__, url_prefix="/reports")
NAV = [NavItem("reports.index", "Reports", SUPERVISING, 60)]


@blueprint.route("/")
@roles(*SUPERVISING)
def index() -> str:
    return "Reports"
