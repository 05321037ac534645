"""queue_log rotated by Debian's logrotate with the asterisk package's own stanza, while
Asterisk goes on writing: ingestion loses no line and stores none twice.

The stanza is /etc/logrotate.d/asterisk of Debian's asterisk package, with the paths pointed
at a temporary directory and its postrotate (``invoke-rc.d asterisk logger-reload``, which makes
Asterisk reopen its logs) done by the test: until then Asterisk keeps writing into the file it
has open, which is by then ``queue_log.1``.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path
from typing import TextIO

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file
from tests.db.test_queue_log_ingest import NOW, lines_for, stored

DEBIAN_STANZA = """\
{log_dir}/*.log {log_dir}/*_log {{
        weekly
        missingok
        rotate 4
        sharedscripts
}}
"""


def logrotate(tmp_path: Path) -> None:
    """One forced rotation with Debian's logrotate, its state in a file of the test's own."""
    binary = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not Path(binary).exists():
        pytest.fail("logrotate is missing (Debian package logrotate: scripts/setup.sh)")
    config = tmp_path / "asterisk.logrotate"
    config.write_text(DEBIAN_STANZA.format(log_dir=tmp_path / "log"), encoding="utf-8")
    config.chmod(0o644)
    subprocess.run(
        [binary, "--force", "--state", str(tmp_path / "logrotate.state"), str(config)],
        check=True,
        capture_output=True,
        timeout=60,
    )


class Asterisk:
    """Writes queue_log as Asterisk does: appends to the file it opened until told to reopen."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stream: TextIO = path.open("a", encoding="utf-8")

    def call(self, call: str) -> None:
        self.stream.write(lines_for(call))
        self.stream.flush()

    def logger_reload(self) -> None:
        self.stream.close()
        self.stream = self.path.open("a", encoding="utf-8")


def ingest(engine: Engine, path: Path, name: str) -> int:
    with Session(engine) as session, session.begin():
        report = ingest_queue_log_file(session, path, NOW, name=name)
        assert not report.errors
        return report.stored


def test_debians_rotation_loses_no_line_and_stores_none_twice(
    engine: Engine, tmp_path: Path
) -> None:
    log_dir = tmp_path / "log"
    log_dir.mkdir()
    path = log_dir / "queue_log"
    name = f"ql-rot-{secrets.token_hex(4)}"
    calls = [f"r{n}.{secrets.token_hex(3)}" for n in range(6)]
    asterisk = Asterisk(path)
    asterisk.call(calls[0])
    assert ingest(engine, path, name) == 3
    asterisk.call(calls[1])  # not read yet when the file is rotated
    logrotate(tmp_path)
    assert (log_dir / "queue_log.1").exists() and not path.exists()
    asterisk.call(calls[2])  # between the rotation and the reload: into queue_log.1
    asterisk.logger_reload()  # the stanza's postrotate
    asterisk.call(calls[3])  # the new queue_log
    assert ingest(engine, path, name) == 9
    assert ingest(engine, path, name) == 0
    # A week later, the next rotation: queue_log.1 becomes queue_log.2, and so on.
    asterisk.call(calls[4])
    logrotate(tmp_path)
    asterisk.logger_reload()
    asterisk.call(calls[5])
    assert (log_dir / "queue_log.2").exists()
    assert ingest(engine, path, name) == 6
    for call in calls:
        assert stored(engine, call) == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    asterisk.stream.close()


def test_the_stanza_is_debians(tmp_path: Path) -> None:
    # The asterisk package's file, as the sandbox's rootfs has it (when built): the test's copy
    # differs only in its paths and the postrotate the test does itself.
    packaged = Path("/var/cache/asterisk-cc/sandbox/rootfs/etc/logrotate.d/asterisk")
    if not packaged.exists():
        pytest.skip("no sandbox rootfs on this machine to compare with")
    text = packaged.read_text(encoding="utf-8")
    for line in ("weekly", "missingok", "rotate 4", "sharedscripts", "logger-reload"):
        assert line in text
    assert "/var/log/asterisk/*_log" in text and "compress" not in text
