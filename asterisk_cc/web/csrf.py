"""Cross-site request forgery protection for every form and every script's request.

A random token is kept in the signed session; each unsafe request (POST, PUT, PATCH, DELETE)
must send it back, as the form field ``csrf_token`` (``{{ csrf_field() }}`` in a form) or the
header ``X-CSRF-Token`` (the page's scripts read it from ``<meta name="csrf-token">``).
Without it, or with another, the request is refused with 400 before any view runs.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from flask import abort, request, session
from markupsafe import Markup, escape

SESSION_KEY: Final = "csrf"
FIELD: Final = "csrf_token"
HEADER: Final = "X-CSRF-Token"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token (made on first use)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(csrf_token()))


def check_csrf() -> None:
    """Refuse an unsafe request whose token is missing or wrong (a ``before_request`` hook)."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = session.get(SESSION_KEY)
    given = request.headers.get(HEADER) or request.form.get(FIELD) or ""
    if (
        not isinstance(expected, str)
        or not expected
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        abort(
            400,
            description="The form has expired or did not come from this dashboard "
            "(missing or wrong CSRF token): reload the page and try again.",
        )
