"""The agent state machine: every transition, one record per real change, queue membership in
step with the state, "pause after this call", and stale or repeated events made harmless."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asterisk_cc.core.agents import (
    DEFAULT_PAUSE_REASONS,
    RESERVED_PAUSE,
    WRAP_UP_PAUSE,
    AgentError,
    AgentEvent,
    AgentStatus,
    AgentTransitionError,
    Answer,
    CallEnded,
    Effect,
    Hold,
    JoinQueues,
    LeaveQueues,
    LogIn,
    LogOut,
    Offer,
    Pause,
    PauseMembership,
    Ready,
    RecordState,
    Reserve,
    StartWrapUpTimer,
    Unhold,
    Unpause,
    UnpauseMembership,
    WrapUpExpired,
    apply,
    check_reason,
    logged_out,
    time_in_states,
)
from asterisk_cc.core.vocabulary import AgentState

S = AgentState
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
QUEUES = (("sales", 0), ("support", 2))
STEP = timedelta(seconds=10)


class Agent:
    """Drives one agent through events, ``STEP`` apart, like the controller would."""

    def __init__(self, status: AgentStatus | None = None) -> None:
        self.status = status or logged_out("1001", T0)
        self.now = self.status.since

    def do(self, event: AgentEvent, after: timedelta = STEP) -> list[Effect]:
        self.now += after
        self.status, effects = apply(self.status, event, self.now)
        return effects

    def walk(self, *events: AgentEvent) -> AgentStatus:
        for event in events:
            self.do(event)
        return self.status

    def expire_wrap_up(self) -> list[Effect]:
        until = self.status.wrapup_until
        assert until is not None
        self.now = max(self.now, until)
        self.status, effects = apply(self.status, WrapUpExpired(until), self.now)
        return effects


def agent(*events: AgentEvent) -> Agent:
    driver = Agent()
    driver.walk(*events)
    return driver


def records(effects: Sequence[Effect]) -> list[RecordState]:
    return [e for e in effects if isinstance(e, RecordState)]


# --- logging in and out ------------------------------------------------------------------------


def test_login_makes_the_agent_ready_and_joins_the_queues() -> None:
    a = Agent()
    effects = a.do(LogIn(QUEUES))
    assert effects == [RecordState(S.READY, at=T0 + STEP), JoinQueues(QUEUES)]
    assert a.status.state is S.READY and a.status.since == T0 + STEP
    assert a.status.queues == QUEUES and a.status.membership_paused is None
    assert a.status.logged_in and a.status.available and not a.status.on_call


def test_login_accepts_lists_and_stores_tuples() -> None:
    event = LogIn([["sales", 0], ["support", 2]])  # type: ignore[arg-type]
    assert event.queues == QUEUES
    assert hash(event) == hash(LogIn(QUEUES))


def test_an_agent_without_queues_gets_no_membership_effects() -> None:
    a = Agent()
    assert a.do(LogIn()) == [RecordState(S.READY, at=a.now)]
    assert a.do(Pause("break")) == [RecordState(S.PAUSED, at=a.now, reason="break")]
    assert a.do(Ready()) == [RecordState(S.READY, at=a.now)]
    assert a.do(Reserve("c1")) == [RecordState(S.RESERVED, at=a.now, call_id="c1")]
    assert a.do(LogOut()) == [RecordState(S.LOGGED_OUT, at=a.now)]


def test_a_repeated_login_changes_nothing_but_other_queues_are_refused() -> None:
    a = agent(LogIn(QUEUES))
    before = a.status
    assert a.do(LogIn(QUEUES)) == [] and a.status == before
    with pytest.raises(AgentTransitionError, match=r"ready.*LogIn.*log out first"):
        a.do(LogIn((("sales", 1),)))


@pytest.mark.parametrize(
    "events",
    [
        (LogIn(QUEUES),),
        (LogIn(QUEUES), Pause("lunch")),
        (LogIn(QUEUES), Reserve("c1")),
        (LogIn(QUEUES), Offer("c1", "sales")),
        (LogIn(QUEUES), Offer("c1", "sales"), Answer("c1")),
        (LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), Hold("c1")),
        (LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 30)),
    ],
    ids=["ready", "paused", "reserved", "ringing", "talking", "hold", "wrap_up"],
)
def test_logout_from_any_state_records_it_and_leaves_the_queues(
    events: tuple[AgentEvent, ...],
) -> None:
    a = agent(*events)
    effects = a.do(LogOut("end_of_shift"))
    assert effects == [
        RecordState(S.LOGGED_OUT, at=a.now, reason="end_of_shift"),
        LeaveQueues(QUEUES),
    ]
    assert a.status == AgentStatus(
        login="1001", state=S.LOGGED_OUT, since=a.now, reason="end_of_shift"
    )
    assert a.do(LogOut("end_of_shift")) == [] and a.do(LogOut()) == []  # repeated: nothing


def test_logged_in_again_after_logout_joins_again() -> None:
    a = agent(LogIn(QUEUES), LogOut())
    assert a.do(LogIn((("vip", 0),))) == [
        RecordState(S.READY, at=a.now),
        JoinQueues((("vip", 0),)),
    ]


# --- an inbound call ---------------------------------------------------------------------------


def test_an_inbound_call_from_offer_to_wrap_up_to_ready() -> None:
    a = agent(LogIn(QUEUES))
    assert a.do(Offer("c1", "sales")) == [
        RecordState(S.RINGING, at=a.now, queue="sales", call_id="c1")
    ]
    assert a.status.on_call and not a.status.available
    assert a.do(Answer("c1")) == [RecordState(S.TALKING, at=a.now, queue="sales", call_id="c1")]
    assert a.do(Hold("c1")) == [RecordState(S.HOLD, at=a.now, queue="sales", call_id="c1")]
    assert a.do(Unhold("c1")) == [RecordState(S.TALKING, at=a.now, queue="sales", call_id="c1")]
    effects = a.do(CallEnded("c1", "sales", wrapup_limit_s=45))
    until = a.now + timedelta(seconds=45)
    assert effects == [
        RecordState(S.WRAP_UP, at=a.now, queue="sales", call_id="c1"),
        PauseMembership(WRAP_UP_PAUSE),
        StartWrapUpTimer(until),
    ]
    assert a.status.wrapup_until == until and a.status.membership_paused == WRAP_UP_PAUSE
    assert a.expire_wrap_up() == [RecordState(S.READY, at=until), UnpauseMembership()]
    assert a.status == AgentStatus(login="1001", state=S.READY, since=until, queues=QUEUES)


def test_ringing_talking_and_hold_leave_the_membership_alone() -> None:
    a = agent(LogIn(QUEUES))
    for event in (Offer("c1", "sales"), Answer("c1"), Hold("c1"), Unhold("c1")):
        assert [e for e in a.do(event) if not isinstance(e, RecordState)] == []


def test_the_wrap_up_takes_the_queue_of_the_call_ended_event() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"))
    assert records(a.do(CallEnded("c1", "support", 10)))[0].queue == "support"
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"))
    assert records(a.do(CallEnded("c1", wrapup_limit_s=10)))[0].queue == "sales"


def test_no_wrap_up_limit_means_straight_back_to_ready() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), Hold("c1"))
    assert a.do(CallEnded("c1", "sales", 0)) == [RecordState(S.READY, at=a.now)]
    assert a.status.call_id is None and a.status.queue is None


def test_the_agent_may_end_wrap_up_early() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 300))
    assert a.do(Ready()) == [RecordState(S.READY, at=a.now), UnpauseMembership()]
    assert a.status.wrapup_until is None


@pytest.mark.parametrize("limit_s", [0, 30])
def test_an_offer_not_answered_returns_the_agent_to_ready_without_wrap_up(limit_s: int) -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"))
    assert a.do(CallEnded("c1", "sales", limit_s)) == [RecordState(S.READY, at=a.now)]


# --- pauses ------------------------------------------------------------------------------------


def test_pause_is_recorded_once_and_a_new_reason_is_a_new_record() -> None:
    a = agent(LogIn(QUEUES))
    assert a.do(Pause("break")) == [
        RecordState(S.PAUSED, at=a.now, reason="break"),
        PauseMembership("break"),
    ]
    assert a.do(Pause("break")) == []  # already paused for a break
    assert a.status.since == a.now - STEP
    assert a.do(Pause("lunch")) == [
        RecordState(S.PAUSED, at=a.now, reason="lunch"),
        PauseMembership("lunch"),
    ]
    assert a.status.reason == "lunch"
    assert a.do(Unpause()) == [RecordState(S.READY, at=a.now), UnpauseMembership()]
    assert a.do(Unpause()) == [] and a.do(Ready()) == []


def test_ready_ends_a_pause_too() -> None:
    a = agent(LogIn(QUEUES), Pause("meeting"))
    assert a.do(Ready()) == [RecordState(S.READY, at=a.now), UnpauseMembership()]
    assert a.status.reason is None


@pytest.mark.parametrize("reason", DEFAULT_PAUSE_REASONS)
def test_the_default_reasons_are_reason_codes(reason: str) -> None:
    assert check_reason(reason) == reason


@pytest.mark.parametrize(
    "reason", ["", "Lunch", "coffee break", "午饭", "x" * 65, "lunch\n", None, 3]
)
def test_a_reason_must_be_a_lower_case_code(reason: object) -> None:
    with pytest.raises(AgentError, match="not a reason code"):
        Pause(reason)  # type: ignore[arg-type]
    if reason is not None:  # a logout may have no reason
        with pytest.raises(ValueError, match="not a reason code"):  # AgentError is a ValueError
            LogOut(reason)  # type: ignore[arg-type]
    assert check_reason("x" * 64) and check_reason("after-call_2")


def test_pause_after_this_call_is_applied_when_the_wrap_up_expires() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"))
    before = a.status
    assert a.do(Pause("lunch")) == []
    assert a.status == AgentStatus(**{**before.__dict__, "pause_requested": "lunch"})
    assert a.status.state is S.TALKING and a.status.since == before.since
    assert records(a.do(CallEnded("c1", "sales", 20)))[0].state is S.WRAP_UP
    assert a.status.pause_requested == "lunch"
    until = a.status.wrapup_until
    assert a.expire_wrap_up() == [
        RecordState(S.PAUSED, at=until, reason="lunch"),  # type: ignore[arg-type]
        PauseMembership("lunch"),
    ]
    assert a.status.pause_requested is None and a.status.reason == "lunch"


def test_pause_asked_for_during_wrap_up_is_applied_when_it_ends_early() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 60))
    assert a.do(Pause("training")) == [] and a.status.state is S.WRAP_UP
    assert a.do(Ready()) == [
        RecordState(S.PAUSED, at=a.now, reason="training"),
        PauseMembership("training"),
    ]


def test_pause_asked_for_while_ringing_applies_when_the_offer_is_not_answered() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Pause("break"))
    assert a.do(CallEnded("c1", "sales", 30)) == [
        RecordState(S.PAUSED, at=a.now, reason="break"),
        PauseMembership("break"),
    ]


def test_pause_asked_for_during_a_call_without_wrap_up_applies_at_hang_up() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), Pause("other"))
    assert a.do(CallEnded("c1", "sales", 0)) == [
        RecordState(S.PAUSED, at=a.now, reason="other"),
        PauseMembership("other"),
    ]


def test_the_latest_pause_request_wins_and_unpause_withdraws_it() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"))
    assert a.do(Pause("break")) == [] and a.do(Pause("lunch")) == []
    assert a.status.pause_requested == "lunch"
    assert a.do(Pause("lunch")) == []
    assert a.do(Unpause()) == [] and a.status.pause_requested is None
    assert a.do(Unpause()) == []
    assert a.do(CallEnded("c1", "sales", 0)) == [RecordState(S.READY, at=a.now)]


def test_a_pause_request_does_not_survive_a_logout() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), Pause("lunch"), LogOut())
    assert a.status.pause_requested is None
    a.do(LogIn(QUEUES))
    assert a.status.state is S.READY and a.status.pause_requested is None


# --- reserved for the dialer -------------------------------------------------------------------


def test_a_reserved_agent_is_paused_in_the_queues_until_the_call_is_over() -> None:
    a = agent(LogIn(QUEUES))
    assert a.do(Reserve("d1")) == [
        RecordState(S.RESERVED, at=a.now, call_id="d1"),
        PauseMembership(RESERVED_PAUSE),
    ]
    assert a.status.on_call
    assert a.do(Answer("d1")) == [RecordState(S.TALKING, at=a.now, call_id="d1")]
    assert a.status.membership_paused == RESERVED_PAUSE
    assert a.do(CallEnded("d1", "outbound", 15)) == [
        RecordState(S.WRAP_UP, at=a.now, queue="outbound", call_id="d1"),
        PauseMembership(WRAP_UP_PAUSE),
        StartWrapUpTimer(a.now + timedelta(seconds=15)),
    ]
    assert a.expire_wrap_up()[1:] == [UnpauseMembership()]


def test_a_reservation_that_comes_to_nothing_returns_the_agent_to_ready() -> None:
    a = agent(LogIn(QUEUES), Reserve("d1"))
    assert a.do(CallEnded("d1", wrapup_limit_s=30)) == [
        RecordState(S.READY, at=a.now),
        UnpauseMembership(),
    ]


def test_a_reserved_call_may_ring_the_agent_first() -> None:
    a = agent(LogIn(QUEUES), Reserve("d1"))
    assert a.do(Offer("d1", "campaign-7")) == [
        RecordState(S.RINGING, at=a.now, queue="campaign-7", call_id="d1")
    ]
    assert a.status.membership_paused == RESERVED_PAUSE
    a.do(Answer("d1"))
    assert a.status.state is S.TALKING and a.status.queue == "campaign-7"


def test_pause_asked_for_while_reserved_replaces_the_reserved_pause_afterwards() -> None:
    a = agent(LogIn(QUEUES), Reserve("d1"), Pause("break"))
    assert a.status.state is S.RESERVED
    assert a.do(CallEnded("d1")) == [
        RecordState(S.PAUSED, at=a.now, reason="break"),
        PauseMembership("break"),
    ]


# --- the transition matrix ---------------------------------------------------------------------

SETUPS: dict[AgentState, tuple[AgentEvent, ...]] = {
    S.LOGGED_OUT: (),
    S.READY: (LogIn(QUEUES),),
    S.RESERVED: (LogIn(QUEUES), Reserve("c1")),
    S.RINGING: (LogIn(QUEUES), Offer("c1", "sales")),
    S.TALKING: (LogIn(QUEUES), Offer("c1", "sales"), Answer("c1")),
    S.HOLD: (LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), Hold("c1")),
    S.WRAP_UP: (LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 30)),
    S.PAUSED: (LogIn(QUEUES), Pause("break")),
}
DEADLINE = "the current wrap-up deadline"  # stands for WrapUpExpired(status.wrapup_until)

# Outcome per state, in the order of SETUPS: a state name = that state is entered (one record);
# "=" = ignored (same status, no effect); "+" = a pause is remembered for after the call;
# "!" = refused with AgentTransitionError. c1 is the current call (or the one wrapped up).
#                                    LO   RD   RS   RG   TK   HD   WU   PS
MATRIX: list[tuple[AgentEvent | str, str]] = [
    (LogIn(QUEUES),                   "RD   =    =    =    =    =    =    ="),
    (LogIn((("vip", 0),)),            "RD   !    !    !    !    !    !    !"),
    (LogOut(),                        "=    LO   LO   LO   LO   LO   LO   LO"),
    (Reserve("c1"),                   "!    RS   =    =    =    =    =    !"),
    (Reserve("c9"),                   "!    RS   !    !    !    !    !    !"),
    (Offer("c1", "sales"),            "!    RG   RG   =    =    =    =    !"),
    (Offer("c9", "sales"),            "!    RG   !    !    !    !    !    !"),
    (Answer("c1"),                    "=    =    TK   TK   =    =    =    ="),
    (Answer("c9"),                    "=    =    =    =    =    =    =    ="),
    (Hold("c1"),                      "=    =    !    !    HD   =    =    ="),
    (Hold("c9"),                      "=    =    =    =    =    =    =    ="),
    (Unhold("c1"),                    "=    =    !    !    =    TK   =    ="),
    (Unhold("c9"),                    "=    =    =    =    =    =    =    ="),
    (CallEnded("c1", "sales", 30),    "=    =    RD   RD   WU   WU   =    ="),
    (CallEnded("c9", "sales", 30),    "=    =    =    =    =    =    =    ="),
    (DEADLINE,                        "=    =    =    =    =    =    RD   ="),
    (WrapUpExpired(T0),               "=    =    =    =    =    =    =    ="),
    (Ready(),                         "!    =    !    !    !    !    RD   RD"),
    (Pause("break"),                  "!    PS   +    +    +    +    +    ="),
    (Pause("lunch"),                  "!    PS   +    +    +    +    +    PS"),
    (Unpause(),                       "!    =    =    =    =    =    =    RD"),
]  # fmt: skip
SHORT = {
    "LO": S.LOGGED_OUT,
    "RD": S.READY,
    "RS": S.RESERVED,
    "RG": S.RINGING,
    "TK": S.TALKING,
    "HD": S.HOLD,
    "WU": S.WRAP_UP,
    "PS": S.PAUSED,
}
CELLS = [
    (state, event, outcome)
    for event, row in MATRIX
    for state, outcome in zip(SETUPS, row.split(), strict=True)
]


@pytest.mark.parametrize(
    ("state", "event", "outcome"),
    CELLS,
    ids=[f"{state.value}-{event!r}-{outcome}" for state, event, outcome in CELLS],
)
def test_the_transition_matrix(state: AgentState, event: AgentEvent | str, outcome: str) -> None:
    a = agent(*SETUPS[state])
    assert a.status.state is state
    before = a.status
    if event == DEADLINE:
        event = WrapUpExpired(before.wrapup_until or T0 + timedelta(days=1))
        a.now = max(a.now, event.until)
    assert not isinstance(event, str)
    if outcome == "!":
        with pytest.raises(AgentTransitionError) as excinfo:
            a.do(event)
        assert excinfo.value.state is state and excinfo.value.event == event
        message = str(excinfo.value)
        assert f"agent 1001 is {state.value}" in message and type(event).__name__ in message
        assert a.status == before
        return
    effects = a.do(event)
    if outcome == "=":
        assert a.status == before and effects == []
    elif outcome == "+":
        assert effects == [] and a.status.state is state and a.status.since == before.since
        assert a.status.pause_requested == event.reason  # type: ignore[union-attr]
    else:
        target = SHORT[outcome]
        assert a.status.state is target and a.status.since == a.now
        assert records(effects) == [effects[0]] and effects[0].state is target  # type: ignore[union-attr]


def test_the_matrix_covers_every_state_and_event_kind() -> None:
    assert set(SETUPS) == set(AgentState)
    kinds = {type(event).__name__ for event, _ in MATRIX if not isinstance(event, str)}
    assert kinds == {
        "LogIn",
        "LogOut",
        "Reserve",
        "Offer",
        "Answer",
        "Hold",
        "Unhold",
        "CallEnded",
        "WrapUpExpired",
        "Ready",
        "Pause",
        "Unpause",
    }


# --- stale, repeated and refused events --------------------------------------------------------


def test_stale_events_of_a_transferred_call_never_touch_the_new_call() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"))
    a.do(CallEnded("c1", "sales", 0))  # the agent transferred c1 away
    a.walk(Offer("c2", "support"), Answer("c2"))
    talking = a.status
    for stale in (
        CallEnded("c1", "sales", 30),
        Hold("c1"),
        Unhold("c1"),
        Answer("c1"),
        Offer("c1", "sales"),
        Reserve("c1"),
    ):
        if isinstance(stale, Offer | Reserve):
            with pytest.raises(AgentTransitionError, match="talking on call c2"):
                a.do(stale)  # a new offer of c1 is refused: the agent is busy with c2
        else:
            assert a.do(stale) == [] and a.status == talking


def test_late_events_of_the_call_being_wrapped_up_are_ignored() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 30))
    wrapping = a.status
    for late in (CallEnded("c1", "sales", 30), Answer("c1"), Hold("c1"), Unhold("c1")):
        assert a.do(late) == [] and a.status == wrapping


def test_repeated_call_events_record_nothing() -> None:
    a = agent(LogIn(QUEUES))
    assert len(a.do(Offer("c1", "sales"))) == 1 and a.do(Offer("c1", "sales")) == []
    assert len(a.do(Answer("c1"))) == 1 and a.do(Answer("c1")) == []
    assert a.do(Unhold("c1")) == []
    assert len(a.do(Hold("c1"))) == 1 and a.do(Hold("c1")) == []
    assert a.do(Answer("c1")) == [] and a.status.state is S.HOLD
    assert len(a.do(Unhold("c1"))) == 1 and a.do(Unhold("c1")) == []


def test_an_offer_while_not_ready_is_refused_so_the_controller_declines_it() -> None:
    for events, state in [
        ((LogIn(QUEUES), Pause("break")), r"paused \(break\)"),
        ((LogIn(QUEUES), Offer("c1", "q"), Answer("c1"), CallEnded("c1", "q", 9)), "wrap_up"),
        ((), "logged_out"),
    ]:
        with pytest.raises(AgentTransitionError, match=rf"is {state}.*Offer\(call_id='c2'"):
            agent(*events).do(Offer("c2", "sales"))


def test_hold_of_an_unanswered_call_is_refused() -> None:
    with pytest.raises(AgentTransitionError, match=r"ringing on call c1.*Hold.*not answered"):
        agent(LogIn(QUEUES), Offer("c1", "sales")).do(Hold("c1"))


def test_ready_during_a_call_or_anything_while_logged_out_is_refused() -> None:
    with pytest.raises(AgentTransitionError, match=r"talking on call c1.*Ready\(\)"):
        agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1")).do(Ready())
    for event in (Ready(), Pause("break"), Unpause()):
        with pytest.raises(AgentTransitionError, match=r"is logged_out.*not logged in"):
            Agent().do(event)


# --- the wrap-up timer -------------------------------------------------------------------------


def test_a_late_or_repeated_expiry_is_harmless() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 30))
    until = a.status.wrapup_until
    assert until is not None
    a.now = until + timedelta(minutes=5)  # the controller was restarting
    a.status, effects = apply(a.status, WrapUpExpired(until), a.now)
    assert effects == [RecordState(S.READY, at=a.now), UnpauseMembership()]
    assert a.do(WrapUpExpired(until)) == []  # fired twice


def test_an_expiry_after_wrap_up_was_ended_early_is_ignored() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 30))
    until = a.status.wrapup_until
    assert until is not None
    a.walk(Ready(), Pause("break"))
    paused = a.status
    a.now = until
    assert apply(a.status, WrapUpExpired(until), until) == (paused, [])


def test_an_old_timer_does_not_end_the_next_wrap_up_even_of_the_same_call() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 30))
    first = a.status.wrapup_until
    assert first is not None
    # ended early, and the same call comes back (transferred back to this agent)
    a.walk(Ready(), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 300))
    second = a.status
    assert second.wrapup_until != first
    assert a.do(WrapUpExpired(first)) == [] and a.status == second


def test_a_timer_that_fires_early_is_asked_for_again() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"), CallEnded("c1", "sales", 30))
    until = a.status.wrapup_until
    assert until is not None
    wrapping = a.status
    early = until - timedelta(milliseconds=3)
    assert apply(wrapping, WrapUpExpired(until), early) == (wrapping, [StartWrapUpTimer(until)])
    assert apply(wrapping, WrapUpExpired(until), until)[0].state is S.READY


def test_the_deadline_is_the_call_end_plus_the_limit_in_seconds() -> None:
    a = agent(LogIn(QUEUES), Offer("c1", "sales"), Answer("c1"))
    a.do(CallEnded("c1", "sales", 12.5))
    assert a.status.wrapup_until == a.now + timedelta(seconds=12.5)


# --- time and input checks ---------------------------------------------------------------------


def test_time_never_runs_backwards() -> None:
    a = agent(LogIn(QUEUES))
    with pytest.raises(AgentError, match="time runs backwards"):
        apply(a.status, Pause("break"), a.status.since - timedelta(microseconds=1))
    with pytest.raises(ValueError, match="time runs backwards"):  # even for an ignored event
        apply(a.status, Ready(), T0)
    status, effects = apply(a.status, Pause("break"), a.status.since)  # the same instant is fine
    assert status.since == a.status.since and len(effects) == 2


def test_naive_times_are_refused() -> None:
    naive = datetime(2026, 11, 2, 1, 0)
    with pytest.raises(AgentError, match="timezone-aware"):
        apply(logged_out("1001", T0), LogIn(QUEUES), naive)
    with pytest.raises(AgentError, match="timezone-aware"):
        logged_out("1001", naive)
    with pytest.raises(AgentError, match="timezone-aware"):
        WrapUpExpired(naive)


@pytest.mark.parametrize(
    "make",
    [
        lambda: LogIn((("sales", -1),)),
        lambda: LogIn((("sales", True),)),
        lambda: LogIn((("sales", 1.5),)),  # type: ignore[arg-type]
        lambda: LogIn((("", 0),)),
        lambda: LogIn((("sales", 0), ("sales", 1))),
        lambda: LogIn((("sales",),)),  # type: ignore[arg-type]
        lambda: LogIn(("sales",)),  # type: ignore[arg-type]
        lambda: Offer("", "sales"),
        lambda: Offer("c1", ""),
        lambda: Answer(""),
        lambda: Reserve(""),
        lambda: Hold(""),
        lambda: Unhold(""),
        lambda: CallEnded("c1", "sales", -1),
        lambda: CallEnded("c1", "sales", float("inf")),
        lambda: CallEnded("c1", "sales", float("nan")),
        lambda: CallEnded("c1", ""),
        lambda: AgentStatus(login="", state=S.READY, since=T0),
    ],
)
def test_malformed_events_are_refused_when_made(make: object) -> None:
    with pytest.raises(AgentError):
        make()  # type: ignore[operator]


def test_something_that_is_not_an_event_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not an agent event"):
        apply(logged_out("1001", T0), "ready", T0)  # type: ignore[arg-type]


def test_a_status_read_back_from_storage_accepts_the_state_as_text() -> None:
    status = AgentStatus(login="1001", state="paused", since=T0, reason="lunch")  # type: ignore[arg-type]
    assert status.state is S.PAUSED
    assert apply(status, Unpause(), T0)[0].state is S.READY


# --- any sequence of events --------------------------------------------------------------------


@dataclass
class Membership:
    """The queue membership as the controller would hold it after carrying out the effects."""

    member: bool = False
    paused: str | None = None

    def carry_out(self, effect: Effect) -> None:
        match effect:
            case JoinQueues():
                assert not self.member
                self.member, self.paused = True, None
            case LeaveQueues():
                assert self.member
                self.member, self.paused = False, None
            case PauseMembership(reason=reason):
                assert self.member and self.paused != reason  # never a redundant pause
                self.paused = reason
            case UnpauseMembership():
                assert self.member and self.paused is not None
                self.paused = None


EXPECTED_PAUSE = {S.READY: None, S.WRAP_UP: WRAP_UP_PAUSE, S.RESERVED: RESERVED_PAUSE}


def events_for(status: AgentStatus) -> st.SearchStrategy[AgentEvent]:
    calls = st.sampled_from(["c1", "c2", "c3"])
    deadline = status.wrapup_until or T0
    return st.one_of(
        st.builds(LogIn, st.sampled_from([QUEUES, (("vip", 0),)])),
        st.builds(LogOut, st.sampled_from([None, "forced"])),
        st.builds(Reserve, calls),
        st.builds(Offer, calls, st.sampled_from(["sales", "support"])),
        st.builds(Answer, calls),
        st.builds(Hold, calls),
        st.builds(Unhold, calls),
        st.builds(CallEnded, calls, st.sampled_from([None, "sales"]), st.sampled_from([0, 30])),
        st.sampled_from([WrapUpExpired(deadline), WrapUpExpired(T0 + timedelta(seconds=30))]),
        st.just(Ready()),
        st.builds(Pause, st.sampled_from(["break", "lunch"])),
        st.just(Unpause()),
    )


@given(st.data())
def test_any_sequence_of_events_keeps_the_records_and_queues_right(data: st.DataObject) -> None:
    status = logged_out("1001", T0)
    now = T0
    recorded = [RecordState(S.LOGGED_OUT, at=T0)]  # where every agent starts
    queues = Membership()
    for _ in range(data.draw(st.integers(0, 40), label="length")):
        event = data.draw(events_for(status))
        now += timedelta(seconds=data.draw(st.sampled_from([0, 1, 7, 29, 30, 45])))
        try:
            after, effects = apply(status, event, now)
        except AgentTransitionError as error:
            assert error.state is status.state
            continue
        new_records = records(effects)
        assert len(new_records) <= 1
        if new_records:
            record = new_records[0]
            assert effects[0] == record
            previous = recorded[-1]
            assert (record.state, record.reason) != (previous.state, previous.reason)
            assert record.at == now >= previous.at
            assert (after.state, after.reason, after.since) == (record.state, record.reason, now)
            recorded.append(record)
            if record.state is S.WRAP_UP:
                assert StartWrapUpTimer(after.wrapup_until) in effects  # type: ignore[arg-type]
        else:
            assert (after.state, after.reason, after.since) == (
                status.state,
                status.reason,
                status.since,
            )
            assert all(isinstance(e, StartWrapUpTimer) for e in effects)
        for effect in effects:
            queues.carry_out(effect)
        assert queues.member == after.logged_in
        if after.state is S.PAUSED:
            assert queues.paused == after.reason
        elif after.state in EXPECTED_PAUSE:
            assert queues.paused == EXPECTED_PAUSE[after.state]
        assert queues.paused == after.membership_paused
        if after.state in (S.READY, S.PAUSED, S.LOGGED_OUT):
            assert after.call_id is None and after.pause_requested is None
        status = after
    assert status.state is recorded[-1].state and status.reason == recorded[-1].reason
    spent = time_in_states(recorded, T0, now + timedelta(seconds=1))
    assert sum(spent.values(), timedelta(0)) == now + timedelta(seconds=1) - T0


# --- time in each state ------------------------------------------------------------------------


def r(state: AgentState, minute: int, reason: str | None = None) -> RecordState:
    return RecordState(state, at=T0 + timedelta(minutes=minute), reason=reason)


DAY = [
    r(S.READY, 0),
    r(S.RINGING, 5),
    r(S.TALKING, 6),
    r(S.HOLD, 10),
    r(S.TALKING, 12),
    r(S.WRAP_UP, 15),
    r(S.PAUSED, 20, "break"),
    r(S.LOGGED_OUT, 30),
]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def test_time_in_states_sums_each_state_until_the_next_record() -> None:
    spent = time_in_states(DAY, T0, T0 + minutes(60))
    assert spent == {
        S.LOGGED_OUT: minutes(30),
        S.READY: minutes(5),
        S.RESERVED: minutes(0),
        S.RINGING: minutes(1),
        S.TALKING: minutes(7),
        S.HOLD: minutes(2),
        S.WRAP_UP: minutes(5),
        S.PAUSED: minutes(10),
    }


def test_time_in_states_is_clipped_to_the_period() -> None:
    spent = time_in_states(DAY, T0 + minutes(11), T0 + minutes(22))
    assert {s: d for s, d in spent.items() if d} == {
        S.HOLD: minutes(1),  # entered before the period: counted from its start
        S.TALKING: minutes(3),
        S.WRAP_UP: minutes(5),
        S.PAUSED: minutes(2),  # still paused at the end
    }
    assert sum(spent.values(), timedelta(0)) == minutes(11)


def test_time_before_the_first_record_and_records_after_the_end_do_not_count() -> None:
    spent = time_in_states(DAY[2:4], T0, T0 + minutes(8))
    assert spent[S.TALKING] == minutes(2) and sum(spent.values(), timedelta(0)) == minutes(2)
    assert time_in_states(DAY, T0 + minutes(40), T0 + minutes(40)) == dict.fromkeys(
        AgentState, timedelta(0)
    )
    assert time_in_states([], T0, T0 + minutes(1)) == dict.fromkeys(AgentState, timedelta(0))


def test_time_in_states_refuses_unsorted_records_and_a_backwards_period() -> None:
    with pytest.raises(AgentError, match="sorted by time"):
        time_in_states([DAY[1], DAY[0]], T0, T0 + minutes(60))
    with pytest.raises(AgentError, match="before it starts"):
        time_in_states(DAY, T0 + minutes(1), T0)
    with pytest.raises(AgentError, match="timezone-aware"):
        time_in_states(DAY, datetime(2026, 11, 2), T0)


def test_time_in_states_reads_the_machine_s_own_records() -> None:
    a = Agent()
    effects: list[Effect] = []
    steps: list[tuple[AgentEvent, int]] = [
        (LogIn(QUEUES), 0),
        (Offer("c1", "sales"), 60),
        (Answer("c1"), 6),
        (CallEnded("c1", "sales", 30), 180),
        (Pause("lunch"), 30),  # asked for during wrap-up
    ]
    for event, gap_s in steps:
        effects += a.do(event, after=timedelta(seconds=gap_s))
    effects += a.expire_wrap_up()
    spent = time_in_states(records(effects), T0, a.now + minutes(30))
    assert spent[S.READY] == timedelta(seconds=60)
    assert spent[S.RINGING] == timedelta(seconds=6)
    assert spent[S.TALKING] == timedelta(seconds=180)
    assert spent[S.WRAP_UP] == timedelta(seconds=30)
    assert spent[S.PAUSED] == minutes(30)


@given(
    st.lists(
        st.tuples(st.sampled_from(list(AgentState)), st.integers(0, 600)), min_size=1, max_size=20
    ),
    st.integers(0, 4000),
    st.integers(0, 4000),
)
def test_time_in_states_covers_the_period_after_the_first_record(
    steps: list[tuple[AgentState, int]], start_s: int, length_s: int
) -> None:
    at = T0
    history = []
    for state, gap_s in steps:
        at += timedelta(seconds=gap_s)
        history.append(RecordState(state, at=at))
    start = T0 + timedelta(seconds=start_s)
    end = start + timedelta(seconds=length_s)
    covered = max(end - max(start, history[0].at), timedelta(0))
    spent = time_in_states(history, start, end)
    assert sum(spent.values(), timedelta(0)) == covered
    assert all(d >= timedelta(0) for d in spent.values())
