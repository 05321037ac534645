"""The demo's configuration: the sandbox's own (ARI, AMI, FastAGI, sounds, recordings, an
embedded SQLite database in the sandbox's state directory) plus what a site adds for the whole
product: the controller's status endpoint (the dashboard and the dialer reach the controller
there), the dialer's trunk (the sandbox's scripted customers), the report sources (the
sandbox's queue_log and CDR file), the dashboard's port, and the demo's IVR flow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from asterisk_cc.sandbox import Sandbox
from asterisk_cc.sandbox.render import CUSTOMERS_CONTEXT

DIALER_ID: Final = "demo-dialer"
# A stock sound of about 2 s: the compliance message a caller hears when the predictive
# dialer has no agent for them (docs/dialer.md, the 2-second rule).
ABANDON_MESSAGE: Final = "im-sorry"


@dataclass(frozen=True)
class DemoPorts:
    controller: int
    web: int


@dataclass(frozen=True)
class DemoSite:
    """Where the demo's parts are."""

    config: Path
    state_dir: Path
    log_dir: Path
    reports_dir: Path
    ports: DemoPorts

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}/"


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def with_keys(text: str, section: str, lines: Sequence[str]) -> str:
    """``text`` (a TOML file) with ``lines`` at the top of ``[section]``, which is added at the
    end when missing. A key already in the section is replaced, never written twice."""
    keys = {line.split("=", 1)[0].strip() for line in lines}
    header = f"[{section}]"
    parts = re.split(r"(?m)^(?=\[)", text)
    for index, part in enumerate(parts):
        if part.startswith(header + "\n") or part.rstrip("\n") == header:
            body = part[len(header) :].lstrip("\n").splitlines()
            kept = [line for line in body if line.split("=", 1)[0].strip() not in keys]
            parts[index] = "\n".join([header, *lines, *kept]).rstrip("\n") + "\n\n"
            return "".join(parts)
    return text.rstrip("\n") + "\n\n" + "\n".join([header, *lines]) + "\n"


def write_demo_config(
    sandbox: Sandbox,
    *,
    ports: DemoPorts,
    flow: str,
    flows_dir: Path | None = None,
    extra: Mapping[str, Sequence[str]] | None = None,
) -> DemoSite:
    """The demo's configuration file (mode 0600: it holds the sandbox's secrets)."""
    state_dir = sandbox.state_dir
    config = sandbox.write_config(state_dir / "asterisk-cc.toml")
    reports_dir = state_dir / "reports"
    log_dir = state_dir / "logs"
    text = config.read_text(encoding="utf-8")
    text = with_keys(
        text, "ari", ['status_bind = "127.0.0.1"', f"status_port = {ports.controller}"]
    )
    ivr = [f"default_flow = {toml_string(flow)}"]
    if flows_dir is not None:
        ivr.append(f"flows_dir = {toml_string(str(flows_dir))}")
    text = with_keys(text, "ivr", ivr)
    text = with_keys(text, "web", ['bind = "127.0.0.1"', f"port = {ports.web}"])
    text = with_keys(
        text,
        "dialer",
        [
            f"dialer_id = {toml_string(DIALER_ID)}",
            f"dial_template = {toml_string('Local/{digits}@' + CUSTOMERS_CONTEXT)}",
            f"abandon_message = {toml_string(ABANDON_MESSAGE)}",
            "tick_ms = 250",
        ],
    )
    text = with_keys(
        text,
        "reports",
        [
            f"queue_log_file = {toml_string(str(sandbox.queue_log_path))}",
            f"cdr_csv_file = {toml_string(str(sandbox.cdr_csv_path))}",
            f"output_dir = {toml_string(str(reports_dir))}",
        ],
    )
    text = with_keys(text, "scheduler", ["ingest_every_s = 10"])
    for section, lines in (extra or {}).items():
        text = with_keys(text, section, lines)
    config.write_text(text, encoding="utf-8")
    config.chmod(0o600)
    return DemoSite(config, state_dir, log_dir, reports_dir, ports)
