"""Supervisor (to be built)."""

from __future__ import annotations

from flask import Blueprint

from asterisk_cc.web.access import roles
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("supervise", __name__, url_prefix="/supervise")
NAV = [NavItem("supervise.index", "Supervisor", SUPERVISING, 30)]


@blueprint.route("/")
@roles(*SUPERVISING)
def index() -> str:
    return "Supervisor"
