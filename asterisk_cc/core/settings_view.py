"""Showing configuration values to an admin without showing a secret.

A key declared secret (passwords, the session key, URLs that carry a token) is shown as
``***`` when set and ``(not set)`` when empty, exactly as ``asterisk-cc config show`` does. Any
other value that holds a URL with a password (``postgresql+psycopg://user:pass@host/db`` in
``[database] url``) has the password replaced by ``***``, so a password put there against the
advice of the documentation does not leak either.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "MASK",
    "NOT_SET",
    "Origin",
    "hide_url_passwords",
    "setting_origin",
    "shown_setting",
]

MASK: Final = "***"
NOT_SET: Final = "(not set)"

# scheme://user:password@  (the password stops at the last @ before the host, as URLs are read)
_URL_PASSWORD: Final = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^\s]*@")


class Origin(StrEnum):
    ENVIRONMENT = "environment"
    FILE = "file"
    DEFAULT = "default"
    PROGRAM = "program"
    """Neither the file nor the environment, and not the default: given when the process
    started (a command-line option, or settings built in code)."""


def hide_url_passwords(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` replaced."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value) if value else "[]"
    if isinstance(value, str):
        return value if value else '""'
    return str(value)


def shown_setting(value: Any, *, secret: bool) -> str:
    """How a configuration value is shown: secrets masked, URL passwords hidden."""
    if secret:
        return MASK if value else NOT_SET
    return hide_url_passwords(_plain(value))


def setting_origin(*, in_environment: bool, in_file: bool, is_default: bool) -> Origin:
    """Where a key's effective value came from: the environment wins over the file, as the
    loader applies them."""
    if in_environment:
        return Origin.ENVIRONMENT
    if in_file:
        return Origin.FILE
    if is_default:
        return Origin.DEFAULT
    return Origin.PROGRAM
