"""English and Chinese on every page.

Templates and views write the English text and wrap it: ``{{ _("Log in") }}`` or
``gettext("Log in")``. The Chinese is looked up in the catalogues of
:mod:`asterisk_cc.web.translations` (one module per part of the dashboard, each a ``ZH`` dict
from the English text to the Chinese); a text with no translation is shown in English, and a
test lists every such text. Placeholders are ``{name}`` and filled after translation, so both
languages place them where their grammar wants.

The language is the user's choice (the switch in the header, kept in the session), else the
browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any, Final

from flask import has_request_context, request, session

from asterisk_cc.web import translations

LANGUAGES: Final = ("en", "zh")
LANGUAGE_NAMES: Final = {"en": "English", "zh": "中文"}
SESSION_KEY: Final = "lang"


@cache
def chinese_catalogue() -> dict[str, str]:
    """Every ``ZH`` dict of the translations package, merged."""
    merged: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(translations.__path__):
        module = importlib.import_module(f"{translations.__name__}.{module_info.name}")
        merged.update(getattr(module, "ZH", {}))
    return merged


def current_language() -> str:
    if not has_request_context():
        return "en"
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def translate(text: str, language: str, **values: Any) -> str:
    """``text`` in ``language``, placeholders filled."""
    if language == "zh":
        text = chinese_catalogue().get(text, text)
    return text.format(**values) if values else text


def gettext(text: str, **values: Any) -> str:
    """``text`` in the request's language."""
    return translate(text, current_language(), **values)
