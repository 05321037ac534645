"""Agent desktop (to be built)."""

from __future__ import annotations

from flask import Blueprint

from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.web.access import roles
from asterisk_cc.web.nav import NavItem

blueprint = Blueprint("desktop", __name__, url_prefix="/desktop")
NAV = [NavItem("desktop.index", "Agent desktop", (UserRole.AGENT,), 20)]


@blueprint.route("/")
@roles(*(UserRole.AGENT,))
def index() -> str:
    return "Agent desktop"
