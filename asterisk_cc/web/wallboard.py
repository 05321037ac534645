"""Wallboard (to be built)."""

from __future__ import annotations

from flask import Blueprint

from asterisk_cc.web.access import roles
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("wallboard", __name__, url_prefix="/wallboard")
NAV = [NavItem("wallboard.index", "Wallboard", SUPERVISING, 10)]


@blueprint.route("/")
@roles(*SUPERVISING)
def index() -> str:
    return "Wallboard"
