"""The effective configuration: every section and key, its value, where the value came from
and the key's documentation, with secrets masked.

Secrets are the keys the schema declares secret (:func:`asterisk_cc.config.setting`), shown
``***`` when set and ``(not set)`` when empty, as ``asterisk-cc config show`` shows them; any
other value holding a URL with a password has the password hidden
(:mod:`asterisk_cc.core.settings_view`). Where a value came from follows the loader's order:
the environment (``ASTERISK_CC_<SECTION>_<KEY>``) wins over the file, which wins over the
default. Read-only: the configuration is changed in its file, and processes read it at start.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import render_template

from asterisk_cc.config import SECTIONS, Settings, env_var_name
from asterisk_cc.core.settings_view import Origin, setting_origin, shown_setting
from asterisk_cc.web.access import admins_only
from asterisk_cc.web.admin_base import blueprint
from asterisk_cc.web.context import web_context
from asterisk_cc.web.i18n import gettext


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: str
    secret: bool
    origin: Origin
    env_var: str
    doc: str
    choices: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class SectionView:
    name: str
    doc: str
    rows: tuple[SettingRow, ...]


def _file_keys(source: str) -> tuple[dict[str, Any], bool]:
    """The raw sections of the configuration file (no values are shown from it: only which
    keys it sets), and whether it could be read."""
    path = Path(source)
    if source.startswith("(") or not path.is_file():
        return {}, False
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle), True
    except (OSError, tomllib.TOMLDecodeError):
        return {}, False


def _default(f: dataclasses.Field[Any]) -> Any:
    return f.default_factory() if callable(f.default_factory) else f.default


def setting_sections(settings: Settings, environ: Mapping[str, str]) -> list[SectionView]:
    raw, _ = _file_keys(settings.source)
    sections = []
    for name in SECTIONS:
        values = getattr(settings, name)
        section_raw = raw.get(name)
        in_file: dict[str, Any] = section_raw if isinstance(section_raw, dict) else {}
        rows = []
        for f in dataclasses.fields(values):
            value = getattr(values, f.name)
            env_var = env_var_name(name, f.name)
            rows.append(
                SettingRow(
                    key=f.name,
                    value=shown_setting(value, secret=bool(f.metadata["secret"])),
                    secret=bool(f.metadata["secret"]),
                    origin=setting_origin(
                        in_environment=env_var in environ,
                        in_file=f.name in in_file,
                        is_default=value == _default(f),
                    ),
                    env_var=env_var,
                    doc=f.metadata["doc"],
                    choices=tuple(f.metadata["choices"]),
                    required=bool(f.metadata["required"]),
                )
            )
        doc = (type(values).__doc__ or "").strip()
        sections.append(SectionView(name, doc, tuple(rows)))
    return sections


def origin_names() -> dict[Origin, str]:
    return {
        Origin.ENVIRONMENT: gettext("environment"),
        Origin.FILE: gettext("file"),
        Origin.DEFAULT: gettext("default"),
        Origin.PROGRAM: gettext("set at start-up"),
    }


@blueprint.route("/settings")
@admins_only
def settings() -> str:
    current = web_context().settings
    _, readable = _file_keys(current.source)
    return render_template(
        "admin/settings.html",
        sections=setting_sections(current, os.environ),
        source=current.source,
        readable=readable,
        origins=origin_names(),
    )
