"""Configuration: one TOML file plus ``ASTERISK_CC_<SECTION>_<KEY>`` environment overrides.

The schema below is the single source of truth: the loader validates against it, and the
shipped sample (``conf/asterisk-cc.sample.toml``, ``asterisk-cc config sample``) is rendered
from it, so a key cannot exist in one and not the other.

Every problem found is collected and reported in one message that names the file, the key and
the fix; nothing here raises anything but :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asterisk_cc.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("/etc/asterisk-cc/asterisk-cc.toml")
CONFIG_ENV_VAR = "ASTERISK_CC_CONFIG"
ENV_PREFIX = "ASTERISK_CC_"


def setting(
    default: Any,
    doc: str,
    *,
    secret: bool = False,
    required: bool = False,
    choices: tuple[str, ...] = (),
    minimum: int | None = None,
    maximum: int | None = None,
) -> Any:
    """Declare one key: its default, its documentation and its constraints."""
    metadata = {
        "doc": doc,
        "secret": secret,
        "required": required,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
    }
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class DatabaseSettings:
    """The shared CRM database."""

    url: str = setting(
        "sqlite:////var/lib/asterisk-cc/asterisk-cc.sqlite3",
        "SQLAlchemy URL. SQLite (embedded default, WAL mode) or PostgreSQL, e.g. "
        "postgresql+psycopg://asterisk_cc:PASSWORD@127.0.0.1/asterisk_cc. Put a URL with a "
        "password in ASTERISK_CC_DATABASE_URL rather than in this file.",
    )
    connect_timeout_s: int = setting(
        5, "Seconds to wait for the database server before giving up.", minimum=1, maximum=300
    )


@dataclass(frozen=True)
class AriSettings:
    """Asterisk REST Interface, used by the ARI controller and the dialer."""

    url: str = setting("http://127.0.0.1:8088/ari", "Base URL of ARI (http.conf + ari.conf).")
    user: str = setting("asterisk-cc", "ARI user (a [user] section of type=user in ari.conf).")
    password: str = setting(
        "",
        "ARI password. Secret: set it here or in ASTERISK_CC_ARI_PASSWORD.",
        secret=True,
        required=True,
    )
    app: str = setting("asterisk-cc", "Name of the Stasis application the controller registers.")
    status_bind: str = setting(
        "127.0.0.1", "Address of the controller's status endpoint (GET /health, GET /status)."
    )
    status_port: int = setting(
        8091, "Port of the controller's status endpoint; 0 turns it off.", minimum=0, maximum=65535
    )


@dataclass(frozen=True)
class AmiSettings:
    """Asterisk Manager Interface, used to manage app_queue members."""

    host: str = setting("127.0.0.1", "AMI host (manager.conf bindaddr).")
    port: int = setting(5038, "AMI TCP port.", minimum=1, maximum=65535)
    user: str = setting("asterisk-cc", "AMI user (a section in manager.conf or manager.d/).")
    secret: str = setting(
        "",
        "AMI secret. Secret: set it here or in ASTERISK_CC_AMI_SECRET.",
        secret=True,
        required=True,
    )


@dataclass(frozen=True)
class AgiSettings:
    """The FastAGI server that runs the IVR; Asterisk connects to it."""

    bind: str = setting("127.0.0.1", "Address the FastAGI server listens on (loopback by default).")
    port: int = setting(
        4573,
        "FastAGI TCP port (AGI(agi://host:port/...) in the dialplan).",
        minimum=1,
        maximum=65535,
    )
    failover_context: str = setting(
        "asterisk-cc-failover",
        "Dialplan context a caller is sent to when the IVR fails, so no caller is left in dead air.",
    )


@dataclass(frozen=True)
class DialerSettings:
    """The outbound dialer (campaigns are set up with `asterisk-cc campaign`)."""

    app: str = setting(
        "asterisk-cc-dialer",
        "Stasis application of the dialer's calls (the AMD context of the shipped dialplan "
        "returns calls to it).",
    )
    dialer_id: str = setting(
        "",
        "Name this dialer claims leads under; one per dialer process. Empty: the host name. "
        "A restarted dialer with the same name takes back the calls it left.",
    )
    dial_template: str = setting(
        "PJSIP/{digits}@trunk",
        "How a number is dialled: an Asterisk endpoint with {e164} (+4420...), {digits} "
        "(4420...) or {national} (020...), e.g. PJSIP/{digits}@my-trunk.",
    )
    abandon_message: str = setting(
        "im-sorry",
        "Sound played to a person no agent takes within 2 s, unless the campaign sets its "
        "own. The law wants who called, why, and a free number to call back: record yours "
        "and name it here (several sounds: joined with &).",
    )
    controller_url: str = setting(
        "",
        "The ARI controller's endpoint (agents' states, connecting calls). Empty: "
        "http://[ari] status_bind:status_port.",
    )
    tick_ms: int = setting(
        500, "Milliseconds between two pacing decisions.", minimum=100, maximum=5000
    )


@dataclass(frozen=True)
class SiteSettings:
    """The contact centre itself."""

    name: str = setting("Contact Centre", "Name shown in reports and the dashboard.")
    timezone: str = setting(
        "UTC", "IANA time zone of the site (opening hours, report days), e.g. Asia/Shanghai."
    )
    default_region: str = setting(
        "CN", "ISO country code used to read national phone numbers into E.164, e.g. CN, US, GB."
    )
    default_language: str = setting(
        "en", "Prompt language when the caller's is unknown.", choices=("en", "zh")
    )


@dataclass(frozen=True)
class IvrSettings:
    """IVR flows and prompts."""

    flows_dir: str = setting(
        "/etc/asterisk-cc/ivr",
        "Directory holding the IVR flow files (<name>.toml; AGI(agi://host:port/<name>) runs one).",
    )
    default_flow: str = setting(
        "hotline", "Flow run for the AGI script name ivr (the asterisk-cc-ivr context's s)."
    )
    sounds_dirs: list[str] = setting(
        ["/usr/share/asterisk/sounds"],
        "Asterisk's sound directories (per-language sub-directories, as Asterisk looks them up); "
        "prompts built from text go into the first one.",
    )
    queues_conf: list[str] = setting(
        ["/etc/asterisk/queues.conf"],
        "queues.conf files (their #include files are read too): a flow may only route to the "
        "queues defined there.",
    )
    recordings_dir: str = setting(
        "/var/spool/asterisk/asterisk-cc",
        "Where Asterisk writes callers' recorded complaints (as Asterisk sees the path; it must "
        "exist and be writable by Asterisk).",
    )
    lookup_timeout_ms: int = setting(
        2000,
        "Longest a caller waits for the CRM or the database (milliseconds); then the flow's "
        "error path is taken.",
        minimum=100,
        maximum=30000,
    )
    complaint_due_hours: int = setting(
        24,
        "Hours within which a complaint is due (its SLA deadline on the supervisor's "
        "complaints queue), whether the IVR or an agent's desktop opened it: the time it was "
        "received plus this many hours, "
        "counted round the clock (nights, weekends and holidays count too). 0: no due time; a "
        "supervisor sets one.",
        minimum=0,
    )


@dataclass(frozen=True)
class CrmSettings:
    """Where customers are looked up: the project's own table or an existing CRM table."""

    source: str = setting(
        "builtin",
        "builtin = the project's customers table; table = an existing table mapped by the "
        "*_column keys; query = your own SELECT statements with bound parameters.",
        choices=("builtin", "table", "query"),
    )
    table: str = setting("", "Existing customer table (source = table), optionally schema.table.")
    id_column: str = setting("id", "Column holding the customer's unique id.")
    name_column: str = setting("name", "Column holding the customer's name.")
    phone_column: str = setting("phone", "Column holding the customer's phone number.")
    account_column: str = setting("", "Column holding the account number (empty = none).")
    tier_column: str = setting(
        "", "Column holding the tier, e.g. vip/gold/standard (empty = none)."
    )
    language_column: str = setting("", "Column holding the preferred language (empty = none).")
    timezone_column: str = setting("", "Column holding the customer's time zone (empty = none).")
    extra_columns: list[str] = setting(
        [], "Other columns of the table the IVR may branch on or say, e.g. balance."
    )
    phone_format: str = setting(
        "e164",
        "How the existing table writes phone numbers: e164 (+8613812345678), digits "
        "(8613812345678) or national (013812345678).",
        choices=("e164", "digits", "national"),
    )
    phone_lookup_query: str = setting(
        "",
        "source = query: SELECT returning id, name[, account, tier, language, timezone] "
        "WHERE ... = :phone (the number is bound in phone_format, never pasted into SQL).",
    )
    account_lookup_query: str = setting(
        "", "source = query: the same for an entered account number, bound as :account."
    )


@dataclass(frozen=True)
class SmtpSettings:
    """Mail server for the daily report pack and alerts."""

    host: str = setting("127.0.0.1", "SMTP server host.")
    port: int = setting(25, "SMTP server port.", minimum=1, maximum=65535)
    user: str = setting("", "SMTP user (empty = no authentication).")
    password: str = setting(
        "", "SMTP password. Secret: set it here or in ASTERISK_CC_SMTP_PASSWORD.", secret=True
    )
    starttls: bool = setting(False, "Upgrade the connection with STARTTLS.")
    sender: str = setting("asterisk-cc@localhost", "From: address of report mail.")


@dataclass(frozen=True)
class ReportsSettings:
    """The daily report pack."""

    recipients: list[str] = setting([], "E-mail addresses that receive the daily report pack.")
    daily_at: str = setting(
        "06:30", "Local time (site time zone) the daily pack is produced, HH:MM."
    )
    output_dir: str = setting("/var/lib/asterisk-cc/reports", "Where report files are written.")
    languages: list[str] = setting(
        ["en"], "Languages of the pack, one set of files and one mail each: en, zh."
    )
    formats: list[str] = setting(
        ["html", "pdf", "csv", "xlsx"], "Files of the pack: html, pdf, csv, xlsx."
    )
    interval_min: int = setting(
        30, "Length of the pack's intervals and of the staffing forecast: 15, 30 or 60 minutes."
    )
    queue_log_file: str = setting(
        "/var/log/asterisk/queue_log", "Asterisk's queue_log file (empty = not read)."
    )
    queue_log_table_url: str = setting(
        "",
        "Database URL of Asterisk's realtime queue_log table, when queue_log goes to a database "
        "(empty = not read). Secret when it holds a password: ASTERISK_CC_REPORTS_QUEUE_LOG_TABLE_URL.",
        secret=True,
    )
    queue_log_table: str = setting("queue_log", "Name of that table.")
    queue_log_table_timezone: str = setting(
        "",
        "Time zone of that table's times (empty = the site's; UTC with "
        "queue_log_realtime_use_gmt=yes).",
    )
    cdr_csv_file: str = setting(
        "/var/log/asterisk/cdr-csv/Master.csv", "Asterisk's Master.csv (empty = not read)."
    )
    cdr_table_url: str = setting(
        "",
        "Database URL of Asterisk's CDR table (cdr_adaptive_odbc; empty = not read). Secret: "
        "ASTERISK_CC_REPORTS_CDR_TABLE_URL.",
        secret=True,
    )
    cdr_csv_timezone: str = setting(
        "UTC",
        "Time zone of Master.csv's times: UTC with cdr.conf usegmtime=yes (Debian's default), "
        "else the PBX's zone.",
    )
    cdr_table: str = setting("cdr", "Name of that table.")
    cdr_table_timezone: str = setting(
        "", "Time zone of that table's times (empty = the site's; UTC with usegmtime=yes)."
    )
    fcr_window_days: int = setting(
        7,
        "First-contact resolution: a call is resolved when the same customer does not call "
        "again within this many days.",
        minimum=1,
        maximum=90,
    )
    cost_per_agent_hour: float = setting(
        0.0, "Cost of one staffed agent hour, for the cost per call (0 = not shown)."
    )
    currency: str = setting("CNY", "Currency of the cost per call.")
    abandon_rate_target: float = setting(0.05, "Target abandon rate (ratio), for red/amber/green.")
    asa_target_s: int = setting(30, "Target average speed of answer, seconds.", minimum=1)
    occupancy_target: float = setting(0.85, "Target occupancy (ratio).")
    csat_target: float = setting(4.0, "Target CSAT (average score 1..5).")
    forecast_weeks: int = setting(
        8,
        "Weeks of history (same weekday) the staffing forecast averages.",
        minimum=1,
        maximum=52,
    )
    shrinkage: float = setting(
        0.0,
        "Share of scheduled time agents are not on the phones (breaks, training, meetings): the "
        "forecast's required agents are divided by 1 - shrinkage (0.3 is common).",
    )
    forecast_at: str = setting(
        "05:30", "Local time the next day's staffing forecast is made, HH:MM."
    )


@dataclass(frozen=True)
class AlertsSettings:
    """Call-volume early warning (呼叫量预警): rules checked every minute."""

    every_s: int = setting(60, "How often the rules are checked, seconds.", minimum=10)
    waiting_calls: int = setting(10, "Alert when a queue has this many calls waiting.", minimum=1)
    longest_wait_s: int = setting(
        120, "Alert when a caller has waited this long in a queue, seconds.", minimum=1
    )
    service_level_15m: float = setting(
        0.7, "Alert when a queue's service level over the last 15 minutes is below this."
    )
    volume_over_forecast: float = setting(
        1.3, "Alert when the calls of the current interval exceed the forecast by this factor."
    )
    min_calls: int = setting(
        5,
        "Ratios (service level, volume against forecast) are judged only over at least this "
        "many calls.",
        minimum=1,
    )
    renotify_after_min: int = setting(
        30, "An alert still raised is sent again after this many minutes, not before.", minimum=1
    )
    recipients: list[str] = setting([], "E-mail addresses that receive alerts.")
    webhook_url: str = setting(
        "",
        "URL that receives each alert raised or cleared as a JSON POST (empty = none). Secret "
        "when it carries a token: ASTERISK_CC_ALERTS_WEBHOOK_URL.",
        secret=True,
    )


@dataclass(frozen=True)
class SchedulerSettings:
    """The scheduler process (``asterisk-cc scheduler``): its jobs are kept in the database."""

    ingest_every_s: int = setting(60, "How often queue_log and CDRs are read, seconds.", minimum=5)
    misfire_grace_s: int = setting(
        43200,
        "A job missed while the scheduler was down still runs (once) when it is back within "
        "this many seconds.",
        minimum=1,
    )


@dataclass(frozen=True)
class WebSettings:
    """The dashboard."""

    bind: str = setting("127.0.0.1", "Address the dashboard listens on (loopback by default).")
    port: int = setting(8080, "Dashboard TCP port.", minimum=1, maximum=65535)
    secret_key: str = setting(
        "",
        "Key that signs session cookies; a long random string. Secret: set it here or in "
        "ASTERISK_CC_WEB_SECRET_KEY.",
        secret=True,
        required=True,
    )
    https: bool = setting(
        False,
        "Set true when the dashboard is served over HTTPS (a reverse proxy in front): the "
        "session cookie is then sent over HTTPS only.",
    )
    threads: int = setting(
        100,
        "Worker threads of the dashboard's server; each open wallboard or agent desktop holds "
        "one for its live stream.",
        minimum=8,
        maximum=2000,
    )
    max_upload_mb: int = setting(
        64, "Largest upload (lead or DNC file) the dashboard accepts, in MB.", minimum=1
    )
    transfer_context: str = setting(
        "",
        "Dialplan context in which the agent desktop dials a number typed for a blind "
        "transfer (e.g. your outbound context); empty: transfers go to queues only.",
    )
    live_poll_ms: int = setting(
        500,
        "How often the dashboard asks Asterisk (AMI) and the ARI controller for the live "
        "state the wallboard and agent desktops show, in milliseconds.",
        minimum=100,
        maximum=5000,
    )
    recordings_dir: str = setting(
        "/var/spool/asterisk/recording",
        "Where the dashboard finds the call recordings it plays (quality pages): the folder "
        "the ARI controller's Asterisk records calls into (its astspooldir/recording). Point "
        "it at that same folder, as this host sees it (a mount of it when the dashboard runs "
        "on another host); the dashboard only reads it.",
    )


@dataclass(frozen=True)
class LoggingSettings:
    """Logging of every process."""

    level: str = setting("INFO", "Log level.", choices=("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True)
class Settings:
    """The whole configuration, validated."""

    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    ari: AriSettings = field(default_factory=AriSettings)
    ami: AmiSettings = field(default_factory=AmiSettings)
    agi: AgiSettings = field(default_factory=AgiSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    dialer: DialerSettings = field(default_factory=DialerSettings)
    ivr: IvrSettings = field(default_factory=IvrSettings)
    crm: CrmSettings = field(default_factory=CrmSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    reports: ReportsSettings = field(default_factory=ReportsSettings)
    alerts: AlertsSettings = field(default_factory=AlertsSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)
    web: WebSettings = field(default_factory=WebSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    source: str = "(defaults)"
    """Where the settings came from: the file path, for messages."""


SECTIONS: dict[str, type[Any]] = {
    f.name: f.default_factory  # type: ignore[misc]
    for f in dataclasses.fields(Settings)
    if f.name != "source"
}

# Which sections each process needs; their required secrets must then be present.
SECTIONS_USED_BY: dict[str, tuple[str, ...]] = {
    "agi": ("database", "agi", "site", "ivr", "crm"),
    "ari": ("database", "ari", "ami", "site"),
    "dialer": ("database", "ari", "site", "dialer", "web"),
    "scheduler": ("database", "site", "smtp", "reports", "alerts", "scheduler"),
    "web": ("database", "web", "site", "ari", "ami", "reports", "alerts", "ivr"),
    "db": ("database", "site", "crm"),
    "ivr": ("site", "ivr"),
    "run-all": ("database", "agi", "site", "ivr", "crm", "ari", "ami"),
    "all": tuple(SECTIONS),
}


def env_var_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section}_{key}".upper()


def resolve_config_path(cli_path: str | None, environ: Mapping[str, str]) -> Path:
    """``--config`` wins, then ``ASTERISK_CC_CONFIG``, then the system-wide default."""
    if cli_path:
        return Path(cli_path)
    if environ.get(CONFIG_ENV_VAR):
        return Path(environ[CONFIG_ENV_VAR])
    return DEFAULT_CONFIG_PATH


def load_settings(
    path: Path, environ: Mapping[str, str] | None = None, *, needed_by: str = "all"
) -> Settings:
    """Read, override from the environment and validate; raise one ConfigError for all problems."""
    environ = os.environ if environ is None else environ
    raw = _read_toml(path)
    problems: list[str] = []
    sections: dict[str, Any] = {}
    for name, raw_section in raw.items():
        if name not in SECTIONS:
            problems.append(
                f"section [{name}] is unknown{_did_you_mean(name, SECTIONS)}: remove it or "
                f"correct its name (known sections: {', '.join(SECTIONS)})"
            )
        elif not isinstance(raw_section, dict):
            problems.append(f"[{name}] must be a section (a [{name}] header), not a single value")
    for name, section_type in SECTIONS.items():
        raw_section = raw.get(name, {})
        if isinstance(raw_section, dict):
            sections[name] = _build_section(name, section_type, raw_section, environ, problems)
    # Values that failed their own check were left at their defaults, so the checks across keys
    # still run and every problem is reported in one go.
    settings = Settings(**sections, source=str(path))
    _check_semantics(settings, needed_by, problems)
    if problems:
        raise ConfigError(_format_problems(path, problems))
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"Configuration file {path} does not exist. Fix: create it from the sample "
            f"(asterisk-cc config sample > {path}), or name another file with --config FILE "
            f"or the environment variable {CONFIG_ENV_VAR}."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"Configuration file {path} cannot be read ({exc}). Fix: check that it exists, is "
            "readable by this user and is UTF-8 text."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Configuration file {path} is not valid TOML: {exc}. Fix: correct the syntax there "
            '(strings need quotes: key = "value"; sections are written [name]).'
        ) from None


def _build_section(
    section: str,
    section_type: type[Any],
    raw: dict[str, Any],
    environ: Mapping[str, str],
    problems: list[str],
) -> Any:
    fields = {f.name: f for f in dataclasses.fields(section_type)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            problems.append(
                f"[{section}] {key} is not a known key{_did_you_mean(key, fields)}: remove it or "
                f"correct its name (keys of [{section}]: {', '.join(fields)})"
            )
            continue
        checked = _check_value(section, key, fields[key], value, problems, origin="")
        if checked is not None:
            values[key] = checked
    for key, f in fields.items():
        env_name = env_var_name(section, key)
        if env_name in environ:
            parsed = _parse_env(env_name, f, environ[env_name], problems)
            if parsed is not None:
                checked = _check_value(
                    section, key, f, parsed, problems, origin=f" (from {env_name})"
                )
                if checked is not None:
                    values[key] = checked
    return section_type(**values)


def _type_name(python_type: Any) -> str:
    return {str: "a string", int: "an integer", bool: "true or false", float: "a number"}.get(
        python_type, "a list of strings"
    )


def _expected_type(f: dataclasses.Field[Any]) -> Any:
    return {"str": str, "int": int, "bool": bool, "float": float}.get(str(f.type), list)


def _check_value(
    section: str,
    key: str,
    f: dataclasses.Field[Any],
    value: Any,
    problems: list[str],
    *,
    origin: str,
) -> Any:
    expected = _expected_type(f)
    where = f"[{section}] {key}{origin}"
    ok = (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
        if expected is list
        else (isinstance(value, expected) and not (expected is int and isinstance(value, bool)))
        # A whole number is a number too: ``cost_per_agent_hour = 20``.
        or (expected is float and isinstance(value, int) and not isinstance(value, bool))
    )
    if not ok:
        default = f.default_factory() if callable(f.default_factory) else f.default
        example = _toml_value(default) if default not in ("", []) else '"text"'
        problems.append(
            f"{where} must be {_type_name(expected)}, not {value!r}: write it like "
            f"{key} = {example}"
        )
        return None
    meta = f.metadata
    if meta["choices"] and value not in meta["choices"]:
        problems.append(
            f"{where} is {value!r}, which is not one of {', '.join(meta['choices'])}: "
            "use one of those"
        )
        return None
    low, high = meta["minimum"], meta["maximum"]
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            problems.append(f"{where} is {value}, below {low}: use {low} or more")
        elif low is None:
            problems.append(f"{where} is {value}, above {high}: use {high} or less")
        else:
            problems.append(f"{where} is {value}, outside {low}..{high}: use a value in that range")
        return None
    if expected is float:
        return float(value)
    return value


def _parse_env(env_name: str, f: dataclasses.Field[Any], text: str, problems: list[str]) -> Any:
    expected = _expected_type(f)
    if expected is str:
        return text
    if expected is list:
        return [item.strip() for item in text.split(",") if item.strip()]
    if expected is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
    else:
        try:
            return expected(text.strip())
        except ValueError:
            pass
    problems.append(
        f"environment variable {env_name}={text!r} must be {_type_name(expected)}: "
        "correct or unset it"
    )
    return None


def _check_semantics(settings: Settings, needed_by: str, problems: list[str]) -> None:
    """Checks that need more than one key, or knowledge beyond the key's type."""
    used = SECTIONS_USED_BY.get(needed_by, SECTIONS_USED_BY["all"])
    for section in used:
        values = getattr(settings, section)
        for f in dataclasses.fields(values):
            if f.metadata["required"] and not getattr(values, f.name):
                problems.append(
                    f"[{section}] {f.name} is missing: set {f.name} in section [{section}] or "
                    f"the environment variable {env_var_name(section, f.name)}"
                )
    if settings.site.timezone not in _known_timezones():
        problems.append(
            f"[site] timezone {settings.site.timezone!r} is not an IANA time zone: use a name "
            "such as Asia/Shanghai, Europe/London or UTC"
        )
    for key in ("daily_at", "forecast_at"):
        if not is_hour_minute(getattr(settings.reports, key)):
            problems.append(
                f"[reports] {key} {getattr(settings.reports, key)!r} is not a time: write it as "
                f'HH:MM, e.g. {key} = "06:30"'
            )
    _check_reports(settings.reports, settings.alerts, problems)
    if not settings.database.url.startswith(("sqlite:", "postgresql")):
        problems.append(
            "[database] url must start with sqlite: or postgresql (e.g. "
            '"sqlite:////var/lib/asterisk-cc/asterisk-cc.sqlite3"): other databases are not '
            "supported"
        )
    _check_crm(settings.crm, problems)


def is_hour_minute(text: str) -> bool:
    """``HH:MM`` on a 24-hour clock."""
    hour_minute = text.split(":")
    return (
        len(hour_minute) == 2
        and all(part.isdigit() and len(part) == 2 for part in hour_minute)
        and int(hour_minute[0]) < 24
        and int(hour_minute[1]) < 60
    )


REPORT_LANGUAGES = ("en", "zh")
REPORT_FORMATS = ("html", "pdf", "csv", "xlsx")


def _check_reports(reports: ReportsSettings, alerts: AlertsSettings, problems: list[str]) -> None:
    for language in reports.languages:
        if language not in REPORT_LANGUAGES:
            problems.append(
                f"[reports] languages has {language!r}: the pack is written in "
                + " and ".join(REPORT_LANGUAGES)
            )
    for fmt in reports.formats:
        if fmt not in REPORT_FORMATS:
            problems.append(
                f"[reports] formats has {fmt!r}: choose among " + ", ".join(REPORT_FORMATS)
            )
    if reports.interval_min not in (15, 30, 60):
        problems.append(f"[reports] interval_min is {reports.interval_min}: use 15, 30 or 60")
    for key in ("queue_log_table_timezone", "cdr_csv_timezone", "cdr_table_timezone"):
        zone = getattr(reports, key)
        if zone and zone not in _known_timezones():
            problems.append(f"[reports] {key} {zone!r} is not an IANA time zone")
    for key in ("abandon_rate_target", "occupancy_target"):
        if not 0 <= getattr(reports, key) <= 1:
            problems.append(f"[reports] {key} is a ratio: write it between 0 and 1 (0.05 = 5 %)")
    if not 0 <= reports.shrinkage < 1:
        problems.append("[reports] shrinkage is a ratio below 1: e.g. 0.3 for 30 %")
    if not 1 <= reports.csat_target <= 5:
        problems.append("[reports] csat_target is an average score: write it between 1 and 5")
    if reports.cost_per_agent_hour < 0:
        problems.append("[reports] cost_per_agent_hour cannot be negative")
    if not 0 <= alerts.service_level_15m <= 1:
        problems.append("[alerts] service_level_15m is a ratio: write it between 0 and 1")
    if alerts.volume_over_forecast <= 1:
        problems.append(
            "[alerts] volume_over_forecast is a factor above 1 (1.3 = 30 % more calls than "
            "forecast)"
        )
    if alerts.webhook_url and not alerts.webhook_url.startswith(("http://", "https://")):
        problems.append("[alerts] webhook_url must start with http:// or https://")


def _check_crm(crm: CrmSettings, problems: list[str]) -> None:
    if crm.source == "table":
        for key in ("table", "id_column", "name_column", "phone_column"):
            if not getattr(crm, key):
                problems.append(f'[crm] {key} is empty but source = "table" needs it: set it')
    if crm.source == "query":
        if ":phone" not in crm.phone_lookup_query:
            problems.append(
                "[crm] phone_lookup_query must be a SELECT with the bound parameter :phone when "
                'source = "query": e.g. "SELECT id, name FROM clients WHERE tel = :phone"'
            )
        if crm.account_lookup_query and ":account" not in crm.account_lookup_query:
            problems.append(
                "[crm] account_lookup_query must use the bound parameter :account: e.g. "
                '"SELECT id, name FROM clients WHERE acct = :account"'
            )


def _known_timezones() -> set[str]:
    return zoneinfo.available_timezones() | {"UTC"}


def _did_you_mean(word: str, candidates: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _format_problems(path: Path, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"Configuration file {path}: {problems[0]}."
    listed = "; ".join(f"({n}) {p}" for n, p in enumerate(problems, start=1))
    return f"Configuration file {path} has {len(problems)} problems: {listed}."


def render_sample() -> str:
    """The fully commented sample file: every key with its default and its meaning."""
    lines = [
        "# asterisk-cc configuration (TOML).",
        "#",
        "# Every key is shown with its default. Any key can also be set from the environment as",
        "# ASTERISK_CC_<SECTION>_<KEY> (e.g. ASTERISK_CC_ARI_PASSWORD); the environment wins.",
        "# Keep secrets (passwords, secret keys, database URLs with passwords) in the environment",
        "# or in a file readable only by the service user.",
    ]
    for name, section_type in SECTIONS.items():
        lines += ["", f"# {(section_type.__doc__ or name).strip()}", f"[{name}]"]
        for f in dataclasses.fields(section_type):
            default = f.default_factory() if callable(f.default_factory) else f.default
            doc = f.metadata["doc"]
            if f.metadata["choices"]:
                doc += f" One of: {', '.join(f.metadata['choices'])}."
            if f.metadata["required"]:
                doc += " Required by the processes that use this section."
            lines += [f"# {line}" for line in _wrap(doc)]
            lines.append(f"{f.name} = {_toml_value(default)}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int = 94) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*lines, current] if current else lines


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
