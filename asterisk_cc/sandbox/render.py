"""What a sandbox's private Asterisk tree contains: every file rendered from values, no I/O.

A sandbox instance is described by a :class:`SandboxSpec` (name, ports, users, passwords); from
it and the project's shipped snippets (``conf/asterisk/*.conf``) this module renders the config
files of a private Asterisk tree, the dialplan of the scripted callers and agents used by tests
and the demo, and an ``asterisk-cc`` TOML configuration that targets the sandbox. Everything
that touches processes, mounts or files lives in :mod:`asterisk_cc.sandbox.instance`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from asterisk_cc.errors import SandboxError

# Where every instance keeps its private tree, as seen from inside the chroot.
SANDBOX_ROOT_IN_CHROOT = PurePosixPath("/srv/asterisk-cc")
# Asterisk's module directory on Debian amd64; instance.py looks up the real one in the rootfs.
DEFAULT_MODULE_DIR = "/usr/lib/x86_64-linux-gnu/asterisk/modules"
# Name rules keep paths short (the control socket path is limited to 107 bytes) and safe in
# config files and shell-free command lines.
INSTANCE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")

# The project's snippets, as shipped in conf/asterisk/ and installed into
# <sys.prefix>/share/asterisk-cc/conf/asterisk/.
EXTENSIONS_FILE = "extensions_asterisk_cc.conf"
QUEUES_FILE = "queues_asterisk_cc.conf"
ARI_FILE = "ari_asterisk_cc.conf"
MANAGER_FILE = "manager_asterisk_cc.conf"
HTTP_FILE = "http_asterisk_cc.conf"
VOICEMAIL_FILE = "voicemail_asterisk_cc.conf"
PROJECT_CONF_FILES = (
    EXTENSIONS_FILE,
    QUEUES_FILE,
    ARI_FILE,
    MANAGER_FILE,
    HTTP_FILE,
    VOICEMAIL_FILE,
)
# The shipped ARI/AMI users carry these placeholders; the sandbox puts its random secrets there.
ARI_PASSWORD_PLACEHOLDER = "CHANGE_ME_ARI_PASSWORD"  # noqa: S105 (a placeholder, not a secret)
AMI_SECRET_PLACEHOLDER = "CHANGE_ME_AMI_SECRET"  # noqa: S105
VOICEMAIL_PIN_PLACEHOLDER = "CHANGE_ME_VOICEMAIL_PIN"
# The user names of the shipped snippets (and the defaults of asterisk-cc.toml).
PROJECT_USER = "asterisk-cc"
# Sub-directory of the private etc that receives the project's snippets, as on a real PBX
# (/etc/asterisk/asterisk-cc/), so the #include lines are the ones docs/install.md shows.
PROJECT_CONF_SUBDIR = "asterisk-cc"

# Contexts of the sandbox's own test dialplan.
CALLER_CONTEXT = "asterisk-cc-sandbox-caller"
AGENTS_CONTEXT = "asterisk-cc-sandbox-agents"
CUSTOMERS_CONTEXT = "asterisk-cc-sandbox-customers"
TRANSFERRING_CONTEXT = "asterisk-cc-sandbox-transferring"
# Channel variable holding a scripted caller's steps (see CallerScript).
CALLER_SCRIPT_VARIABLE = "ASTERISK_CC_SANDBOX_SCRIPT"

# Modules a sandbox never loads: they bind ports that belong to the host's real PBX (SIP 5060,
# IAX 4569, DUNDi 4520, unistim 5000, HEP), talk to servers that are not there (databases,
# LDAP, RADIUS, XMPP, calendars, SNMP, statsd), replace the resolver, or replace the dialplan
# (AEL, Lua). Matched as prefixes of module file names, so new modules of a family stay off too.
SKIPPED_MODULE_PREFIXES = (
    "chan_pjsip",
    "res_pjsip",
    "res_pjproject",
    "func_pjsip",
    "res_stir_shaken",
    "res_geolocation",
    "chan_iax2",
    "pbx_dundi",
    "chan_unistim",
    "chan_motif",
    "res_xmpp",
    "chan_console",
    "chan_alsa",
    "chan_oss",
    "chan_mobile",
    "chan_dahdi",
    "chan_audiosocket",
    "chan_rtp",
    "res_hep",
    "res_snmp",
    "res_statsd",
    "res_prometheus",
    "res_phoneprov",
    "res_calendar",
    "res_corosync",
    "res_resolver_unbound",
    "res_stun_monitor",
    "res_config_",
    "res_odbc",
    "res_realtime",
    "res_sorcery_realtime",
    "pbx_realtime",
    "pbx_ael",
    "res_ael_share",
    "pbx_lua",
    "cdr_adaptive_odbc",
    "cdr_odbc",
    "cdr_pgsql",
    "cdr_radius",
    "cdr_tds",
    "cdr_sqlite3_custom",
    "cdr_custom",
    "cdr_beanstalkd",
    "cel_",
    "app_voicemail_odbc",
    "app_jack",
    "func_odbc",
    "res_fax_spandsp",
    # RTP needs res_pjproject (off above); no phones, no RTP
    "res_rtp_asterisk",
    "res_rtp_multicast",
    # deprecated: a warning at every start
    "res_adsi",
    "app_adsiprog",
    "app_getcpeid",
)
# Stock files copied from the rootfs that a sandbox must not read.
# users.conf is deprecated (a warning at every start); the sandbox defines no phones anyway.
STOCK_FILES_TO_REMOVE = ("extensions.ael", "extensions.lua", "manager.d", "users.conf")


@dataclass(frozen=True)
class SandboxPorts:
    """TCP ports of one instance, all on loopback.

    The defaults keep clear of a real PBX on the same host (8088, 5038, 4573), so a test call
    can never reach the wrong Asterisk or the wrong FastAGI server.
    """

    http: int = 18088
    ami: int = 15038
    agi: int = 14573

    def __post_init__(self) -> None:
        for label, port in (("HTTP/ARI", self.http), ("AMI", self.ami), ("FastAGI", self.agi)):
            if not 1024 <= port <= 65535:
                raise SandboxError(
                    f"{label} port {port} is outside 1024..65535. Fix: pick an unprivileged port."
                )
        if len({self.http, self.ami, self.agi}) != 3:
            raise SandboxError(
                f"the HTTP ({self.http}), AMI ({self.ami}) and FastAGI ({self.agi}) ports must "
                "differ. Fix: give each its own port."
            )


@dataclass(frozen=True)
class SandboxSpec:
    """Everything that makes one instance different from another."""

    name: str
    ports: SandboxPorts
    ari_password: str
    ami_secret: str
    ari_user: str = PROJECT_USER
    ami_user: str = PROJECT_USER
    ari_app: str = PROJECT_USER
    module_dir: str = DEFAULT_MODULE_DIR
    verbose: int = 2
    # The project's voicemail box needs a PIN; the sandbox's is random, like its other secrets.
    voicemail_pin: str = field(default_factory=lambda: f"{secrets.randbelow(10**8):08d}")

    def __post_init__(self) -> None:
        check_instance_name(self.name)
        for label, secret in (("ARI password", self.ari_password), ("AMI secret", self.ami_secret)):
            # Secrets land in config files and a TOML file: keep them to a safe alphabet.
            if len(secret) < 16 or not secret.isalnum():
                raise SandboxError(f"the {label} must be at least 16 letters or digits")

    @property
    def tree(self) -> PurePosixPath:
        """The private Asterisk tree, as seen from inside the chroot."""
        return SANDBOX_ROOT_IN_CHROOT / self.name

    @property
    def recordings_dir(self) -> PurePosixPath:
        """Where Asterisk records callers (complaints), inside the chroot."""
        return self.tree / "spool" / "asterisk-cc"

    @property
    def asterisk_conf(self) -> PurePosixPath:
        """What ``asterisk -C`` gets, inside the chroot."""
        return self.tree / "etc" / "asterisk.conf"

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}/ari"

    @property
    def agi_url(self) -> str:
        return f"agi://127.0.0.1:{self.ports.agi}"


def check_instance_name(name: str) -> None:
    if not INSTANCE_NAME_PATTERN.match(name):
        raise SandboxError(
            f"sandbox name {name!r} is not allowed. Fix: use 1-32 lower-case letters, digits "
            "and '-', starting with a letter or digit (e.g. demo, pytest)."
        )


# --- the scripted caller -------------------------------------------------------------------

DTMF_ALLOWED = re.compile(r"^[0-9*#A-Dw]+$")


@dataclass(frozen=True)
class Wait:
    """The caller stays silent this long."""

    seconds: float


@dataclass(frozen=True)
class Dtmf:
    """The caller presses these keys (SendDTMF: 0-9 * # A-D, 'w' = half a second pause)."""

    digits: str


@dataclass(frozen=True)
class Speak:
    """The caller says something: a stock sound (``hello-world``) played into the call, so
    there is real audio for a recording."""

    sound: str


Step = Wait | Dtmf | Speak
_SPEAKABLE = re.compile(r"^[a-z0-9-]{1,64}$")


@dataclass(frozen=True)
class CallerScript:
    """What a scripted caller does once answered; it hangs up after the last step."""

    steps: tuple[Step, ...] = field(default_factory=tuple)

    def encode(self) -> str:
        """The value of ASTERISK_CC_SANDBOX_SCRIPT: steps joined by '/', e.g. ``w2/d1/w1/d42#``."""
        encoded = []
        for step in self.steps:
            if isinstance(step, Wait):
                if not 0 <= step.seconds <= 3600:
                    raise SandboxError(f"a caller wait of {step.seconds} s is outside 0..3600 s")
                encoded.append(f"w{step.seconds:g}")
            elif isinstance(step, Speak):
                if not _SPEAKABLE.match(step.sound):
                    raise SandboxError(
                        f"a caller can speak a stock sound named with a-z, 0-9 and -, "
                        f"not {step.sound!r}"
                    )
                encoded.append(f"p{step.sound}")
            else:
                if not DTMF_ALLOWED.match(step.digits):
                    raise SandboxError(
                        f"DTMF {step.digits!r} has keys a phone cannot press: use 0-9 * # A-D"
                    )
                encoded.append(f"d{step.digits}")
        return "/".join(encoded)

    @classmethod
    def pressing(
        cls,
        groups: Iterable[str],
        *,
        first_delay_s: float = 2.0,
        gap_s: float = 1.5,
        hold_s: float = 5.0,
    ) -> CallerScript:
        """Wait ``first_delay_s``, press each group with ``gap_s`` between, stay ``hold_s``."""
        steps: list[Step] = [Wait(first_delay_s)]
        for index, digits in enumerate(groups):
            if index:
                steps.append(Wait(gap_s))
            steps.append(Dtmf(digits))
        steps.append(Wait(hold_s))
        return cls(tuple(steps))


def parse_dtmf_groups(text: str) -> list[str]:
    """``"1,42#"`` → ``["1", "42#"]``: the command line's way to write key presses."""
    groups = [group.strip() for group in text.split(",") if group.strip()]
    for group in groups:
        if not DTMF_ALLOWED.match(group):
            raise SandboxError(f"DTMF {group!r} has keys a phone cannot press: use 0-9 * # A-D")
    return groups


# --- scripted agents -----------------------------------------------------------------------


def answering_agent(ring_s: float = 1.0, talk_s: float = 2.0) -> str:
    """Queue member interface: rings ``ring_s``, answers, talks ``talk_s``, hangs up."""
    return f"Local/answer-{ring_s:g}-{talk_s:g}@{AGENTS_CONTEXT}/n"


def ringing_agent() -> str:
    """Queue member interface that rings and never answers (RINGNOANSWER)."""
    return f"Local/ringout@{AGENTS_CONTEXT}/n"


def transferring_agent(ring_s: int = 1, talk_s: int = 2, target_stay_s: int = 2) -> str:
    """Queue member interface that rings ``ring_s``, answers, talks ``talk_s``, then presses
    the blind-transfer feature code (``#``) and the extension ``9<target_stay_s>`` of its own
    context, where the caller is answered and stays ``target_stay_s`` before hanging up.

    app_queue writes BLINDTRANSFER only when the member may transfer: the caller's channel
    must carry ``BRIDGE_FEATURES=t`` (or Queue() the ``t`` option)."""
    if not (0 <= ring_s <= 99 and 0 <= talk_s <= 999 and 0 <= target_stay_s <= 9):
        raise SandboxError(
            "a transferring agent rings 0-99 s, talks 0-999 s, its target stays 0-9 s"
        )
    return f"Local/xfer-{ring_s}-{talk_s}-{target_stay_s}@{TRANSFERRING_CONTEXT}/n"


def busy_agent() -> str:
    """Queue member interface that is busy (a BUSY dial status)."""
    return f"Local/busy@{AGENTS_CONTEXT}/n"


def congested_agent() -> str:
    """Queue member interface whose line is congested."""
    return f"Local/congestion@{AGENTS_CONTEXT}/n"


CUSTOMER_KINDS = {"person": 1, "busy": 2, "no_answer": 3, "machine": 4, "unallocated": 6}


def customer_number(serial: int, kind: str, ring_s: int = 1, stay_s: int = 10) -> str:
    """A mobile-shaped E.164 number (+86 138 <serial> <K R SS>) whose scripted customer in
    the sandbox behaves as ``kind`` (see CUSTOMERS_CONTEXT). Only the sandbox dials it."""
    if kind not in CUSTOMER_KINDS:
        raise SandboxError(f"no scripted customer {kind!r}: use {', '.join(CUSTOMER_KINDS)}")
    if not (0 <= ring_s <= 9 and 0 <= stay_s <= 99 and 0 <= serial <= 9999):
        raise SandboxError("a scripted customer rings 0-9 s, stays 0-99 s, serial 0-9999")
    return f"+86138{serial:04d}{CUSTOMER_KINDS[kind]}{ring_s}{stay_s:02d}"


# Queues only the sandbox has, with fixed members, so tests of app_queue's records need no
# set-up and cannot disturb each other's members.
SANDBOX_QUEUES: dict[str, tuple[str, ...]] = {
    # ENTERQUEUE, CONNECT, COMPLETEAGENT
    "sandbox-answering": (f"{answering_agent(1, 2)},0,Sandbox Answering Agent",),
    # RINGNOANSWER, then EXITWITHTIMEOUT or ABANDON
    "sandbox-ringout": (f"{ringing_agent()},0,Sandbox Ringout Agent",),
    "sandbox-busy": (f"{busy_agent()},0,Sandbox Busy Agent",),
    # nobody: EXITWITHTIMEOUT (caller's timeout) or ABANDON (caller hangs up)
    "sandbox-empty": (),
    # The scripted day of the report test (tests/integration/test_report_truth.py): each queue
    # has members of its own, so that test's calls and other tests' calls never share an agent.
    # one quick agent: answered within any service level
    "sandbox-report-quick": (f"{answering_agent(1, 4)},0,Report Quick Agent",),
    # one agent who talks 8 s: callers queue behind the call in progress (slow answers, and
    # QUEUE_PRIO callers overtaking earlier ones)
    "sandbox-report-single": (f"{answering_agent(0, 8)},0,Report Single Agent",),
    # linear: the first agent rings out (RINGNOANSWER), then the second answers
    "sandbox-report-linear": (
        f"{ringing_agent()},0,Report Ringout Agent",
        f"{answering_agent(1, 3)},0,Report Backup Agent",
    ),
    # an agent who answers and blind-transfers the caller
    "sandbox-report-transfer": (f"{transferring_agent(1, 2, 2)},0,Report Transferring Agent",),
    # nobody: abandons and timeouts
    "sandbox-report-empty": (),
}
# Sandbox queues whose strategy is not the template's ringall.
SANDBOX_QUEUE_STRATEGIES: dict[str, str] = {"sandbox-report-linear": "linear"}
# The settings every sandbox queue shares, but its strategy.
_SANDBOX_QUEUE_TEMPLATE = (
    "timeout = 3",
    "retry = 1",
    "ringinuse = no",
    "joinempty = yes",
    "leavewhenempty = no",
    "announce-frequency = 0",
    "announce-position = no",
    "announce-holdtime = no",
    "wrapuptime = 0",
    "autopause = no",
)


# --- the private tree ----------------------------------------------------------------------


def modules_to_skip(available: Iterable[str]) -> list[str]:
    """The ``noload`` lines for the module files present in the rootfs."""
    return sorted(
        m for m in available if m.endswith(".so") and m.startswith(SKIPPED_MODULE_PREFIXES)
    )


def install_project_conf(files: Mapping[str, str], spec: SandboxSpec) -> dict[str, str]:
    """The shipped snippets with the instance's secrets in place of the placeholders.

    Refuses a set of snippets the sandbox cannot use, rather than booting an Asterisk without
    the project's dialplan or with a placeholder password.
    """
    missing = [name for name in PROJECT_CONF_FILES if name not in files]
    if missing:
        raise SandboxError(
            f"the project's Asterisk snippets {', '.join(missing)} are missing. Fix: point "
            "ASTERISK_CC_CONF_DIR at the conf/asterisk directory of asterisk-cc, or reinstall it."
        )
    installed = dict(files)
    for name, placeholder, secret in (
        (ARI_FILE, ARI_PASSWORD_PLACEHOLDER, spec.ari_password),
        (MANAGER_FILE, AMI_SECRET_PLACEHOLDER, spec.ami_secret),
        (VOICEMAIL_FILE, VOICEMAIL_PIN_PLACEHOLDER, spec.voicemail_pin),
    ):
        if placeholder not in installed[name]:
            raise SandboxError(
                f"{name} has no {placeholder} placeholder, so the sandbox cannot set its own "
                f"secret. Fix: restore the shipped {name}."
            )
        installed[name] = installed[name].replace(placeholder, secret)
    return {f"{PROJECT_CONF_SUBDIR}/{name}": text for name, text in installed.items()}


def render_etc(
    spec: SandboxSpec,
    project_conf: Mapping[str, str],
    available_modules: Iterable[str],
    *,
    test_queues: bool = True,
) -> dict[str, str]:
    """Every file the sandbox writes into its private etc, by path relative to etc; without
    ``test_queues``, the sandbox's own queues (:data:`SANDBOX_QUEUES`) are left out."""
    files = {
        "asterisk.conf": render_asterisk_conf(spec),
        "modules.conf": render_modules_conf(available_modules),
        "logger.conf": render_logger_conf(),
        "http.conf": render_http_conf(spec),
        "ari.conf": render_ari_conf(),
        "manager.conf": render_manager_conf(spec),
        "cdr.conf": render_cdr_conf(),
        "queues.conf": render_queues_conf(test_queues=test_queues),
        "extensions.conf": render_extensions_conf(spec),
        "voicemail.conf": render_voicemail_conf(),
    }
    files.update(install_project_conf(project_conf, spec))
    return files


# --- the stock tree (docs/install.md followed literally) ------------------------------------

# The file a stock instance adds for its scripted callers and agents (the site's own phones,
# as far as a test is concerned); extensions.conf includes it at its end.
STOCK_TEST_DIALPLAN_FILE = "asterisk-cc-sandbox.conf"
STOCK_HEADER = (
    "; asterisk-cc sandbox (stock mode): Debian's packaged file, with only what the sandbox\n"
    '; needs to stay private changed (see docs/sandbox.md, "Stock mode").\n'
)
_SECTION = re.compile(r"^\[([^\]]+)\]")


def _section_bounds(lines: list[str], section: str) -> tuple[int, int]:
    """Index of ``[section]``'s header line and of the line after its last line."""
    start = None
    for index, line in enumerate(lines):
        match = _SECTION.match(line)
        if match is None:
            continue
        if start is not None:
            return start, index
        if match.group(1) == section:
            start = index
    if start is None:
        raise SandboxError(
            f"the packaged file has no [{section}] section. Fix: rebuild the sandbox rootfs "
            "(delete it), or use the rendered mode."
        )
    return start, len(lines)


def set_in_section(text: str, section: str, key: str, value: str) -> str:
    """``key = value`` in ``[section]`` of an Asterisk config file: an uncommented ``key``
    line there is replaced, else the line is added at the section's end (after any line
    before the next section), the way an admin edits the file."""
    lines = text.splitlines()
    start, end = _section_bounds(lines, section)
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=>?")
    for index in range(start + 1, end):
        if pattern.match(lines[index]):
            lines[index] = f"{key} = {value}"
            return "\n".join(lines) + "\n"
    # After the section's last setting, not after the commented-out examples that follow it.
    insert_at = end
    while insert_at - 1 > start and (
        not lines[insert_at - 1].strip() or lines[insert_at - 1].lstrip().startswith(";")
    ):
        insert_at -= 1
    lines.insert(insert_at, f"{key} = {value}")
    return "\n".join(lines) + "\n"


def render_stock_etc(
    spec: SandboxSpec, stock: Mapping[str, str], available_modules: Iterable[str]
) -> dict[str, str]:
    """The few files a stock instance changes in Debian's packaged ``/etc/asterisk``.

    Only what a private instance on a shared host must differ in: its directories (its own
    tree, so instances never share a control socket or a log), the modules that would bind a
    port the host's real PBX owns or send packets off the machine (SKIPPED_MODULE_PREFIXES),
    the HTTP and AMI ports, and a file with the scripted callers and agents that tests use as
    the site's phones. Everything else, the project's snippets and ``#include`` lines included,
    is left to docs/install.md.
    """
    for name in ("asterisk.conf", "modules.conf", "http.conf", "manager.conf", "extensions.conf"):
        if name not in stock:
            raise SandboxError(
                f"the rootfs has no packaged /etc/asterisk/{name}. Fix: delete the sandbox "
                "rootfs so it is built again."
            )
    tree = spec.tree
    asterisk_conf = stock["asterisk.conf"].replace("[directories](!)", "[directories]")
    for key, value in (
        ("astcachedir", f"{tree}/cache"),
        ("astetcdir", f"{tree}/etc"),
        ("astmoddir", spec.module_dir),
        ("astvarlibdir", f"{tree}/lib"),
        ("astdbdir", f"{tree}/lib"),
        ("astkeydir", f"{tree}/lib"),
        ("astspooldir", f"{tree}/spool"),
        ("astrundir", f"{tree}/run"),
        ("astlogdir", f"{tree}/log"),
    ):
        asterisk_conf = set_in_section(asterisk_conf, "directories", key, value)
    modules_conf = stock["modules.conf"]
    lines = modules_conf.splitlines()
    _, end = _section_bounds(lines, "modules")
    lines[end:end] = [f"noload => {module}" for module in modules_to_skip(available_modules)]
    modules_conf = "\n".join(lines) + "\n"
    return {
        "asterisk.conf": STOCK_HEADER + asterisk_conf,
        "modules.conf": STOCK_HEADER + modules_conf,
        # Set at the end of [general]: after the project's snippet, wherever the admin puts it.
        "http.conf": STOCK_HEADER
        + set_in_section(stock["http.conf"], "general", "bindport", str(spec.ports.http)),
        "manager.conf": STOCK_HEADER
        + set_in_section(stock["manager.conf"], "general", "port", str(spec.ports.ami)),
        "extensions.conf": stock["extensions.conf"].rstrip("\n")
        + f'\n\n; asterisk-cc sandbox: scripted callers and agents\n#include "{STOCK_TEST_DIALPLAN_FILE}"\n',
        STOCK_TEST_DIALPLAN_FILE: _header(spec.name) + render_test_dialplan(),
    }


def _header(spec_name: str) -> str:
    return (
        f"; Written by the asterisk-cc sandbox {spec_name!r} at every start: edits are lost.\n"
        "; Ports and secrets live in the sandbox state directory (sandbox.json).\n"
    )


def render_asterisk_conf(spec: SandboxSpec) -> str:
    tree = spec.tree
    header = _header(spec.name)
    return header + (
        "; Every writable directory points into the private tree, so instances never share a\n"
        "; control socket, a log or an astdb; programs and sounds come from the rootfs.\n"
        "[directories]\n"
        f"astcachedir => {tree}/cache\n"
        f"astetcdir => {tree}/etc\n"
        f"astmoddir => {spec.module_dir}\n"
        f"astvarlibdir => {tree}/lib\n"
        f"astdbdir => {tree}/lib\n"
        f"astkeydir => {tree}/lib\n"
        "astdatadir => /usr/share/asterisk\n"
        "astagidir => /usr/share/asterisk/agi-bin\n"
        f"astspooldir => {tree}/spool\n"
        f"astrundir => {tree}/run\n"
        f"astlogdir => {tree}/log\n"
        "astsbindir => /usr/sbin\n"
        "\n"
        "[options]\n"
        f"verbose = {spec.verbose}\n"
        "debug = 0\n"
        "defaultlanguage = en\n"
        "documentation_language = en_US\n"
        "; no 'Remote UNIX connection' lines for every `asterisk -rx`\n"
        "hideconnect = yes\n"
    )


def render_modules_conf(available_modules: Iterable[str]) -> str:
    skipped = modules_to_skip(available_modules)
    lines = [
        "; Everything Debian ships loads, except what binds a port the host's real PBX owns or",
        "; waits for a server that is not there (see SKIPPED_MODULE_PREFIXES).",
        "[modules]",
        "autoload = yes",
        *(f"noload => {module}" for module in skipped),
    ]
    return "\n".join(lines) + "\n"


def render_logger_conf() -> str:
    return (
        "[general]\n"
        "dateformat = %F %T.%3q\n"
        "; app_queue's record, read by tests and by the asterisk-cc scheduler\n"
        "queue_log = yes\n"
        "queue_log_to_file = yes\n"
        "queue_log_name = queue_log\n"
        "\n"
        "[logfiles]\n"
        "; stdout of the asterisk process (the sandbox's asterisk.out)\n"
        "console => notice,warning,error\n"
        "messages.log => notice,warning,error,verbose\n"
    )


def render_http_conf(spec: SandboxSpec) -> str:
    header = _header(spec.name)
    return header + (
        "[general]\n"
        "; the project's own snippet, included the way docs/install.md says\n"
        f'#include "{PROJECT_CONF_SUBDIR}/{HTTP_FILE}"\n'
        "; the sandbox's port: set after the include, so it wins\n"
        f"bindport = {spec.ports.http}\n"
        "bindaddr = 127.0.0.1\n"
        f"servername = asterisk-cc-sandbox-{spec.name}\n"
    )


def render_ari_conf() -> str:
    return (
        "[general]\n"
        "enabled = yes\n"
        "pretty = no\n"
        "; ARI events carry no linkedid unless it is listed here\n"
        "channelvars = CHANNEL(linkedid)\n"
        "\n"
        f'#include "{PROJECT_CONF_SUBDIR}/{ARI_FILE}"\n'
    )


def render_manager_conf(spec: SandboxSpec) -> str:
    return (
        "[general]\n"
        "enabled = yes\n"
        f"port = {spec.ports.ami}\n"
        "bindaddr = 127.0.0.1\n"
        "displayconnects = no\n"
        "webenabled = no\n"
        "\n"
        f'#include "{PROJECT_CONF_SUBDIR}/{MANAGER_FILE}"\n'
    )


def render_cdr_conf() -> str:
    return (
        "[general]\n"
        "enable = yes\n"
        "; keep every call, answered or not, so tests and reports see abandoned calls too\n"
        "unanswered = yes\n"
        "congestion = yes\n"
        "batch = no\n"
        "\n"
        "[csv]\n"
        "; Master.csv in the log directory; timestamps in UTC; uniqueid, userfield, then\n"
        "; peeraccount, linkedid, sequence (newcdrcolumns): 21 columns\n"
        "usegmtime = yes\n"
        "loguniqueid = yes\n"
        "loguserfield = yes\n"
        "accountlogs = no\n"
        "newcdrcolumns = yes\n"
    )


def render_queues_conf(*, test_queues: bool = True) -> str:
    lines = [
        "[general]",
        "; every start begins with the members written in this file",
        "persistentmembers = no",
        "autofill = yes",
        "shared_lastcall = yes",
        "log_membername_as_agent = yes",
        "",
        "; the project's sample queues (support, sales, vip)",
        f'#include "{PROJECT_CONF_SUBDIR}/{QUEUES_FILE}"',
    ]
    if not test_queues:
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "; The sandbox's own queues: fixed scripted members, quick timeouts, no announcements.",
        "[asterisk-cc-sandbox-queue](!)",
        "strategy = ringall",
        *_SANDBOX_QUEUE_TEMPLATE,
    ]
    for queue, members in SANDBOX_QUEUES.items():
        strategy = SANDBOX_QUEUE_STRATEGIES.get(queue)
        if strategy is None:
            lines += ["", f"[{queue}](asterisk-cc-sandbox-queue)"]
        else:
            # app_queue reads a queue's strategy from the first "strategy" line of its section,
            # and a template's lines come first: such a queue spells its settings out.
            lines += ["", f"[{queue}]", f"strategy = {strategy}", *_SANDBOX_QUEUE_TEMPLATE]
        lines += [f"member => {member}" for member in members]
    return "\n".join(lines) + "\n"


def render_voicemail_conf() -> str:
    return (
        "[general]\n"
        "format = wav\n"
        "attach = no\n"
        "\n"
        "; the project's mailbox for IVR callers (8000@asterisk-cc)\n"
        f'#include "{PROJECT_CONF_SUBDIR}/{VOICEMAIL_FILE}"\n'
    )


def render_extensions_conf(spec: SandboxSpec) -> str:
    header = _header(spec.name)
    return (
        header
        + (
            "[general]\n"
            "static = yes\n"
            "writeprotect = yes\n"
            "clearglobalvars = yes\n"
            "\n"
            "[globals]\n"
            "; the project's dialplan reaches FastAGI here: the sandbox's own port\n"
            f"ASTERISK_CC_AGI = {spec.agi_url}\n"
            "ASTERISK_CC_DEFAULT_QUEUE = support\n"
            "\n"
            f'#include "{PROJECT_CONF_SUBDIR}/{EXTENSIONS_FILE}"\n'
            "\n"
        )
        + render_test_dialplan()
    )


def render_test_dialplan() -> str:
    """Scripted callers and agents: the far ends of calls, played by Local channels."""
    return f"""\
; A scripted caller. A test originates Local/<exten>@<context>/n with this context for the
; other half: once the called side answers, this half runs the steps in
; {CALLER_SCRIPT_VARIABLE} ('/'-separated: w<seconds> waits, d<digits> presses keys, p<sound> plays a sound), then hangs
; up. The digits reach the called side as real DTMF.
[{CALLER_CONTEXT}]
exten => s,1,Set(STEP=1)
 same => n(next),Set(ACTION=${{CUT({CALLER_SCRIPT_VARIABLE},/,${{STEP}})}})
 same => n,GotoIf($["${{ACTION}}" = ""]?end)
 same => n,Set(STEP=$[${{STEP}} + 1])
 same => n,GotoIf($["${{ACTION:0:1}}" = "d"]?dtmf)
 same => n,GotoIf($["${{ACTION:0:1}}" = "p"]?speak)
 same => n,Wait(${{ACTION:1}})
 same => n,Goto(next)
 same => n(dtmf),SendDTMF(${{ACTION:1}})
 same => n,Goto(next)
 same => n(speak),Playback(${{ACTION:1}})
 same => n,Goto(next)
 same => n(end),Hangup()

; Scripted agents, used as app_queue members Local/<exten>@{AGENTS_CONTEXT}/n:
;   answer-<ring_s>-<talk_s>  rings, answers, talks, hangs up (COMPLETEAGENT)
;   ringout                   rings until app_queue gives up (RINGNOANSWER)
;   busy / congestion         refuses the call
; One pattern for all of them: in a pattern, letters N, X, Z (any case) are digit classes and
; '-' is ignored, so "_answer-X." would never match "answer-1-2". [a-z] is literal.
[{AGENTS_CONTEXT}]
exten => _[a-z].,1,Set(KIND=${{CUT(EXTEN,-,1)}})
 same => n,GotoIf($["${{KIND}}" = "answer"]?answer)
 same => n,GotoIf($["${{KIND}}" = "ringout"]?ringout)
 same => n,GotoIf($["${{KIND}}" = "busy"]?busy)
 same => n,GotoIf($["${{KIND}}" = "congestion"]?congestion)
 same => n,Hangup()
 same => n(answer),Ringing()
 same => n,Wait(${{CUT(EXTEN,-,2)}})
 same => n,Answer()
 same => n,Wait(${{CUT(EXTEN,-,3)}})
 same => n,Hangup()
 same => n(ringout),Ringing()
 same => n,Wait(600)
 same => n,Hangup()
 same => n(busy),Busy(10)
 same => n(congestion),Congestion(10)

; A scripted agent who transfers, as app_queue member
; Local/xfer-<ring_s>-<talk_s>-<stay_s>@{TRANSFERRING_CONTEXT}/n: rings, answers, talks, then
; presses the blind-transfer feature code (features.conf blindxfer, '#' by default) and the
; extension 9<stay_s>. The bridge hears the keys on the member's half of the Local channel, whose
; context (the default transfer context) is this one: the caller lands on 9<stay_s> below,
; which answers and hangs up after <stay_s> seconds. The member may transfer only when the
; caller's channel has BRIDGE_FEATURES=t.
[{TRANSFERRING_CONTEXT}]
exten => _[a-z].,1,Ringing()
 same => n,Wait(${{CUT(EXTEN,-,2)}})
 same => n,Answer()
 same => n,Wait(${{CUT(EXTEN,-,3)}})
 same => n,SendDTMF(#)
 same => n,Wait(0.5)
 same => n,SendDTMF(9${{CUT(EXTEN,-,4)}})
 same => n,Wait(10)
 same => n,Hangup()
exten => _9X,1,Answer()
 same => n,Wait(${{EXTEN:1}})
 same => n,Hangup()

; Scripted customers for the dialer: dial_template = "Local/{{digits}}@{CUSTOMERS_CONTEXT}".
; The number's last four digits K R SS say what the customer does (see customer_number()):
;   K=1  a person: rings R s, answers, says "hello", stays SS s, hangs up
;   K=2  busy            K=3  rings and never answers            K=6  number does not exist
;   K=4  an answering machine: rings R s, answers, plays a long greeting, stays SS s
[{CUSTOMERS_CONTEXT}]
exten => _X.,1,Set(CODE=${{EXTEN:-4}})
 same => n,GotoIf($["${{CODE:0:1}}" = "2"]?busy)
 same => n,GotoIf($["${{CODE:0:1}}" = "3"]?unanswered)
 same => n,GotoIf($["${{CODE:0:1}}" = "6"]?unallocated)
 same => n,Ringing()
 same => n,Wait(${{CODE:1:1}})
 same => n,Answer()
 same => n,GotoIf($["${{CODE:0:1}}" = "4"]?machine)
 ; Silence is played, not waited: AMD counts the silence after "hello" by the audio frames it
 ; hears, and Wait() on a Local channel sends none.
 same => n,Playback(hello&silence/2)
 same => n,Wait(${{CODE:2:2}})
 same => n,Hangup()
 same => n(machine),Playback(vm-intro&vm-theperson)
 same => n,Wait(${{CODE:2:2}})
 same => n,Hangup()
 same => n(busy),Busy(10)
 same => n(unanswered),Ringing()
 same => n,Wait(600)
 same => n,Hangup()
 same => n(unallocated),Hangup(1)
"""


def render_client_toml(
    spec: SandboxSpec,
    *,
    database_url: str,
    web_secret_key: str,
    flows_dir: str = "",
    sounds_dir: str = "",
    queues_conf: str = "",
    call_recordings_dir: str = "",
) -> str:
    """An asterisk-cc configuration whose ARI, AMI, FastAGI and IVR point at this sandbox
    (``sounds_dir``, ``queues_conf`` and ``call_recordings_dir``, where ARI records calls, as
    the host sees the sandbox's files)."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return (
        f"# asterisk-cc configuration for the sandbox {spec.name!r}: written by\n"
        "# `asterisk-cc sandbox up --write-config FILE`. It holds the sandbox's secrets.\n"
        "\n[database]\n"
        f"url = {quoted(database_url)}\n"
        "\n[ari]\n"
        f"url = {quoted(spec.ari_url)}\n"
        f"user = {quoted(spec.ari_user)}\n"
        f"password = {quoted(spec.ari_password)}\n"
        f"app = {quoted(spec.ari_app)}\n"
        "# no status endpoint: several sandboxes' controllers may run on one host\n"
        "status_port = 0\n"
        "\n[ami]\n"
        'host = "127.0.0.1"\n'
        f"port = {spec.ports.ami}\n"
        f"user = {quoted(spec.ami_user)}\n"
        f"secret = {quoted(spec.ami_secret)}\n"
        "\n[agi]\n"
        "# the sandbox's dialplan sends calls to this port (global ASTERISK_CC_AGI)\n"
        'bind = "127.0.0.1"\n'
        f"port = {spec.ports.agi}\n"
        'failover_context = "asterisk-cc-failover"\n'
        "\n[ivr]\n"
        f"flows_dir = {quoted(flows_dir)}\n"
        f"sounds_dirs = [{quoted(sounds_dir)}]\n"
        f"queues_conf = [{quoted(queues_conf)}]\n"
        "# as Asterisk sees it, inside its chroot\n"
        f"recordings_dir = {quoted(str(spec.recordings_dir))}\n"
        "\n[web]\n"
        f"secret_key = {quoted(web_secret_key)}\n"
        + (
            "# where ARI records calls (the sandbox's astspooldir/recording), as the host sees it\n"
            f"recordings_dir = {quoted(call_recordings_dir)}\n"
            if call_recordings_dir
            else ""
        )
    )
