"""English and Chinese on every page.

Templates and views write the English text and wrap it: ``{{ _("Log in") }}`` or
``gettext("Log in")``. The Chinese is looked up in the catalogues of
:mod:`asterisk_cc.web.translations` (one module per part of the dashboard, named as its
blueprint, each a ``ZH`` dict from the English text to the Chinese): the page's own part
first, then ``common``, then any part; a text with no translation is shown in English, and a
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


COMMON_PART: Final = "common"


@cache
def part_catalogues() -> dict[str, dict[str, str]]:
    """Each module's ``ZH`` dict of the translations package, by module name."""
    catalogues: dict[str, dict[str, str]] = {}
    for module_info in pkgutil.iter_modules(translations.__path__):
        module = importlib.import_module(f"{translations.__name__}.{module_info.name}")
        catalogues[module_info.name] = dict(getattr(module, "ZH", {}))
    return catalogues


@cache
def chinese_catalogue() -> dict[str, str]:
    """Every part's catalogue, merged (the last resort of a lookup)."""
    merged: dict[str, str] = {}
    for catalogue in part_catalogues().values():
        merged.update(catalogue)
    return merged


def _chinese(text: str, part: str | None) -> str:
    """A word such as "Ready" or "Target" reads differently in different parts of the
    dashboard, so the page's own part is asked first, then the shared one, then any."""
    catalogues = part_catalogues()
    for name in (part, COMMON_PART):
        if name is not None and text in catalogues.get(name, {}):
            return catalogues[name][text]
    return chinese_catalogue().get(text, text)


def _request_part() -> str | None:
    return request.blueprint if has_request_context() else None


def current_language() -> str:
    if not has_request_context():
        return "en"
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES, default="en") or "en"


def translate(text: str, language: str, *, part: str | None = None, **values: Any) -> str:
    """``text`` in ``language``, placeholders filled; ``part`` is the catalogue asked first
    (default: the request's blueprint)."""
    if language == "zh":
        text = _chinese(text, part or _request_part())
    return text.format(**values) if values else text


def gettext(text: str, **values: Any) -> str:
    """``text`` in the request's language."""
    return translate(text, current_language(), **values)
