"""Sending mail (the daily report pack, alerts) through the site's SMTP server.

One function, :func:`send_message`, speaks SMTP with :mod:`smtplib`: STARTTLS when ``[smtp]
starttls`` is on, a login when ``[smtp] user`` is set. Every failure, whether the server cannot
be reached, refuses the login, does not offer STARTTLS or refuses every recipient, becomes one
:class:`MailError` that names ``host:port``, the reason and the fix, so the scheduler's log
says what to change rather than showing a traceback from deep inside smtplib.

A recipient the server refuses while it accepts others does not fail the message: the others
get it, and the refused ones are returned in :class:`MailResult` (and logged) so the caller can
record them.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid

from asterisk_cc.config import SmtpSettings
from asterisk_cc.errors import AsteriskCCError

__all__ = ["MailError", "MailResult", "send_message"]

logger = logging.getLogger(__name__)


class MailError(AsteriskCCError):
    """The message could not be handed to the SMTP server; nobody received it."""


@dataclass(frozen=True)
class MailResult:
    """What the server accepted: ``accepted`` got the message, ``refused`` did not.

    ``refused`` maps each refused address to the server's reply code and text.
    """

    accepted: tuple[str, ...]
    refused: Mapping[str, tuple[int, str]] = field(default_factory=dict)


def send_message(
    smtp: SmtpSettings,
    message: EmailMessage,
    *,
    timeout_s: float = 30,
    ssl_context: ssl.SSLContext | None = None,
) -> MailResult:
    """Hand ``message`` to the server of ``[smtp]``; the recipients are its To, Cc and Bcc.

    The envelope sender is ``[smtp] sender``. A message without ``From``, ``Date`` or
    ``Message-ID`` gets them here (``From`` is the sender), as servers reject or mark as spam
    mail without them. ``ssl_context`` is what STARTTLS verifies the server with; the default
    trusts the system's certificate authorities and checks the host name.

    Raises :class:`MailError` when no recipient got the message, and :class:`ValueError` when
    the message names no recipient at all.
    """
    recipients = _recipients(message)
    if not recipients:
        raise ValueError("the message has no recipient: set its To, Cc or Bcc header")
    if "From" not in message:
        message["From"] = smtp.sender
    if "Date" not in message:
        message["Date"] = formatdate(localtime=False, usegmt=True)
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=_domain_of(smtp.sender))
    where = f"{smtp.host}:{smtp.port}"
    step = "connect"  # what was being done when it failed: the reason depends on it
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout_s) as client:
            client.ehlo()
            if smtp.starttls:
                step = "starttls"
                client.starttls(context=ssl_context or ssl.create_default_context())
                client.ehlo()
            if smtp.user:
                step = "login"
                client.login(smtp.user, smtp.password)
            step = "send"
            refused_raw = client.send_message(message, from_addr=smtp.sender)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"mail server {where} refused every recipient ({_describe_refused(exc.recipients)}): "
            "nobody received the message. Fix: correct the addresses in [reports] recipients "
            f"or [alerts] recipients, or let the server relay mail from {smtp.sender} "
            "([smtp] user and password)."
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(
            f"mail could not be sent through {where}: {_reason(exc, step, smtp)}"
        ) from None
    refused = {address: (int(code), _text(reply)) for address, (code, reply) in refused_raw.items()}
    if refused:
        logger.warning(
            "mail server %s refused %d of %d recipient(s): %s",
            where,
            len(refused),
            len(recipients),
            _describe_refused(refused),
        )
    accepted = tuple(r for r in recipients if r not in refused)
    logger.info("mail %r sent through %s to %s", message["Subject"], where, ", ".join(accepted))
    return MailResult(accepted=accepted, refused=refused)


def _recipients(message: EmailMessage) -> list[str]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


def _domain_of(address: str) -> str | None:
    _, _, domain = address.rpartition("@")
    return domain or None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _describe_refused(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    return "; ".join(
        f"{address}: {code} {_text(reply)}" for address, (code, reply) in refused.items()
    )


def _reason(exc: BaseException, step: str, smtp: SmtpSettings) -> str:
    """The failure in words, with what to change: one sentence per kind of failure."""
    if isinstance(exc, smtplib.SMTPNotSupportedError) and step == "starttls":
        return (
            "the server does not offer STARTTLS. Fix: use the port where it does (usually "
            "587), or set [smtp] starttls = false if the server is trusted on this network."
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError) and step == "login":
        return (
            "the server offers no login (SMTP AUTH) here. Fix: set [smtp] user empty if it "
            "takes mail from this host without one, or turn on [smtp] starttls (many servers "
            "offer AUTH only after STARTTLS)."
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"the server refused the login of {smtp.user!r} ({exc.smtp_code} "
            f"{_text(exc.smtp_error)}). Fix: check [smtp] user and password "
            "(ASTERISK_CC_SMTP_PASSWORD)."
        )
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 530:
        return (
            f"the server wants STARTTLS or a login first ({exc.smtp_code} "
            f"{_text(exc.smtp_error)}). Fix: set [smtp] starttls = true, or [smtp] user and "
            "password."
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (
            f"the server refused the sender {smtp.sender!r} ({exc.smtp_code} "
            f"{_text(exc.smtp_error)}). Fix: set [smtp] sender to an address the server accepts "
            "from this host, or log in ([smtp] user)."
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return (
            f"the server answered {exc.smtp_code} {_text(exc.smtp_error)} during {step}. Fix: "
            "the mail server's log says why it refused."
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return (
            f"the server closed the connection during {step} ({exc or 'no reason given'}). "
            "Fix: check that [smtp] host and port name an SMTP server (with [smtp] starttls "
            "on a port that expects TLS at once, such as 465, the server hangs up) and that it "
            "accepts this host."
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"STARTTLS failed: the server's certificate is not trusted ({exc.verify_message}). "
            "Fix: add the certificate authority that signed it to the system's trust store, "
            "or set [smtp] host to the name the certificate is issued for."
        )
    if isinstance(exc, ssl.SSLError):
        return f"STARTTLS failed ({exc.reason or exc}). Fix: check the server's TLS setup."
    if isinstance(exc, socket.gaierror):
        return (
            f"the host name {smtp.host!r} cannot be resolved ({exc.strerror}). Fix: correct "
            "[smtp] host."
        )
    if isinstance(exc, TimeoutError):
        return (
            f"the server did not answer in time (during {step}). Fix: check [smtp] host and "
            "port, and that a firewall lets this host reach the server."
        )
    if isinstance(exc, ConnectionRefusedError):
        return (
            "connection refused: no SMTP server listens there. Fix: start the mail server, or "
            "correct [smtp] host and port."
        )
    if isinstance(exc, OSError):
        return (
            f"{exc.strerror or exc} (during {step}). Fix: check [smtp] host and port, and that "
            "this host can reach the server."
        )
    return f"{exc or type(exc).__name__} (during {step}). Fix: the mail server's log says why."
