"""Administration, system health against the real Asterisk 22 sandbox: Asterisk, ARI and AMI
are shown up, with Asterisk's version and uptime."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from asterisk_cc.config import Settings
from tests.asterisk_fixtures import AsteriskSandbox
from tests.web_fixtures import WebUser

pytestmark = pytest.mark.asterisk

Clients = Callable[[str | None], FlaskClient]


@pytest.fixture
def web_settings(web_settings: Settings, asterisk: AsteriskSandbox) -> Settings:
    spec = asterisk.sandbox.spec
    return dataclasses.replace(
        web_settings,
        ari=dataclasses.replace(
            web_settings.ari, url=spec.ari_url, user=spec.ari_user, password=spec.ari_password
        ),
        ami=dataclasses.replace(
            web_settings.ami,
            host="127.0.0.1",
            port=asterisk.ports.ami,
            user=spec.ami_user,
            secret=spec.ami_secret,
        ),
    )


def probe_row(page: str, name: str) -> str:
    return page.split(f'<tr class="probe-{name}">')[1].split("</tr>")[0]


def test_the_health_page_shows_asterisk_ari_and_ami_up(
    web_client: Clients, web_users: dict[str, WebUser], asterisk: AsteriskSandbox
) -> None:
    page = web_client("admin").get("/admin/health").get_data(as_text=True)
    asterisk_row = probe_row(page, "asterisk")
    assert "state-up" in asterisk_row
    assert re.search(
        r"Asterisk 22\.[0-9.]+[^,]*, up \d+ d \d+ h \d+ min \(from ARI\)", asterisk_row
    )
    assert "state-up" in probe_row(page, "ari")
    ami = probe_row(page, "ami")
    assert "state-up" in ami and f"accepts user &#39;{asterisk.sandbox.spec.ami_user}&#39;" in ami
    # Their secrets never reach the page.
    assert asterisk.sandbox.spec.ari_password not in page
    assert asterisk.sandbox.spec.ami_secret not in page
