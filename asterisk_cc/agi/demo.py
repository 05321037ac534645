"""The ``demo`` AGI route: the smallest real call flow, used by the demo and the sandbox tests.

It answers, greets the caller, collects digits ended by '#', reads them back, leaves them in
the channel variable ``ASTERISK_CC_DIGITS`` for the dialplan, records the trip (when given a
recorder) and sends the caller into a queue (``support`` unless told otherwise), where an agent
of app_queue takes the call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from asterisk_cc.agi.server import AgiSession, Handler
from asterisk_cc.db.ivr_sessions import IvrTrip, IvrTripStep

logger = logging.getLogger(__name__)

FLOW = "demo"
DIGITS_VARIABLE = "ASTERISK_CC_DIGITS"
GREETING_PROMPT = "hello-world"
COLLECT_PROMPT = "beep"
COLLECT_TIMEOUT_MS = 6000
MAX_DIGITS = 20
DEFAULT_QUEUE = "support"
QUEUE_CONTEXT = "asterisk-cc-queue"

RecordTrip = Callable[[IvrTrip], Awaitable[None]]
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def make_demo_route(
    *, queue: str = DEFAULT_QUEUE, record: RecordTrip | None = None, clock: Clock = _utc_now
) -> Handler:
    """The demo flow; ``queue=""`` ends the call after the read-back instead."""

    async def demo_route(session: AgiSession) -> None:
        started = clock()
        await session.answer()
        await session.stream_file(GREETING_PROMPT)
        steps = [IvrTripStep(node="greeting", at=started)]
        asked = clock()
        digits = await session.get_data(COLLECT_PROMPT, COLLECT_TIMEOUT_MS, MAX_DIGITS)
        # GET DATA adds " (timeout)" as data, not to the result: the result is the digits alone.
        digits = "".join(ch for ch in digits if ch in "0123456789*")
        collected = clock()
        steps.append(
            IvrTripStep(
                node="collect",
                at=asked,
                input=digits or None,
                result="entered" if digits else "nothing",
                elapsed_ms=int((collected - asked).total_seconds() * 1000),
            )
        )
        await session.set_variable(DIGITS_VARIABLE, digits)
        if digits:
            await session.say_digits(digits)
        linkedid = await session.get_variable("CHANNEL(linkedid)") or session.uniqueid
        if queue:
            await session.goto(QUEUE_CONTEXT, queue, "1")
            steps.append(IvrTripStep(node="queue", at=clock(), result=queue))
        logger.info("demo call uniqueid=%s collected digits=%r", session.uniqueid, digits)
        if record is not None:
            trip = IvrTrip(
                uniqueid=session.uniqueid,
                linkedid=linkedid,
                flow=FLOW,
                caller_number=session.env.get("agi_callerid", ""),
                started_at=started,
                ended_at=clock(),
                outcome="queue" if queue else "hangup",
                steps=steps,
                inputs={"digits": digits},
            )
            try:
                await record(trip)
            except Exception:
                # The caller still goes on to the queue; the lost record is in the log.
                logger.exception("could not record the IVR trip of %s", session.uniqueid)

    return demo_route
