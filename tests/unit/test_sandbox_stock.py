"""Stock mode changes Debian's packaged /etc/asterisk only where a private instance must differ."""

from __future__ import annotations

import pytest

from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox.render import (
    STOCK_TEST_DIALPLAN_FILE,
    SandboxPorts,
    SandboxSpec,
    render_stock_etc,
    set_in_section,
)

# Shortened copies of the asterisk-config package's files, with their traps: a template
# [directories](!) that Asterisk ignores, and a section after [modules].
PACKAGED = {
    "asterisk.conf": "[directories](!)\nastetcdir => /etc/asterisk\nastlogdir => /var/log/asterisk\n"
    "astdatadir => /usr/share/asterisk\n\n[options]\ndocumentation_language = en_US\n",
    "modules.conf": "[modules]\nautoload=yes\nnoload => chan_alsa.so\n\n[global]\n",
    "http.conf": "[general]\nservername=Asterisk\nbindaddr=127.0.0.1\n;[post_mappings]\n",
    "manager.conf": '[general]\nenabled = yes\nport = 5038\nbindaddr = 127.0.0.1\n\n#include "manager.d/*.conf"\n',
    "extensions.conf": "[general]\nstatic=yes\n\n[globals]\nTRUNK=DAHDI/G2\n\n[default]\n",
    "queues.conf": "[general]\npersistentmembers = yes\n",
}
MODULES = ["chan_pjsip.so", "chan_iax2.so", "app_queue.so", "res_hep.so"]


def spec() -> SandboxSpec:
    return SandboxSpec(
        name="stock",
        ports=SandboxPorts(http=28088, ami=25038, agi=24573),
        ari_password="a" * 32,
        ami_secret="b" * 32,
    )


def test_only_the_files_a_private_instance_needs_are_changed() -> None:
    files = render_stock_etc(spec(), PACKAGED, MODULES)
    assert set(files) == {
        "asterisk.conf",
        "modules.conf",
        "http.conf",
        "manager.conf",
        "extensions.conf",
        STOCK_TEST_DIALPLAN_FILE,
    }
    # No project snippet and no #include of one: docs/install.md adds them.
    assert not any("asterisk_cc.conf" in text for text in files.values())


def test_directories_are_the_instance_tree_and_really_read() -> None:
    conf = render_stock_etc(spec(), PACKAGED, MODULES)["asterisk.conf"]
    assert "[directories]\n" in conf and "(!)" not in conf.split(";")[-1]
    assert "astetcdir = /srv/asterisk-cc/stock/etc" in conf
    assert "astlogdir = /srv/asterisk-cc/stock/log" in conf
    assert "astdatadir => /usr/share/asterisk" in conf  # programs and sounds: the rootfs'


def test_modules_that_bind_a_real_pbxs_ports_stay_in_the_modules_section() -> None:
    conf = render_stock_etc(spec(), PACKAGED, MODULES)["modules.conf"]
    modules, global_ = conf.split("[global]")
    for module in ("chan_pjsip.so", "chan_iax2.so", "res_hep.so"):
        assert f"noload => {module}" in modules
    assert "app_queue" not in conf and "noload" not in global_


def test_ports_are_the_instances_and_the_rest_is_packaged() -> None:
    files = render_stock_etc(spec(), PACKAGED, MODULES)
    assert "bindport = 28088" in files["http.conf"].split(";[post_mappings]")[0]
    manager = files["manager.conf"]
    assert "port = 25038" in manager and "5038\n" not in manager.replace("25038", "")
    assert '#include "manager.d/*.conf"' in manager
    assert files["extensions.conf"].startswith(PACKAGED["extensions.conf"].rstrip("\n"))
    assert f'#include "{STOCK_TEST_DIALPLAN_FILE}"' in files["extensions.conf"]
    assert "[asterisk-cc-sandbox-caller]" in files[STOCK_TEST_DIALPLAN_FILE]


def test_set_in_section_replaces_or_appends_within_the_section() -> None:
    text = "[general]\na = 1\n\n[other]\na = 9\n"
    assert set_in_section(text, "general", "a", "2") == "[general]\na = 2\n\n[other]\na = 9\n"
    assert (
        set_in_section(text, "general", "b", "3") == "[general]\na = 1\nb = 3\n\n[other]\na = 9\n"
    )
    with pytest.raises(SandboxError, match=r"no \[missing\]"):
        set_in_section(text, "missing", "a", "1")
