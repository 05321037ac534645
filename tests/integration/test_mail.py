"""Mail through a real SMTP server on loopback: what arrives is what was sent (alternatives,
an inline image, a PDF attachment, Bcc kept out of the headers), logins and STARTTLS, and every
failure told as one MailError naming host:port and the fix."""

from __future__ import annotations

import socket
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

from asterisk_cc.config import SmtpSettings
from asterisk_cc.reports.mail import MailError, send_message

if TYPE_CHECKING:  # imported by pytest as a plugin, which must come first
    from tests.smtp_fixtures import SmtpServer

USER, PASSWORD, REFUSED_DOMAIN = "reports", "s3cret-for-tests", "refused.invalid"

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(255, -1, -1)) * 4


def report_message(to: str = "supervisor@example.test") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "Daily pack 2026-11-23 — 日报"
    message["To"] = to
    message["Bcc"] = "archive@example.test"
    message.set_content("Service level 81 %.\n服务水平 81 %。\n")
    message.add_alternative(
        '<p>Service level 81 %.</p><img src="cid:chart@asterisk-cc">', subtype="html"
    )
    html = message.get_payload()[1]
    html.add_related(
        PNG, "image", "png", cid="<chart@asterisk-cc>", disposition="inline", filename="chart.png"
    )
    message.add_attachment(PDF, "application", "pdf", filename="daily-2026-11-23.pdf")
    return message


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_server_logs_in_and_refuses_what_these_tests_expect(smtp_server: SmtpServer) -> None:
    assert (smtp_server.USER, smtp_server.PASSWORD) == (USER, PASSWORD)
    assert smtp_server.REFUSED_DOMAIN == REFUSED_DOMAIN


def test_a_multipart_message_arrives_intact_with_its_envelope(smtp_server: SmtpServer) -> None:
    result = send_message(smtp_server.settings(), report_message())

    assert result.accepted == ("supervisor@example.test", "archive@example.test")
    assert result.refused == {}
    [received] = smtp_server.received
    assert received.mail_from == "cc@example.test"
    assert received.rcpt_tos == ("supervisor@example.test", "archive@example.test")
    assert received.authenticated_as is None
    got = received.message
    assert got["Subject"] == "Daily pack 2026-11-23 — 日报"
    assert got["From"] == "cc@example.test"  # filled in from [smtp] sender
    assert got["Date"] and got["Message-ID"]
    assert "Bcc" not in got  # the archive copy is in the envelope only
    plain = got.get_body(preferencelist=("plain",))
    assert plain is not None and plain.get_content() == "Service level 81 %.\n服务水平 81 %。\n"
    html = got.get_body(preferencelist=("html",))
    assert html is not None and "cid:chart@asterisk-cc" in html.get_content()
    [image] = [p for p in got.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<chart@asterisk-cc>"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == PNG
    [pdf] = list(got.iter_attachments())
    assert pdf.get_filename() == "daily-2026-11-23.pdf"
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_payload(decode=True) == PDF


def test_a_login_is_made_when_a_user_is_set(smtp_server: SmtpServer) -> None:
    send_message(smtp_server.settings(user=USER, password=PASSWORD), report_message())
    assert [r.authenticated_as for r in smtp_server.received] == [USER]


def test_a_wrong_password_is_a_mail_error_naming_the_server_and_the_keys(
    smtp_server: SmtpServer,
) -> None:
    with pytest.raises(MailError) as caught:
        send_message(smtp_server.settings(user=USER, password="wrong"), report_message())
    text = str(caught.value)
    assert f"127.0.0.1:{smtp_server.port}" in text
    assert f"refused the login of {USER!r}" in text and "[smtp] user and password" in text
    assert smtp_server.received == []


def test_an_unreachable_server_is_a_clear_mail_error() -> None:
    port = free_port()  # nothing listens there any more
    settings = SmtpSettings(host="127.0.0.1", port=port)
    with pytest.raises(MailError, match=rf"through 127\.0\.0\.1:{port}: connection refused"):
        send_message(settings, report_message(), timeout_s=5)


def test_a_refused_recipient_is_reported_and_the_others_still_get_the_message(
    smtp_server: SmtpServer,
) -> None:
    message = report_message(to=f"boss@example.test, ghost@{REFUSED_DOMAIN}")
    result = send_message(smtp_server.settings(), message)

    assert result.accepted == ("boss@example.test", "archive@example.test")
    assert result.refused == {f"ghost@{REFUSED_DOMAIN}": (550, "5.1.1 no such user here")}
    [received] = smtp_server.received
    assert received.rcpt_tos == ("boss@example.test", "archive@example.test")


def test_every_recipient_refused_is_a_mail_error_listing_them(smtp_server: SmtpServer) -> None:
    message = EmailMessage()
    message["To"] = f"ghost@{REFUSED_DOMAIN}"
    message.set_content("x")
    with pytest.raises(MailError, match=rf"refused every recipient \(ghost@{REFUSED_DOMAIN}: 550"):
        send_message(smtp_server.settings(), message)
    assert smtp_server.received == []


def test_a_message_without_recipients_is_refused_before_connecting() -> None:
    message = EmailMessage()
    message.set_content("x")
    settings = SmtpSettings(host="127.0.0.1", port=1)
    with pytest.raises(ValueError, match="no recipient"):
        send_message(settings, message)


def test_starttls_then_login_reaches_a_server_that_requires_tls(
    smtp_tls_server: SmtpServer,
) -> None:
    settings = smtp_tls_server.settings(user=USER, password=PASSWORD)
    send_message(settings, report_message(), ssl_context=smtp_tls_server.client_context())
    [received] = smtp_tls_server.received
    assert received.authenticated_as == USER
    assert received.message.get_body(preferencelist=("plain",)) is not None


def test_starttls_with_an_untrusted_certificate_is_a_mail_error(
    smtp_tls_server: SmtpServer,
) -> None:
    with pytest.raises(MailError, match="certificate is not trusted"):
        send_message(smtp_tls_server.settings(), report_message())  # the system's CAs only
    assert smtp_tls_server.received == []


def test_a_server_that_requires_starttls_says_so_when_it_is_off(
    smtp_tls_server: SmtpServer,
) -> None:
    with pytest.raises(MailError, match=r"wants STARTTLS or a login first \(530"):
        send_message(smtp_tls_server.settings(starttls=False), report_message())


def test_a_login_where_the_server_offers_none_before_tls_is_a_mail_error(
    smtp_tls_server: SmtpServer,
) -> None:
    settings = smtp_tls_server.settings(starttls=False, user=USER, password=PASSWORD)
    with pytest.raises(MailError, match=r"offers no login \(SMTP AUTH\)"):
        send_message(settings, report_message())


def test_starttls_on_a_server_that_does_not_offer_it_is_a_mail_error(
    smtp_server: SmtpServer,
) -> None:
    with pytest.raises(MailError, match="does not offer STARTTLS"):
        send_message(smtp_server.settings(starttls=True), report_message())
    assert smtp_server.received == []
