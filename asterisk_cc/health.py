"""``asterisk-cc check``: is the configuration good, and can every dependency be reached?

Each probe returns a :class:`CheckResult`; none raises. The command prints one line per probe
and exits non-zero when any probe failed, so scripts and monitoring can trust it.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from dataclasses import dataclass

from asterisk_cc.ami.client import AmiClient
from asterisk_cc.ari.client import AriClient
from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine
from asterisk_cc.errors import AsteriskCCError


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def check_database_reachable(settings: Settings) -> str:
    engine = make_engine(settings.database)
    try:
        return check_database(engine, settings.source)
    finally:
        engine.dispose()


def check_ari(settings: Settings) -> str:
    with AriClient(settings.ari.url, settings.ari.user, settings.ari.password) as client:
        return f"{settings.ari.url} answers: Asterisk {client.asterisk_version()}"


def check_ami(settings: Settings) -> str:
    ami = settings.ami
    with AmiClient.connect(ami.host, ami.port, ami.user, ami.secret) as client:
        version = client.action("CoreSettings").get("AsteriskVersion", "unknown")
    return f"{ami.host}:{ami.port} accepts user {ami.user!r}: Asterisk {version}"


def check_agi_bind(settings: Settings) -> str:
    """The FastAGI address must be bindable, or already served (by a running ``asterisk-cc agi``)."""
    agi = settings.agi
    with socket.socket(socket.AF_INET6 if ":" in agi.bind else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((agi.bind, agi.port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"{agi.bind}:{agi.port} is in use (a FastAGI server is already listening)"
            raise AsteriskCCError(
                f"[agi] bind {agi.bind!r} port {agi.port} cannot be bound ({exc.strerror}). Fix: "
                "use an address of this host (127.0.0.1 by default) and a free port."
            ) from None
    return f"{agi.bind}:{agi.port} is free for the FastAGI server"


PROBES: tuple[tuple[str, Callable[[Settings], str]], ...] = (
    ("database", check_database_reachable),
    ("ari", check_ari),
    ("ami", check_ami),
    ("agi", check_agi_bind),
)


def run_checks(settings: Settings) -> list[CheckResult]:
    results = []
    for name, probe in PROBES:
        try:
            results.append(CheckResult(name, True, probe(settings)))
        except AsteriskCCError as exc:
            results.append(CheckResult(name, False, str(exc)))
    return results
