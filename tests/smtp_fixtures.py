"""pytest plugin: a real SMTP server (aiosmtpd) on loopback that keeps what it receives.

Fixtures
--------
``smtp_server``
    A plain SMTP server on 127.0.0.1 and a free port. It accepts a login (``USER`` /
    ``PASSWORD``, over the plain connection too, as a local relay may) but does not require
    one, refuses every recipient at the domain ``refused.invalid`` with 550, and records each
    message it accepts as a :class:`Received` (envelope and parsed
    :class:`email.message.EmailMessage`).
``smtp_tls_server``
    The same with STARTTLS offered (and required) using a self-signed certificate for
    127.0.0.1 made by ``openssl``; ``server.ca_file`` is the certificate to trust.

``server.settings(**changes)`` gives the :class:`SmtpSettings` that reach the server.
Load the plugin with ``pytest_plugins = ["tests.smtp_fixtures"]`` (in the root conftest, or
in a test module that does not import this module itself).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from asterisk_cc.config import SmtpSettings

USER = "reports"
PASSWORD = "s3cret-for-tests"
REFUSED_DOMAIN = "refused.invalid"


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    authenticated_as: str | None


class _Handler:
    """aiosmtpd handler: refuses one domain, keeps every accepted message."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower().endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # On the wire lines end in CRLF; a mailbox stores them as the local \n.
        content = envelope.original_content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if session.authenticated else None
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), message, login)
            )
        return "250 Message accepted for delivery"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    )
    # handled=False: aiosmtpd then answers 535 itself (with True it would say nothing).
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class _LoopbackController(Controller):
    """Binds port 0 (the kernel picks a free port, so parallel runs never collide)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    """A running server; ``USER``/``PASSWORD`` log in, ``REFUSED_DOMAIN`` is refused."""

    USER: ClassVar[str] = USER
    PASSWORD: ClassVar[str] = PASSWORD
    REFUSED_DOMAIN: ClassVar[str] = REFUSED_DOMAIN

    host: str
    port: int
    handler: _Handler
    ca_file: Path | None = None
    starttls: bool = False

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def settings(self, **changes: Any) -> SmtpSettings:
        base = SmtpSettings(
            host=self.host, port=self.port, starttls=self.starttls, sender="cc@example.test"
        )
        return dataclasses.replace(base, **changes)

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and checks the name)."""
        assert self.ca_file is not None, "only smtp_tls_server has a certificate"
        return ssl.create_default_context(cafile=str(self.ca_file))


@contextmanager
def _serve(**smtp_kwargs: Any) -> Iterator[tuple[_LoopbackController, _Handler]]:
    handler = _Handler()
    controller = _LoopbackController(
        handler,
        hostname="127.0.0.1",
        port=0,
        server_hostname="mail.example.test",
        authenticator=_authenticate,
        **smtp_kwargs,
    )
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with _serve(auth_require_tls=False) as (controller, handler):
        yield SmtpServer(controller.hostname, controller.port, handler)


@pytest.fixture(scope="session")
def _self_signed_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def smtp_tls_server(_self_signed_certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    cert, key = _self_signed_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with _serve(tls_context=context, require_starttls=True) as (controller, handler):
        yield SmtpServer(controller.hostname, controller.port, handler, cert, starttls=True)
