"""What happens to a lead after a call: call again (when, on which number), or stop.

Two moments decide a lead's next step:

* :func:`next_step`, when a dial ends, from its network outcome (no answer, busy, machine...);
* :func:`disposition_step`, when the agent who spoke to the person sets a disposition
  (sale, callback, do not call...). A person connected to an agent is provisionally DONE
  until then.

The rules, in words (docs/dialer.md has the table):

* ``max_attempts`` counts dials per *lead*, across all its numbers: it limits how often a
  person is called, whichever number reaches them. At the limit the lead is EXHAUSTED.
* A lead's numbers are tried in order. After no answer, busy or a failed call on one number,
  the next number is dialled at once; once every number has been tried in a round, the lead
  waits the outcome's delay and starts again from its first number.
* A number that does not exist (``invalid_number``, or the agent's ``wrong_number``) is dead
  and never dialled again; a lead with no live number left is INVALID.
* A person answered but no agent was free in time (an abandoned call): the same number is
  called again at the earliest after the abandoned delay, or after ``abandon_lockout_s``
  (72 hours for Ofcom campaigns) when that is longer. The whole lead waits, not only the
  number, because the lockout protects the *person*, whom another of their numbers also
  reaches.
* An answering machine: depends on the campaign's ``machine_action`` (``retry``: wait the
  machine delay and try the next number; ``hangup``/``message``: the lead is DONE).
* Network congestion or a call the dialer cancelled are not the lead's fault: the same number
  again after the congestion (cancelled: failed) delay.

Pure: ``now`` is an argument; nothing here reads the clock or the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, get_args

from asterisk_cc.core.vocabulary import AbandonDefinition, CallOutcome, DncScope, LeadStatus

if TYPE_CHECKING:  # campaign.py imports this module; only its type is needed here
    from asterisk_cc.core.dialer.campaign import CampaignSettings

__all__ = [
    "DEAD_PHONE_OUTCOMES",
    "DEFAULT_DELAYS_S",
    "DISPOSITIONS",
    "DNC_SOURCE_AGENT",
    "FINAL_DISPOSITIONS",
    "MACHINE_ACTIONS",
    "OFCOM_ABANDON_LOCKOUT_S",
    "OFCOM_MACHINE_DELAY_S",
    "RETRY_DELAY_KEYS",
    "LeadProgress",
    "MachineAction",
    "NextStep",
    "PhoneProgress",
    "RetryRules",
    "disposition_step",
    "next_step",
    "phone_is_dead",
    "rules_for",
]

MachineAction = Literal["hangup", "message", "retry"]
MACHINE_ACTIONS: Final[tuple[str, ...]] = get_args(MachineAction)

RETRY_DELAY_KEYS: Final = ("busy", "no_answer", "machine", "abandoned", "failed", "congestion")
"""The outcomes a campaign sets a retry delay for."""

DEFAULT_DELAYS_S: Final[Mapping[str, int]] = MappingProxyType(
    {
        "busy": 900,  # 15 min: the person is there, just on the phone
        "no_answer": 3600,  # 1 h: out, try at another time of day
        "machine": 7200,  # 2 h
        "abandoned": 3600,  # 1 h (Ofcom campaigns: at least 72 h, see abandon_lockout_s)
        "failed": 1800,  # 30 min: a network or trunk fault
        "congestion": 300,  # 5 min: our trunks were full, not the lead's doing
    }
)

OFCOM_ABANDON_LOCKOUT_S: Final = 72 * 3600
"""Ofcom: a person whose call was abandoned is not called again within 72 hours."""
OFCOM_MACHINE_DELAY_S: Final = 24 * 3600
"""Ofcom: a number AMD took for a machine (which may have been a person: a false positive) is
not called again the same day unless a dedicated agent is guaranteed; the dialer cannot
guarantee one, so an Ofcom campaign waits at least a day."""

DEAD_PHONE_OUTCOMES: Final = frozenset({CallOutcome.INVALID_NUMBER.value, "wrong_number", "dnc"})
"""A number whose ``last_outcome`` is one of these is never dialled again: it does not exist,
it is not the lead's, or it is on a do-not-call list (the dialer's check at dial time)."""

DNC_SOURCE_AGENT: Final = "agent"
"""``dnc_entries.source`` of numbers put on the internal list by an agent's ``do_not_call``."""

FINAL_DISPOSITIONS: Final = frozenset({"sale", "not_interested", "completed", "already_customer"})
DISPOSITIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "sale": "final: the lead is done",
        "not_interested": "final: the lead is done",
        "completed": "final: the lead is done (the call's purpose was met)",
        "already_customer": "final: the lead is done",
        "callback": "call again at the time given, optionally by the same agent",
        "do_not_call": "final: the lead is DNC and the number goes on the global internal list",
        "wrong_number": "the number is dead; the next number is dialled, or the lead is INVALID",
        "answering_machine": "the agent heard a machine: retry as for a machine",
        "no_answer_by_agent": "nobody answered (a preview call): retry as for no answer",
        "retry": "retry as for no answer",
    }
)
"""The disposition codes with a meaning; any other code is final (DONE) and kept as text."""

_MAX_DISPOSITION_CHARS: Final = 64  # leads.disposition


def phone_is_dead(last_outcome: str | None) -> bool:
    """True for a number that must not be dialled again (it does not exist, or it is not the
    lead's), from ``lead_phones.last_outcome``."""
    return last_outcome in DEAD_PHONE_OUTCOMES


@dataclass(frozen=True)
class RetryRules:
    """A campaign's retry policy.

    ``delays_s`` maps the keys of :data:`RETRY_DELAY_KEYS` to seconds; keys left out get the
    :data:`DEFAULT_DELAYS_S`. ``abandon_lockout_s`` is the shortest wait after an abandoned
    call (72 h for Ofcom campaigns, 0 otherwise: use :func:`rules_for`).
    """

    max_attempts: int = 3
    delays_s: Mapping[str, int] = field(default_factory=lambda: DEFAULT_DELAYS_S)
    abandon_lockout_s: int = 0
    machine_action: MachineAction = "hangup"

    def __post_init__(self) -> None:
        problems = []
        if not _is_int(self.max_attempts) or self.max_attempts < 1:
            problems.append(
                f"max_attempts must be a whole number of at least 1, not {self.max_attempts!r}"
            )
        unknown = sorted(set(self.delays_s) - set(RETRY_DELAY_KEYS))
        if unknown:
            problems.append(
                f"retry delays for {', '.join(map(repr, unknown))} are not known: the outcomes "
                f"with a delay are {', '.join(RETRY_DELAY_KEYS)}"
            )
        for key, value in self.delays_s.items():
            if key in RETRY_DELAY_KEYS and (not _is_int(value) or value < 0):
                problems.append(f"retry delay {key} must be whole seconds >= 0, not {value!r}")
        if not _is_int(self.abandon_lockout_s) or self.abandon_lockout_s < 0:
            problems.append(
                f"abandon_lockout_s must be whole seconds >= 0, not {self.abandon_lockout_s!r}"
            )
        if self.machine_action not in MACHINE_ACTIONS:
            problems.append(
                f"machine_action must be one of {', '.join(MACHINE_ACTIONS)}, not "
                f"{self.machine_action!r}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        merged = {**DEFAULT_DELAYS_S, **self.delays_s}
        object.__setattr__(self, "delays_s", MappingProxyType(merged))

    def delay(self, key: str) -> timedelta:
        """The wait after an outcome (a key of :data:`RETRY_DELAY_KEYS`)."""
        return timedelta(seconds=self.delays_s[key])

    @property
    def abandon_lockout(self) -> timedelta:
        """No call to a person whose call was abandoned before this has passed (zero: none)."""
        return timedelta(seconds=self.abandon_lockout_s)

    @classmethod
    def for_campaign(cls, settings: CampaignSettings) -> RetryRules:
        """The rules of a campaign: :func:`rules_for` its abandon definition, attempts,
        delays and machine action."""
        return rules_for(
            settings.abandon_definition,
            max_attempts=settings.max_attempts,
            delays_s=settings.retry_delays_s,
            machine_action=settings.machine_action,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def rules_for(
    definition: AbandonDefinition,
    *,
    max_attempts: int = 3,
    delays_s: Mapping[str, int] | None = None,
    machine_action: MachineAction = "hangup",
) -> RetryRules:
    """The retry rules of a campaign held to ``definition``.

    Ofcom campaigns get the 72-hour lockout after an abandoned call and wait at least a day
    after a machine (see :data:`OFCOM_MACHINE_DELAY_S`); FTC/FCC campaigns have no lockout.
    """
    delays = dict(delays_s or {})
    lockout = 0
    if definition is AbandonDefinition.OFCOM_DAILY:
        lockout = OFCOM_ABANDON_LOCKOUT_S
        machine = delays.get("machine", DEFAULT_DELAYS_S["machine"])
        delays["machine"] = max(machine, OFCOM_MACHINE_DELAY_S) if _is_int(machine) else machine
    return RetryRules(
        max_attempts=max_attempts,
        delays_s=delays,
        abandon_lockout_s=lockout,
        machine_action=machine_action,
    )


@dataclass(frozen=True)
class PhoneProgress:
    """One of a lead's numbers, in dialling order, with its ``lead_phones.last_outcome``:
    a number whose last outcome is in :data:`DEAD_PHONE_OUTCOMES` is not dialled again."""

    phone_e164: str
    attempts: int = 0
    last_outcome: str | None = None

    @property
    def dead(self) -> bool:
        return phone_is_dead(self.last_outcome)


@dataclass(frozen=True)
class LeadProgress:
    """Where a lead stands: ``attempts`` = dials made so far, *including* the one whose
    outcome is being decided; ``phones`` in dialling order."""

    attempts: int
    phones: Sequence[PhoneProgress]


@dataclass(frozen=True)
class NextStep:
    """The lead's next state.

    ``status`` and ``next_attempt_at`` (None when no call is planned) go on the lead;
    ``next_phone_index`` is the number to dial next (an index into ``LeadProgress.phones``);
    ``reason`` says why in words (for logs and the agent desktop). ``phone_dead``: mark the
    number just dialled dead. ``callback_agent_id``: the callback is for this agent.
    ``add_to_dnc``: put the number just dialled on this do-not-call list (source
    :data:`DNC_SOURCE_AGENT`). ``disposition``: the text to keep on the lead.
    """

    status: LeadStatus
    next_attempt_at: datetime | None
    next_phone_index: int
    reason: str
    phone_dead: bool = False
    callback_agent_id: int | None = None
    add_to_dnc: DncScope | None = None
    disposition: str | None = None


# Outcomes after which the next number is tried at once, before waiting the delay.
_MOVE_ON: Final = {
    CallOutcome.NO_ANSWER: "no_answer",
    CallOutcome.BUSY: "busy",
    CallOutcome.FAILED: "failed",
}
# Outcomes that are not about the number: the same number again after the delay.
_SAME_NUMBER: Final = {CallOutcome.CONGESTION: "congestion", CallOutcome.CANCELLED: "failed"}


def next_step(
    rules: RetryRules,
    lead: LeadProgress,
    phone_index: int,
    outcome: CallOutcome,
    abandoned: bool,
    now: datetime,
    *,
    connected: bool = True,
) -> NextStep:
    """The lead's next step after the dial of ``lead.phones[phone_index]`` ended with
    ``outcome``.

    ``abandoned``: a person answered and no agent took the call within 2 s. ``connected``
    (for a HUMAN outcome that was not abandoned): False when the person hung up before an
    agent was put through, which is neither a conversation nor an abandon: the same number
    is called again after the no-answer delay.
    """
    _check(lead, phone_index, now)
    outcome = CallOutcome(outcome)
    if outcome is CallOutcome.HUMAN:
        if abandoned:
            return _after_abandon(rules, lead, phone_index, now)
        if connected:
            return NextStep(
                LeadStatus.DONE, None, phone_index, "spoke to an agent (the disposition decides)"
            )
        return _again(
            rules,
            lead,
            phone_index,
            now + rules.delay("no_answer"),
            "answered, hung up before an agent: same number later",
        )
    if outcome is CallOutcome.INVALID_NUMBER:
        return _after_dead_number(rules, lead, phone_index, now, "the number does not exist")
    if outcome is CallOutcome.MACHINE:
        if rules.machine_action == "retry":
            return _rotate(rules, lead, phone_index, now, "machine", wait_first=True)
        left = ", message left" if rules.machine_action == "message" else ""
        return NextStep(
            LeadStatus.DONE, None, phone_index, f"answering machine{left}", disposition="machine"
        )
    if outcome in _MOVE_ON:
        return _rotate(rules, lead, phone_index, now, _MOVE_ON[outcome], wait_first=False)
    key = _SAME_NUMBER[outcome]
    at = now + rules.delay(key)
    return _again(rules, lead, phone_index, at, f"{outcome.value}: same number later")


def _check(lead: LeadProgress, phone_index: int, now: datetime) -> None:
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise ValueError(f"now must be a timezone-aware datetime, not {now!r}")
    if not 0 <= phone_index < len(lead.phones):
        raise ValueError(
            f"phone index {phone_index} is out of range: the lead has {len(lead.phones)} number(s)"
        )
    if lead.attempts < 0:
        raise ValueError(f"attempts cannot be negative ({lead.attempts})")


def _exhausted(rules: RetryRules, lead: LeadProgress) -> bool:
    return lead.attempts >= rules.max_attempts


def _retry(
    rules: RetryRules,
    lead: LeadProgress,
    phone_index: int,
    at: datetime,
    reason: str,
    *,
    phone_dead: bool = False,
) -> NextStep:
    """Call again at ``at`` unless the lead has used its attempts."""
    if _exhausted(rules, lead):
        used = f"{lead.attempts} of {rules.max_attempts} attempts used"
        return NextStep(
            LeadStatus.EXHAUSTED, None, phone_index, f"{reason}; {used}", phone_dead=phone_dead
        )
    return NextStep(LeadStatus.PENDING, at, phone_index, reason, phone_dead=phone_dead)


def _again(
    rules: RetryRules, lead: LeadProgress, phone_index: int, at: datetime, reason: str
) -> NextStep:
    """The same number again at ``at``; if that number has meanwhile been marked dead (put
    on a do-not-call list, say), the next live one at that time instead."""
    if not lead.phones[phone_index].dead:
        return _retry(rules, lead, phone_index, at, reason)
    live = _live_indexes(lead)
    if not live:
        return NextStep(LeadStatus.INVALID, None, phone_index, f"{reason}; no live number left")
    later = [index for index in live if index > phone_index]
    return _retry(rules, lead, (later or live)[0], at, f"{reason} (that number is dead: another)")


def _after_abandon(
    rules: RetryRules, lead: LeadProgress, phone_index: int, now: datetime
) -> NextStep:
    wait_s = max(rules.delays_s["abandoned"], rules.abandon_lockout_s)
    reason = "abandoned (no agent within 2 s): same number"
    if rules.abandon_lockout_s and rules.abandon_lockout_s >= rules.delays_s["abandoned"]:
        reason += f", not before the {rules.abandon_lockout_s // 3600} h lockout ends"
    return _again(rules, lead, phone_index, now + timedelta(seconds=wait_s), reason)


def _live_indexes(lead: LeadProgress, also_dead: int | None = None) -> list[int]:
    return [
        index for index, phone in enumerate(lead.phones) if not phone.dead and index != also_dead
    ]


def _after_dead_number(
    rules: RetryRules, lead: LeadProgress, phone_index: int, now: datetime, why: str
) -> NextStep:
    live = _live_indexes(lead, also_dead=phone_index)
    if not live:
        return NextStep(
            LeadStatus.INVALID, None, phone_index, f"{why}; no other number to try", phone_dead=True
        )
    later = [index for index in live if index > phone_index]
    if later:
        return _retry(rules, lead, later[0], now, f"{why}: next number", phone_dead=True)
    # The dead number was the last of the round: start the next round after the wait any
    # earlier number's failure in this round would have caused (the no-answer delay).
    return _retry(
        rules,
        lead,
        live[0],
        now + rules.delay("no_answer"),
        f"{why}: first number again later",
        phone_dead=True,
    )


def _rotate(
    rules: RetryRules,
    lead: LeadProgress,
    phone_index: int,
    now: datetime,
    key: str,
    *,
    wait_first: bool,
) -> NextStep:
    """Next number of the round at once (or after the delay when ``wait_first``); after the
    last number, the first again after the delay."""
    live = _live_indexes(lead)
    if not live:  # every number is dead: nothing left to dial
        return NextStep(LeadStatus.INVALID, None, phone_index, f"{key}; no live number left")
    later = [index for index in live if index > phone_index]
    if later and not wait_first:
        return _retry(rules, lead, later[0], now, f"{key}: next number now")
    target = later[0] if later else live[0]
    where = "next number" if later else ("same number" if target == phone_index else "first number")
    return _retry(rules, lead, target, now + rules.delay(key), f"{key}: {where} later")


def disposition_step(
    disposition: str,
    *,
    rules: RetryRules,
    lead: LeadProgress,
    phone_index: int,
    now: datetime,
    callback_at: datetime | None = None,
    callback_agent_id: int | None = None,
) -> NextStep:
    """The lead's next step from the agent's disposition (see :data:`DISPOSITIONS`).

    ``callback`` needs ``callback_at`` (timezone-aware, not in the past);
    ``callback_agent_id`` reserves the callback for that agent. A callback is the person's
    own request, so it is planned even when the attempts are used up. Codes are read
    case-insensitively; an unknown code is final and kept as written.
    """
    _check(lead, phone_index, now)
    if not isinstance(disposition, str) or not disposition.strip():
        raise ValueError("a disposition is needed, e.g. sale, callback or not_interested")
    text = disposition.strip()
    if len(text) > _MAX_DISPOSITION_CHARS:
        raise ValueError(f"a disposition is at most {_MAX_DISPOSITION_CHARS} characters")
    code = text.lower()
    if code == "callback":
        return _callback(now, phone_index, callback_at, callback_agent_id)
    if code == "do_not_call":
        return NextStep(
            LeadStatus.DNC,
            None,
            phone_index,
            "the person asked not to be called: the number is on the internal do-not-call list",
            add_to_dnc=DncScope.GLOBAL,
            disposition=code,
        )
    if code == "wrong_number":
        step = _after_dead_number(rules, lead, phone_index, now, "wrong number")
        return _with_disposition(step, code)
    if code == "answering_machine":
        step = _rotate(rules, lead, phone_index, now, "machine", wait_first=True)
        return _with_disposition(step, code)
    if code in ("no_answer_by_agent", "retry"):
        step = _rotate(rules, lead, phone_index, now, "no_answer", wait_first=False)
        return _with_disposition(step, code)
    if code in FINAL_DISPOSITIONS:
        return NextStep(LeadStatus.DONE, None, phone_index, code, disposition=code)
    return NextStep(
        LeadStatus.DONE, None, phone_index, f"final disposition {text!r}", disposition=text
    )


def _with_disposition(step: NextStep, code: str) -> NextStep:
    return NextStep(
        step.status,
        step.next_attempt_at,
        step.next_phone_index,
        step.reason,
        phone_dead=step.phone_dead,
        disposition=code,
    )


def _callback(
    now: datetime, phone_index: int, callback_at: datetime | None, agent_id: int | None
) -> NextStep:
    if callback_at is None:
        raise ValueError("a callback needs the time to call back")
    if not isinstance(callback_at, datetime) or callback_at.utcoffset() is None:
        raise ValueError(f"the callback time must be timezone-aware, not {callback_at!r}")
    if callback_at < now:
        raise ValueError(f"the callback time {callback_at.isoformat()} is in the past")
    if agent_id is not None and (not _is_int(agent_id) or agent_id < 1):
        raise ValueError(f"callback agent id must be a positive whole number, not {agent_id!r}")
    who = f" by agent {agent_id}" if agent_id is not None else ""
    return NextStep(
        LeadStatus.PENDING,
        callback_at,
        phone_index,
        f"callback requested for {callback_at.isoformat()}{who}",
        callback_agent_id=agent_id,
        disposition="callback",
    )
