"""The start page: each role lands where its work is."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, url_for

from asterisk_cc.core.vocabulary import UserRole
from asterisk_cc.web.access import current_user
from asterisk_cc.web.nav import NavItem

blueprint = Blueprint("home", __name__)
NAV: list[NavItem] = []


@blueprint.route("/")
def index() -> Any:
    if current_user().role is UserRole.AGENT:
        return redirect(url_for("desktop.index"))
    return redirect(url_for("wallboard.index"))
