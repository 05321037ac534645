"""The ``demo`` AGI route: the smallest real call flow, used by the demo and the sandbox tests.

It answers, greets the caller, collects digits ended by '#', reads them back and leaves them in
the channel variable ``ASTERISK_CC_DIGITS`` for the dialplan.
"""

from __future__ import annotations

import logging

from asterisk_cc.agi.server import AgiSession

logger = logging.getLogger(__name__)

DIGITS_VARIABLE = "ASTERISK_CC_DIGITS"
GREETING_PROMPT = "hello-world"
COLLECT_PROMPT = "beep"
COLLECT_TIMEOUT_MS = 6000
MAX_DIGITS = 20


async def demo_route(session: AgiSession) -> None:
    await session.answer()
    await session.stream_file(GREETING_PROMPT)
    digits = await session.get_data(COLLECT_PROMPT, COLLECT_TIMEOUT_MS, MAX_DIGITS)
    # GET DATA adds " (timeout)" as data, not to the result: the result is the digits alone.
    digits = "".join(ch for ch in digits if ch in "0123456789*")
    await session.set_variable(DIGITS_VARIABLE, digits)
    if digits:
        await session.say_digits(digits)
    logger.info("demo call uniqueid=%s collected digits=%r", session.uniqueid, digits)
