"""The sandbox's pure parts: config files, scripted callers and agents, records — no Asterisk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from asterisk_cc.config import load_settings
from asterisk_cc.errors import SandboxError
from asterisk_cc.sandbox.instance import find_project_conf_dir, read_project_conf
from asterisk_cc.sandbox.records import CDR_COLUMNS, CdrRow, FileFollower, QueueLogLine
from asterisk_cc.sandbox.render import (
    AMI_SECRET_PLACEHOLDER,
    ARI_PASSWORD_PLACEHOLDER,
    CALLER_CONTEXT,
    PROJECT_CONF_FILES,
    SANDBOX_QUEUES,
    CallerScript,
    Dtmf,
    SandboxPorts,
    SandboxSpec,
    Wait,
    answering_agent,
    install_project_conf,
    modules_to_skip,
    parse_dtmf_groups,
    render_client_toml,
    render_etc,
)

REPO_CONF_DIR = Path(__file__).resolve().parents[2] / "conf" / "asterisk"
ARI_PASSWORD = "a" * 24 + "1" * 24
AMI_SECRET = "b" * 24 + "2" * 24
MODULES = [
    "app_queue.so",
    "app_stasis.so",
    "res_agi.so",
    "res_ari.so",
    "res_ari_channels.so",
    "cdr_csv.so",
    "pbx_config.so",
    "res_http_websocket.so",
    "chan_pjsip.so",
    "res_pjsip.so",
    "res_pjsip_session.so",
    "func_pjsip_endpoint.so",
    "chan_iax2.so",
    "pbx_dundi.so",
    "res_hep.so",
    "res_hep_rtcp.so",
    "res_config_pgsql.so",
    "cel_odbc.so",
    "pbx_lua.so",
    "README.txt",
]


def make_spec(**overrides: object) -> SandboxSpec:
    values: dict[str, object] = {
        "name": "unit",
        "ports": SandboxPorts(http=18100, ami=15100, agi=14600),
        "ari_password": ARI_PASSWORD,
        "ami_secret": AMI_SECRET,
    }
    values.update(overrides)
    return SandboxSpec(**values)  # type: ignore[arg-type]


def shipped_conf() -> dict[str, str]:
    return read_project_conf(REPO_CONF_DIR)


def rendered() -> dict[str, str]:
    return render_etc(make_spec(), shipped_conf(), MODULES)


# --- ports, names, secrets -------------------------------------------------------------------


def test_default_ports_stay_clear_of_a_real_pbx() -> None:
    ports = SandboxPorts()
    assert {ports.http, ports.ami, ports.agi}.isdisjoint({8088, 5038, 4573})


@pytest.mark.parametrize(
    "ports", [{"http": 80}, {"ami": 18088}, {"agi": 70000}], ids=["low", "same", "high"]
)
def test_bad_ports_are_refused(ports: dict[str, int]) -> None:
    with pytest.raises(SandboxError):
        SandboxPorts(**ports)


@pytest.mark.parametrize("name", ["", "Upper", "with space", "../escape", "x" * 33, "-dash"])
def test_instance_names_are_safe_in_paths(name: str) -> None:
    with pytest.raises(SandboxError, match="not allowed"):
        make_spec(name=name)


@pytest.mark.parametrize("secret", ["short", "with space and long enough", 'quote"' * 5])
def test_secrets_must_be_long_and_plain(secret: str) -> None:
    with pytest.raises(SandboxError):
        make_spec(ari_password=secret)


# --- the private tree ------------------------------------------------------------------------


def test_port_binding_and_dialplan_replacing_modules_are_not_loaded() -> None:
    skipped = modules_to_skip(MODULES)
    for module in (
        "chan_pjsip.so",
        "res_pjsip.so",
        "res_pjsip_session.so",
        "func_pjsip_endpoint.so",
        "chan_iax2.so",
        "pbx_dundi.so",
        "res_hep.so",
        "res_hep_rtcp.so",
        "res_config_pgsql.so",
        "cel_odbc.so",
        "pbx_lua.so",
    ):
        assert module in skipped
    for needed in ("app_queue.so", "app_stasis.so", "res_agi.so", "res_ari.so", "cdr_csv.so"):
        assert needed not in skipped
    assert "README.txt" not in skipped


def test_every_writable_directory_is_private() -> None:
    text = rendered()["asterisk.conf"]
    directories = dict(re.findall(r"^(\w+) => (\S+)$", text, flags=re.MULTILINE))
    shared = {"astmoddir", "astdatadir", "astagidir", "astsbindir"}
    for key, path in directories.items():
        if key not in shared:
            assert path.startswith("/srv/asterisk-cc/unit/"), key
    assert directories["astrundir"] == "/srv/asterisk-cc/unit/run"
    assert directories["astdatadir"] == "/usr/share/asterisk"


def test_listeners_are_loopback_on_the_instance_ports() -> None:
    files = rendered()
    http = files["http.conf"]
    # The project's snippet sets 8088; the sandbox's port comes after it, so it wins.
    assert http.index('#include "asterisk-cc/http_asterisk_cc.conf"') < http.index(
        "bindport = 18100"
    )
    assert "bindaddr = 127.0.0.1" in http
    manager = files["manager.conf"]
    assert "port = 15100" in manager and "bindaddr = 127.0.0.1" in manager
    assert "ASTERISK_CC_AGI = agi://127.0.0.1:14600" in files["extensions.conf"]


def test_the_project_snippets_are_included_as_an_admin_would() -> None:
    files = rendered()
    for conf, snippet in (
        ("extensions.conf", "extensions_asterisk_cc.conf"),
        ("queues.conf", "queues_asterisk_cc.conf"),
        ("ari.conf", "ari_asterisk_cc.conf"),
        ("manager.conf", "manager_asterisk_cc.conf"),
        ("http.conf", "http_asterisk_cc.conf"),
    ):
        assert f'#include "asterisk-cc/{snippet}"' in files[conf]
        assert f"asterisk-cc/{snippet}" in files
    assert (
        files["asterisk-cc/extensions_asterisk_cc.conf"]
        == shipped_conf()["extensions_asterisk_cc.conf"]
    )


def test_placeholders_are_replaced_by_the_instance_secrets() -> None:
    files = rendered()
    ari = files["asterisk-cc/ari_asterisk_cc.conf"]
    manager = files["asterisk-cc/manager_asterisk_cc.conf"]
    assert f"password = {ARI_PASSWORD}" in ari and ARI_PASSWORD_PLACEHOLDER not in ari
    assert f"secret = {AMI_SECRET}" in manager and AMI_SECRET_PLACEHOLDER not in manager
    assert not any("CHANGE_ME" in text for text in files.values())


def test_a_snippet_without_its_placeholder_is_refused() -> None:
    conf = shipped_conf()
    conf["ari_asterisk_cc.conf"] = conf["ari_asterisk_cc.conf"].replace(
        ARI_PASSWORD_PLACEHOLDER, "something-else"
    )
    with pytest.raises(SandboxError, match="placeholder"):
        install_project_conf(conf, make_spec())


def test_missing_snippets_are_named() -> None:
    conf = shipped_conf()
    del conf["queues_asterisk_cc.conf"]
    with pytest.raises(SandboxError, match=r"queues_asterisk_cc\.conf"):
        install_project_conf(conf, make_spec())


def test_records_are_written_where_tests_and_reports_read_them() -> None:
    files = rendered()
    assert "queue_log_to_file = yes" in files["logger.conf"]
    cdr = files["cdr.conf"]
    for option in ("loguniqueid = yes", "loguserfield = yes", "newcdrcolumns = yes"):
        assert option in cdr
    assert "persistentmembers = no" in files["queues.conf"]


def test_the_tests_own_queues_can_be_left_out() -> None:
    with_tests = rendered()["queues.conf"]
    without = render_etc(make_spec(), shipped_conf(), MODULES, test_queues=False)["queues.conf"]
    for queue in SANDBOX_QUEUES:
        assert f"[{queue}]" in with_tests or f"[{queue}](" in with_tests
        assert queue not in without
    # The site's queues (support, sales, vip) are there either way.
    assert '#include "asterisk-cc/queues_asterisk_cc.conf"' in without
    assert "persistentmembers = no" in without


def test_ari_events_carry_the_linkedid() -> None:
    assert "channelvars = CHANNEL(linkedid)" in rendered()["ari.conf"]


# --- the shipped snippets --------------------------------------------------------------------


def test_the_checkout_snippets_are_found() -> None:
    assert find_project_conf_dir({}) == REPO_CONF_DIR
    assert find_project_conf_dir({"ASTERISK_CC_CONF_DIR": "/elsewhere"}) == Path("/elsewhere")


@pytest.mark.parametrize("name", PROJECT_CONF_FILES)
def test_snippets_do_not_clobber_an_existing_configuration(name: str) -> None:
    text = (REPO_CONF_DIR / name).read_text(encoding="utf-8")
    sections = re.findall(r"^\[([^\]]+)\]", text, flags=re.MULTILINE)
    # [general] and [globals] belong to the admin's own files.
    assert "general" not in sections and "globals" not in sections
    if name == "extensions_asterisk_cc.conf":
        assert sections and all(section.startswith("asterisk-cc-") for section in sections)
    assert text.startswith(";"), "every snippet starts by saying what it is and how to include it"


def test_queue_keys_are_the_ones_asterisk_22_knows() -> None:
    text = (REPO_CONF_DIR / "queues_asterisk_cc.conf").read_text(encoding="utf-8")
    keys = set(re.findall(r"^([a-z-]+)\s*=", text, flags=re.MULTILINE))
    assert "leaveempty" not in keys and "leavewhenempty" in keys
    assert "ringinuse" in keys
    assert re.search(r"^ringinuse = no$", text, flags=re.MULTILINE)


def test_the_shipped_users_have_placeholders_not_passwords() -> None:
    ari = (REPO_CONF_DIR / "ari_asterisk_cc.conf").read_text(encoding="utf-8")
    manager = (REPO_CONF_DIR / "manager_asterisk_cc.conf").read_text(encoding="utf-8")
    assert re.search(rf"^password = {ARI_PASSWORD_PLACEHOLDER}$", ari, flags=re.MULTILINE)
    assert re.search(rf"^secret = {AMI_SECRET_PLACEHOLDER}$", manager, flags=re.MULTILINE)
    assert "permit = 127.0.0.1/255.255.255.255" in manager


def test_the_fastagi_default_matches_the_configuration_default() -> None:
    text = (REPO_CONF_DIR / "extensions_asterisk_cc.conf").read_text(encoding="utf-8")
    assert "Set(ASTERISK_CC_AGI_URL=agi://127.0.0.1:4573)" in text


# --- scripted callers and agents -------------------------------------------------------------


def test_caller_script_encoding() -> None:
    script = CallerScript((Wait(2), Dtmf("1"), Wait(1.5), Dtmf("42#"), Wait(10)))
    assert script.encode() == "w2/d1/w1.5/d42#/w10"


def test_caller_script_from_key_groups() -> None:
    script = CallerScript.pressing(["1", "42#"], first_delay_s=3, gap_s=1, hold_s=4)
    assert script.encode() == "w3/d1/w1/d42#/w4"
    assert CallerScript.pressing([], first_delay_s=0, hold_s=2).encode() == "w0/w2"


@pytest.mark.parametrize("digits", ["12x", "1/2", "", "1 2"])
def test_keys_a_phone_cannot_press_are_refused(digits: str) -> None:
    with pytest.raises(SandboxError):
        CallerScript((Dtmf(digits),)).encode()


def test_command_line_key_groups() -> None:
    assert parse_dtmf_groups("1,42#") == ["1", "42#"]
    assert parse_dtmf_groups(" *9 , A ") == ["*9", "A"]
    assert parse_dtmf_groups("") == []
    with pytest.raises(SandboxError):
        parse_dtmf_groups("1,4;2")


def test_the_caller_dialplan_reads_the_script_variable() -> None:
    extensions = rendered()["extensions.conf"]
    assert f"[{CALLER_CONTEXT}]" in extensions
    assert "${CUT(ASTERISK_CC_SANDBOX_SCRIPT,/,${STEP})}" in extensions


def test_agent_interfaces_match_the_agent_dialplan() -> None:
    # Patterns treat N, X, Z as digit classes and ignore '-': the agents' pattern must be one
    # that matches these extensions literally.
    assert answering_agent(1, 2) == "Local/answer-1-2@asterisk-cc-sandbox-agents/n"
    assert answering_agent(0.5, 3) == "Local/answer-0.5-3@asterisk-cc-sandbox-agents/n"
    extensions = rendered()["extensions.conf"]
    agents = extensions.split("[asterisk-cc-sandbox-agents]")[1]
    assert "exten => _[a-z].,1,Set(KIND=${CUT(EXTEN,-,1)})" in agents
    for kind in ("answer", "ringout", "busy", "congestion"):
        assert f'"{kind}"]?{kind})' in agents


# --- the client configuration ----------------------------------------------------------------


def test_client_config_loads_and_targets_the_sandbox(tmp_path: Path) -> None:
    spec = make_spec()
    path = tmp_path / "sandbox.toml"
    path.write_text(
        render_client_toml(spec, database_url="sqlite:////tmp/x.sqlite3", web_secret_key="k" * 64),
        encoding="utf-8",
    )
    settings = load_settings(path, environ={})
    assert settings.ari.url == "http://127.0.0.1:18100/ari"
    assert (settings.ari.user, settings.ari.password) == ("asterisk-cc", ARI_PASSWORD)
    assert (settings.ami.host, settings.ami.port) == ("127.0.0.1", 15100)
    assert settings.ami.secret == AMI_SECRET
    assert (settings.agi.bind, settings.agi.port) == ("127.0.0.1", 14600)
    assert settings.database.url == "sqlite:////tmp/x.sqlite3"
    assert settings.web.recordings_dir == "/var/spool/asterisk/recording"  # none given


def test_client_config_plays_the_sandboxs_call_recordings(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.toml"
    host_side = "/var/cache/asterisk-cc/rootfs/srv/asterisk-cc-sandbox/t1/spool/recording"
    path.write_text(
        render_client_toml(
            make_spec(),
            database_url="sqlite:////tmp/x.sqlite3",
            web_secret_key="k" * 64,
            call_recordings_dir=host_side,
        ),
        encoding="utf-8",
    )
    assert load_settings(path, environ={}).web.recordings_dir == host_side


# --- records ---------------------------------------------------------------------------------

# Real lines written by Debian's Asterisk 22.10 (reference/asterisk-22.md §2).
QUEUE_LOG = """\
1795354699|NONE|NONE|NONE|QUEUESTART|
1795354843|1795354843.3|support|NONE|ENTERQUEUE||5551234|1
1795354843|1795354843.3|support|Agent One|CONNECT|0|1795354843.4|0
1795354846|1795354843.3|support|Agent One|COMPLETEAGENT|0|3|1
1795354881|1795354875.7|sales|Never Answers|RINGNOANSWER|5000
"""


def test_queue_log_lines() -> None:
    lines = [QueueLogLine.parse(line) for line in QUEUE_LOG.splitlines()]
    assert lines[0].event == "QUEUESTART" and lines[0].data == ()
    assert lines[1].data == ("", "5551234", "1")
    assert (lines[2].agent, lines[2].event, lines[2].data) == (
        "Agent One",
        "CONNECT",
        ("0", "1795354843.4", "0"),
    )
    assert lines[4].data == ("5000",)
    with pytest.raises(ValueError):
        QueueLogLine.parse("not|a|line")


def test_cdr_rows_by_column_name() -> None:
    row = (
        '"","","answered","cdrtest",""""" <>","Local/answered@cdrtest-0000000d;2",'
        '"Local/agent1@agents-0000000e;1","Dial","Local/agent1@agents,10","2026-11-22 13:42:03",'
        '"2026-11-22 13:42:03","2026-11-22 13:42:04",1,1,"ANSWERED","DOCUMENTATION",'
        '"1795354923.27","","","1795354923.26",0'
    )
    (parsed,) = CdrRow.parse_rows(row)
    assert len(CDR_COLUMNS) == 21
    assert parsed["clid"] == '"" <>'
    assert parsed["lastdata"] == "Local/agent1@agents,10"
    assert parsed["disposition"] == "ANSWERED"
    assert (parsed["uniqueid"], parsed["linkedid"], parsed["sequence"]) == (
        "1795354923.27",
        "1795354923.26",
        "0",
    )
    with pytest.raises(ValueError, match="columns"):
        CdrRow.parse_rows('"only","three","columns"')


def test_a_follower_sees_only_new_complete_lines(tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text("1|NONE|NONE|NONE|QUEUESTART|\n", encoding="utf-8")
    follower = FileFollower(path)
    assert follower.poll() == []
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("2|a|q|NONE|ENTERQUEUE||1|1\n3|a|q|NONE|ABAN")
    assert follower.poll() == ["2|a|q|NONE|ENTERQUEUE||1|1"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("DON|1|1|2\n")
    assert follower.poll()[-1] == "3|a|q|NONE|ABANDON|1|1|2"


def test_a_follower_of_a_file_not_yet_written(tmp_path: Path) -> None:
    path = tmp_path / "cdr-csv" / "Master.csv"
    follower = FileFollower(path)
    assert follower.poll() == []
    path.parent.mkdir()
    path.write_text("x\n", encoding="utf-8")
    assert follower.poll() == ["x"]
