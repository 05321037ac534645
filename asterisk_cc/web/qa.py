"""Quality (to be built)."""

from __future__ import annotations

from flask import Blueprint

from asterisk_cc.web.access import roles
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("qa", __name__, url_prefix="/qa")
NAV = [NavItem("qa.index", "Quality", SUPERVISING, 50)]


@blueprint.route("/")
@roles(*SUPERVISING)
def index() -> str:
    return "Quality"
