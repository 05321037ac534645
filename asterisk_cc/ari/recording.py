"""Call recording: the agent's bridge (both parties) recorded as the queue's policy says.

A queue's ``recording`` policy (``queues.recording``) is ``all`` (every call an agent answers
is recorded from the moment it is connected), ``none``, or ``on_demand`` (the agent or a
supervisor starts it, :meth:`asterisk_cc.ari.controller.AgentController.record`). The
controller records the agent's bridge, where the agent and the caller talk, so the file holds
both of them; the recording stops when the agent's part of the call ends (the bridge stays,
for the agent's next call).

ARI writes ``<astspooldir>/recording/<name>.wav`` (``/var/spool/asterisk/recording`` on a
Debian PBX, which must exist: neither the package nor Asterisk creates it). Names are
:func:`recording_name`: ``asterisk-cc/<yyyy>/<mm>/<dd>/<linkedid>``, one directory a day; the
call's interaction keeps the file's path relative to the recording directory
(``recording_ref``, :func:`recording_ref`). A call recorded again under the same name (on demand
after a stop, or by a second agent after a transfer) continues the same file.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.ari.rest import AriRest
from asterisk_cc.db.engine import session_factory
from asterisk_cc.db.recordings import queue_recording_policy, set_recording_ref

logger = logging.getLogger(__name__)

FORMAT: Final = "wav"
NAME_PREFIX: Final = "asterisk-cc"
POLICY_ALL: Final = "all"
POLICY_NONE: Final = "none"
POLICY_ON_DEMAND: Final = "on_demand"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def recording_name(linkedid: str, started_at: datetime) -> str:
    """The ARI recording name of the call ``linkedid`` started (answered) at ``started_at``:
    ``asterisk-cc/2026/11/23/<linkedid>`` (the UTC date; characters other than letters,
    digits, ``_ . -`` become ``_``, so the name is one safe path under the recording
    directory)."""
    if started_at.tzinfo is None or started_at.utcoffset() is None:
        raise ValueError(f"started_at must be timezone-aware (UTC), not {started_at!r}")
    safe = _UNSAFE.sub("_", linkedid).lstrip(".")
    if not safe:
        raise ValueError(f"linkedid {linkedid!r} gives no usable recording name")
    return f"{NAME_PREFIX}/{started_at.astimezone(UTC):%Y/%m/%d}/{safe}"


def recording_ref(name: str) -> str:
    """The file of the recording ``name``, relative to the recording directory: what the
    call's interaction keeps in ``recording_ref``."""
    return f"{name}.{FORMAT}"


async def start_recording(rest: AriRest, bridge_id: str, name: str) -> str:
    """Record the bridge ``bridge_id`` (the agent and the caller) as ``<name>.wav``; → the
    file's reference (:func:`recording_ref`). An existing file of that name is continued."""
    await rest.record_bridge(bridge_id, name, format=FORMAT, if_exists="append")
    return recording_ref(name)


async def stop_recording(rest: AriRest, name: str) -> bool:
    """Stop the recording ``name`` and keep the file; False if it had already ended (its
    bridge went away)."""
    return await rest.stop_recording(name)


# --- what the controller uses ----------------------------------------------------------------


class RecordingStore(Protocol):
    """The database side of recording (blocking; called in worker threads)."""

    def recording_policy(self, queue: str | None) -> str: ...

    def set_recording_ref(self, linkedid: str, ref: str) -> bool: ...


class DatabaseRecordingStore:
    """:class:`RecordingStore` over the shared database."""

    def __init__(self, engine: Engine) -> None:
        self.sessions: sessionmaker[Session] = session_factory(engine, immediate=True)

    def recording_policy(self, queue: str | None) -> str:
        with self.sessions() as session:
            return queue_recording_policy(session, queue)

    def set_recording_ref(self, linkedid: str, ref: str) -> bool:
        with self.sessions.begin() as session:
            return set_recording_ref(session, linkedid, ref)


Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CallRecorder:
    """Starts and stops the recordings of agents' calls for the ARI controller."""

    def __init__(self, rest: AriRest, store: RecordingStore, *, clock: Clock = _utc_now) -> None:
        self.rest = rest
        self.store = store
        self.clock = clock

    async def start(
        self,
        *,
        linkedid: str,
        queue: str | None,
        bridge_id: str,
        answered_at: datetime | None,
        on_demand: bool,
    ) -> str | None:
        """Record the call ``linkedid`` in the agent's bridge if the queue's policy says so:
        ``all`` always; ``on_demand`` when ``on_demand``. → the file's reference, or None when
        the policy records nothing (automatically). Asked on demand where the policy is
        ``none``: :class:`PermissionError`."""
        policy = await asyncio.to_thread(self.store.recording_policy, queue)
        if not (policy == POLICY_ALL or (on_demand and policy == POLICY_ON_DEMAND)):
            if on_demand:
                raise PermissionError(
                    f"calls of queue {queue or '(none)'} are not recorded (recording policy "
                    f"{policy!r}); a queue with policy 'on_demand' or 'all' records them"
                )
            return None
        name = recording_name(linkedid, answered_at or self.clock())
        ref = await start_recording(self.rest, bridge_id, name)
        logger.info("recording call %s (%s) as %s", linkedid, policy, ref)
        # The interaction exists already for a call that came through the IVR; for the
        # others it is written when the call ends, and :meth:`stop` stores the reference then.
        try:
            await asyncio.to_thread(self.store.set_recording_ref, linkedid, ref)
        except Exception as exc:
            logger.error(
                "the recording of call %s is not on its interaction yet: %s", linkedid, exc
            )
        return ref

    async def stop(self, linkedid: str, ref: str) -> None:
        """The call is over: stop its recording and keep the reference on its interaction."""
        await stop_recording(self.rest, ref.removesuffix(f".{FORMAT}"))
        stored = await asyncio.to_thread(self.store.set_recording_ref, linkedid, ref)
        if not stored:
            logger.error("call %s has no interaction to keep its recording %s", linkedid, ref)


__all__ = [
    "CallRecorder",
    "DatabaseRecordingStore",
    "RecordingStore",
    "recording_name",
    "recording_ref",
    "start_recording",
    "stop_recording",
]
