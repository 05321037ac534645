"""The demo's own check: it must notice when a record disagrees with the call it placed."""

from __future__ import annotations

import dataclasses

from asterisk_cc.db.models import IvrSession
from asterisk_cc.demo import DEMO_AGENT, DemoResult
from asterisk_cc.sandbox import PlacedCall
from asterisk_cc.sandbox.records import CDR_COLUMNS, CdrRow, QueueLogLine

CALL = PlacedCall("c-caller", "c-callee", "c-caller", "demo@asterisk-cc-ivr")


def queue_line(event: str, agent: str = DEMO_AGENT) -> QueueLogLine:
    return QueueLogLine(1, CALL.callee_id, "support", agent, event, ())


def cdr_row(lastapp: str, disposition: str) -> CdrRow:
    fields = dict.fromkeys(CDR_COLUMNS, "")
    fields.update(lastapp=lastapp, disposition=disposition, linkedid=CALL.linkedid)
    return CdrRow(fields)


def good_result() -> DemoResult:
    return DemoResult(
        call=CALL,
        expected_digits="1234",
        ivr_sessions=[IvrSession(flow="demo", inputs={"digits": "1234"}, outcome="queue")],
        queue_log=[
            queue_line("ENTERQUEUE", "NONE"),
            queue_line("CONNECT"),
            queue_line("COMPLETEAGENT"),
        ],
        cdr=[cdr_row("Queue", "ANSWERED"), cdr_row("Wait", "ANSWERED")],
    )


def test_records_that_match_the_call_pass() -> None:
    assert good_result().problems() == []


def test_each_kind_of_disagreement_is_named() -> None:
    good = good_result()
    cases = {
        "recorded '12'": dataclasses.replace(
            good, ivr_sessions=[IvrSession(inputs={"digits": "12"}, outcome="queue")]
        ),
        "found 0": dataclasses.replace(good, ivr_sessions=[]),
        "not in the queue": dataclasses.replace(
            good, ivr_sessions=[IvrSession(inputs={"digits": "1234"}, outcome="hangup")]
        ),
        "expected ENTERQUEUE": dataclasses.replace(good, queue_log=good.queue_log[:2]),
        "not to 'Demo Agent'": dataclasses.replace(
            good,
            queue_log=[
                queue_line("ENTERQUEUE", "NONE"),
                queue_line("CONNECT", "Someone"),
                queue_line("COMPLETECALLER", "Someone"),
            ],
        ),
        "ANSWERED": dataclasses.replace(good, cdr=[cdr_row("Queue", "NO ANSWER")]),
    }
    for expected, result in cases.items():
        problems = result.problems()
        assert len(problems) == 1 and expected in problems[0], (expected, problems)
