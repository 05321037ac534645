"""A real Asterisk 22 for tests and the demo: Debian sid's package in a cached chroot.

``Sandbox(name).up()`` builds the rootfs on first use, writes a private Asterisk tree with the
project's ``conf/asterisk`` snippets, its own loopback ports and random ARI/AMI secrets, and
waits until Asterisk has fully booted; ``down()`` stops it. See docs/sandbox.md.
"""

from asterisk_cc.sandbox.instance import PlacedCall, Sandbox, SandboxStatus, free_loopback_ports
from asterisk_cc.sandbox.records import CdrRow, QueueLogLine
from asterisk_cc.sandbox.render import (
    CallerScript,
    Dtmf,
    SandboxPorts,
    Speak,
    Wait,
    answering_agent,
    busy_agent,
    congested_agent,
    ringing_agent,
    transferring_agent,
)

__all__ = [
    "CallerScript",
    "CdrRow",
    "Dtmf",
    "PlacedCall",
    "QueueLogLine",
    "Sandbox",
    "SandboxPorts",
    "SandboxStatus",
    "Speak",
    "Wait",
    "answering_agent",
    "busy_agent",
    "congested_agent",
    "free_loopback_ports",
    "ringing_agent",
    "transferring_agent",
]
