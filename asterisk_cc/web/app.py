"""The dashboard's Flask application factory.

:func:`create_app` builds the application for a configuration and a database engine: every
part of the dashboard is a blueprint of its own module (:data:`PARTS`), each with its menu
entries (``NAV``). The factory adds what all pages share: log-in required everywhere
(:mod:`~asterisk_cc.web.access`), CSRF checks (:mod:`~asterisk_cc.web.csrf`), the session
cookie's settings, security headers (a strict Content-Security-Policy: no inline scripts, so
an injected ``<script>`` would not run even if escaping failed), the language
(:mod:`~asterisk_cc.web.i18n`) and the error pages.
"""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any, Final

from flask import Flask, g, jsonify, render_template, request
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException

from asterisk_cc.config import Settings
from asterisk_cc.db.engine import session_factory
from asterisk_cc.web import access, csrf
from asterisk_cc.web.context import EXTENSION_KEY, WebContext, close_db
from asterisk_cc.web.formatting import FILTERS
from asterisk_cc.web.i18n import LANGUAGE_NAMES, current_language, gettext
from asterisk_cc.web.nav import NavItem

PARTS: Final = (
    "auth",
    "home",
    "wallboard",
    "desktop",
    "supervise",
    "campaigns",
    "qa",
    "reports_pages",
    "admin",
)
"""The modules of :mod:`asterisk_cc.web` that hold a blueprint (``blueprint``) and menu
entries (``NAV``)."""

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings, engine: Engine, **context: Any) -> Flask:
    """The dashboard for ``settings`` over ``engine``; ``context`` overrides the
    :class:`~asterisk_cc.web.context.WebContext` defaults (clock, controller, live feed)."""
    if not settings.web.secret_key:
        raise ValueError("[web] secret_key is needed to sign the dashboard's sessions")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.web.secret_key,
        SESSION_COOKIE_NAME="asterisk_cc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web.https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=settings.web.max_upload_mb * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions[EXTENSION_KEY] = WebContext(
        settings=settings, engine=engine, sessions=session_factory(engine), **context
    )
    nav: list[NavItem] = []
    for name in PARTS:
        module = importlib.import_module(f"asterisk_cc.web.{name}")
        app.register_blueprint(module.blueprint)
        nav.extend(getattr(module, "NAV", ()))
    nav.sort(key=lambda item: item.order)

    app.before_request(access.load_user)
    app.before_request(csrf.check_csrf)
    app.teardown_appcontext(close_db)
    app.after_request(_security_headers)
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(
        _=gettext,
        csrf_field=csrf.csrf_field,
        csrf_token=csrf.csrf_token,
        current_language=current_language,
        language_names=LANGUAGE_NAMES,
        all_nav_items=tuple(nav),
    )

    @app.context_processor
    def shared() -> dict[str, Any]:
        user = g.get("user")
        return {
            "user": user,
            "nav_items": [item for item in nav if user is not None and user.role in item.roles],
        }

    app.register_error_handler(HTTPException, _error_page)
    return app


def _security_headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages hold customers' data: not kept by the browser or a proxy.
        headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _error_page(error: HTTPException) -> Any:
    code = error.code or 500
    if access.wants_json() or request.headers.get("X-CSRF-Token"):
        return jsonify({"error": error.description, "status": code}), code
    return render_template("error.html", error=error, code=code), code
