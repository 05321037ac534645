"""Campaigns (to be built)."""

from __future__ import annotations

from flask import Blueprint

from asterisk_cc.web.access import roles
from asterisk_cc.web.nav import SUPERVISING, NavItem

blueprint = Blueprint("campaigns", __name__, url_prefix="/campaigns")
NAV = [NavItem("campaigns.index", "Campaigns", SUPERVISING, 40)]


@blueprint.route("/")
@roles(*SUPERVISING)
def index() -> str:
    return "Campaigns"
