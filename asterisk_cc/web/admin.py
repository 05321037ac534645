"""Admin (to be built)."""

from __future__ import annotations

from flask import Blueprint

from asterisk_cc.web.access import roles
from asterisk_cc.web.nav import ADMIN, NavItem

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
NAV = [NavItem("admin.index", "Admin", ADMIN, 70)]


@blueprint.route("/")
@roles(*ADMIN)
def index() -> str:
    return "Admin"
