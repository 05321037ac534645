"""What the administration pages share: their blueprint, their section menu, and how a form's
problems are said in the user's language.

The pages themselves are in ``admin_*`` modules (users, queues and skills, IVR flows,
settings, health, audit log); :mod:`asterisk_cc.web.admin` brings them together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from flask import Blueprint, request

from asterisk_cc.core.admin_forms import Problem, ProblemCode
from asterisk_cc.web.i18n import gettext

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE: Final = 100


def section_links() -> list[tuple[str, str]]:
    """(endpoint, label) of the administration sections, for the menu on every admin page."""
    return [
        ("admin.index", gettext("Overview")),
        ("admin.users", gettext("Users and roles")),
        ("admin.queues", gettext("Queues")),
        ("admin.skills", gettext("Skills")),
        ("admin.agents", gettext("Agents")),
        ("admin.teams", gettext("Teams")),
        ("admin.ivr", gettext("IVR flows")),
        ("admin.settings", gettext("Settings")),
        ("admin.health", gettext("System health")),
        ("admin.audit_log", gettext("Audit log")),
    ]


SECTION_OF: Final = {
    "admin.user": "admin.users",
    "admin.queue": "admin.queues",
    "admin.agent": "admin.agents",
    "admin.ivr_flow": "admin.ivr",
}
"""The section a detail page belongs to (the others are their own section)."""


@blueprint.context_processor
def admin_menu() -> dict[str, Any]:
    endpoint = request.endpoint or ""
    return {"admin_sections": section_links(), "admin_section": SECTION_OF.get(endpoint, endpoint)}


_PROBLEMS: Final[dict[ProblemCode, Callable[..., str]]] = {
    ProblemCode.REQUIRED: lambda **v: gettext("{field}: required.", **v),
    ProblemCode.TOO_LONG: lambda **v: gettext("{field}: at most {high} characters.", **v),
    ProblemCode.BAD_NAME: lambda **v: gettext(
        "{field}: use letters, digits and the characters shown in the hint.", **v
    ),
    ProblemCode.NOT_WHOLE: lambda **v: gettext("{field}: a whole number is needed.", **v),
    ProblemCode.NOT_NUMBER: lambda **v: gettext("{field}: a number is needed.", **v),
    ProblemCode.OUT_OF_RANGE: lambda **v: gettext("{field}: between {low} and {high}.", **v),
    ProblemCode.NOT_A_CHOICE: lambda **v: gettext("{field}: choose one of the options.", **v),
}


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def problem_messages(problems: Iterable[Problem], labels: dict[str, str]) -> list[str]:
    """Each problem as a sentence naming the field by its label on the page."""
    return [
        _PROBLEMS[p.code](
            field=labels.get(p.field, p.field), low=_number(p.low), high=_number(p.high)
        )
        for p in problems
    ]


@blueprint.app_template_filter("admin_json")
def admin_json(value: Any) -> str:
    """A JSON document (audit details) as compact text; the template escapes it."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def changes_of(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value changed, for the audit log."""
    return {
        key: [_plain(before.get(key)), _plain(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def page_number() -> int:
    """The ``page`` query argument (1 when missing or not a number)."""
    value = request.args.get("page", "")
    return max(1, min(int(value), 100000)) if value.isdigit() else 1


def form_values() -> dict[str, Any]:
    """The submitted form, for showing it again with its problems (no token, no password)."""
    return {
        key: value
        for key, value in request.form.items()
        if key not in ("csrf_token", "password", "password_again")
    }
