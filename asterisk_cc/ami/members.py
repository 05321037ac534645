"""app_queue membership over AMI, for the ARI controller: QueueAdd, QueuePause, QueueRemove.

One AMI connection, opened on first use and again after it breaks. Asterisk's "already
there" / "not there" answers mean the membership already is what we want: not an error, so
repeating an action (after a controller restart) is harmless.
"""

from __future__ import annotations

import logging
import threading

from asterisk_cc.ami.client import AmiActionFailed, AmiClient
from asterisk_cc.config import AmiSettings
from asterisk_cc.errors import AsteriskUnreachable

logger = logging.getLogger(__name__)


class AmiQueueMembers:
    def __init__(self, settings: AmiSettings) -> None:
        self.settings = settings
        self._client: AmiClient | None = None
        self._lock = threading.Lock()

    def _action(self, name: str, harmless: tuple[str, ...] = (), **fields: str) -> None:
        with self._lock:
            for attempt in (1, 2):
                if self._client is None:
                    ami = self.settings
                    self._client = AmiClient.connect(ami.host, ami.port, ami.user, ami.secret)
                try:
                    self._client.action(name, **fields)
                    return
                except AmiActionFailed as exc:
                    if any(text in str(exc) for text in harmless):
                        return
                    raise
                except (OSError, TimeoutError, AsteriskUnreachable):
                    self.close_locked()
                    if attempt == 2:
                        raise

    def close_locked(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()

    def add(self, queue: str, interface: str, member_name: str, penalty: int, state: str) -> None:
        self._action(
            "QueueAdd",
            ("Already there",),
            Queue=queue,
            Interface=interface,
            MemberName=member_name,
            Penalty=str(penalty),
            StateInterface=state,
            Paused="false",
        )

    def remove(self, queue: str, interface: str) -> None:
        self._action("QueueRemove", ("Not there",), Queue=queue, Interface=interface)

    def pause(self, queue: str, interface: str, paused: bool, reason: str) -> None:
        self._action(
            "QueuePause",
            Queue=queue,
            Interface=interface,
            Paused="true" if paused else "false",
            Reason=reason,
        )
