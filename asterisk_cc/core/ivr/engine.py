"""The IVR engine: steps one caller through a flow, one action at a time, with no I/O.

    engine = IvrEngine(flow, CallInfo(caller_number="013812345678", caller_e164="+8613812345678"))
    action = engine.start(now)
    while not engine.finished:
        event = <carry out action on the channel or the database>
        action = engine.feed(event, now)
    # action is final: RouteToQueue, Transfer, Voicemail, HangUp or Failover

Each node kind is a small generator that yields actions and receives their events; the engine
drives them. Whatever happens — a caller who hangs up, a lookup that fails, a flow that loops —
the engine ends in a final action and an outcome (queued, transferred, voicemail, self_served,
callback, complaint, no_input, abandoned, failed), and keeps the path and inputs for the IVR
reports, with account numbers masked.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from asterisk_cc.core.customers import Tier, normalize_language
from asterisk_cc.core.ivr import actions as a
from asterisk_cc.core.ivr.flow import (
    Callback,
    Collect,
    Complaint,
    Condition,
    Flow,
    Hangup,
    Language,
    Lookup,
    Menu,
    Node,
    Play,
    QueueRoute,
    Say,
    SetVars,
    Survey,
    Test,
    TransferTo,
    VoicemailTo,
)
from asterisk_cc.core.ivr.say import say_amount, say_date, say_digits, say_number

__all__ = [
    "CallInfo",
    "IvrEngine",
    "StepRecord",
    "luhn_valid",
    "mask_digits",
    "speak",
    "var_test_holds",
]

MAX_NODE_VISITS = 100
ANSWER_KEYS = "12345"
YES, NO = "1", "2"

Steps = Generator[a.Action, a.Event, str | None]


@dataclass(frozen=True)
class CallInfo:
    """What is known of the call when it enters the IVR."""

    caller_number: str = ""
    caller_e164: str = ""
    uniqueid: str = ""


@dataclass(frozen=True)
class StepRecord:
    """One node visit: when, what the caller entered (masked where asked), what came of it."""

    node: str
    at: datetime
    input: str | None
    result: str


class _CallerGone(Exception):
    pass


class _Fail(Exception):
    def __init__(self, reason: str, on_error: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.on_error = on_error


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by card and many account numbers."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_digits(digits: str) -> str:
    """Keep the last four digits of a long entry, hide the rest: ``************3456``."""
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


class IvrEngine:
    """One caller's trip through ``flow``; see the module docstring for the loop."""

    def __init__(self, flow: Flow, call: CallInfo) -> None:
        self.flow = flow
        self.call = call
        self.vars: dict[str, str] = {
            "caller.number": call.caller_number,
            "caller.e164": call.caller_e164,
            "lang": flow.default_language,
        }
        self.steps: list[StepRecord] = []
        self.inputs: dict[str, str] = {}
        self.outcome: str | None = None
        self.failure: str | None = None
        self.finished = False
        self._saved: set[str] = set()
        self._exhausted = False
        self._now: datetime | None = None
        self._visits = 0
        self._current: Node | None = None
        self._run = self._flow()

    # --- the driver ------------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.vars["lang"]

    @property
    def path(self) -> list[str]:
        """Node ids in the order the caller met them (a node once per visit)."""
        path: list[str] = []
        for step in self.steps:
            if not path or path[-1] != step.node:
                path.append(step.node)
        return path

    def start(self, now: datetime) -> a.Action:
        self._now = now
        return self._advance(None)

    def feed(self, event: a.Event, now: datetime) -> a.Action:
        if self.finished:
            raise RuntimeError("the IVR engine has finished: the call has left the IVR")
        self._now = now
        return self._advance(event)

    def _advance(self, event: a.Event | None) -> a.Action:
        try:
            action = self._run.send(event) if event is not None else next(self._run)
        except StopIteration:  # pragma: no cover - _flow always ends in a final action
            action = a.HangUp()
        if isinstance(action, a.FINAL_ACTIONS):
            self.finished = True
        return action

    def _flow(self) -> Generator[a.Action, a.Event, None]:
        node_id: str | None = self.flow.start
        try:
            yield from self._ask(a.SetLanguage(self.language))
            while node_id is not None:
                self._visits += 1
                if self._visits > MAX_NODE_VISITS:
                    raise _Fail(f"more than {MAX_NODE_VISITS} nodes visited: the flow loops", None)
                node = self.flow.nodes[node_id]
                self._current = node
                try:
                    node_id = yield from self._node(node)
                except _Fail as failure:
                    self._step(node, None, "error")
                    if failure.on_error is None:
                        raise
                    self.failure = failure.reason
                    node_id = failure.on_error
        except _CallerGone:
            # Where callers hang up is what the IVR drop-off report counts.
            if self._current is not None:
                self._step(self._current, None, "hangup")
            self.outcome = "abandoned"
            yield a.HangUp()
        except _Fail as failure:
            self.outcome = "failed"
            self.failure = failure.reason
            yield a.Failover(failure.reason)

    def _node(self, node: Node) -> Steps:
        handlers: dict[type, Callable[[Any], Steps]] = {
            Play: self._play_node,
            Menu: self._menu,
            Collect: self._collect,
            Lookup: self._lookup,
            Condition: self._condition,
            Say: self._say,
            Language: self._language,
            SetVars: self._set_vars,
            QueueRoute: self._queue,
            TransferTo: self._transfer,
            VoicemailTo: self._voicemail,
            Callback: self._callback,
            Complaint: self._complaint,
            Survey: self._survey,
            Hangup: self._hangup,
        }
        target = yield from handlers[type(node)](node)
        return target

    # --- helpers ---------------------------------------------------------------------------

    def _ask(self, action: a.Action) -> Generator[a.Action, a.Event, a.Event]:
        event = yield action
        if isinstance(event, a.HungUp):
            raise _CallerGone
        return event

    def _sounds(self, prompt_ids: tuple[str, ...]) -> tuple[str, ...]:
        sounds: list[str] = []
        for prompt_id in prompt_ids:
            sounds.extend(self.flow.prompts[prompt_id].sounds(self.flow.name, self.language))
        return tuple(sounds)

    def _play(self, sounds: tuple[str, ...]) -> Generator[a.Action, a.Event, None]:
        if sounds:
            yield from self._ask(a.Play(sounds))

    def _read(
        self,
        sounds: tuple[str, ...],
        *,
        max_digits: int = 1,
        timeout_s: float,
        inter_digit_timeout_s: float = 3.0,
        terminator: str = "",
        barge_in: bool = True,
    ) -> Generator[a.Action, a.Event, a.DigitsRead]:
        event = yield from self._ask(
            a.ReadDigits(
                sounds,
                max_digits,
                int(timeout_s * 1000),
                int(inter_digit_timeout_s * 1000),
                terminator,
                barge_in,
            )
        )
        if not isinstance(event, a.DigitsRead):
            raise _Fail(f"expected digits, got {type(event).__name__}", None)
        return event

    def _step(self, node: Node, entered: str | None, result: str) -> None:
        assert self._now is not None
        self.steps.append(StepRecord(node.id, self._now, entered, result))

    def _stored(self, event: a.Event, what: str, on_error: str | None) -> str:
        """The reference of a Saved event, or a failure that goes to ``on_error``."""
        if isinstance(event, a.Saved):
            return event.ref
        reason = event.reason if isinstance(event, a.Failed) else type(event).__name__
        raise _Fail(f"{what} failed: {reason}", on_error)

    def _tier(self) -> str:
        return Tier.parse(self.vars.get("customer.tier")).value

    # --- node kinds ------------------------------------------------------------------------

    def _play_node(self, node: Play) -> Steps:
        yield from self._play(self._sounds(node.prompts))
        self._step(node, None, "played")
        return node.next

    def _menu(self, node: Menu) -> Steps:
        for _ in range(node.max_tries):
            event = yield from self._read(
                self._sounds(node.prompts), timeout_s=node.timeout_s, barge_in=node.barge_in
            )
            key = event.digits[:1]
            if key in node.choices:
                self._step(node, key, "chosen")
                return node.choices[key]
            self._step(node, key or None, "invalid" if key else "timeout")
            retry = node.invalid_prompts if key else node.timeout_prompts or node.invalid_prompts
            yield from self._play(self._sounds(retry))
        self._step(node, None, "exhausted")
        self._exhausted = True
        return node.on_exhausted

    def _collect(self, node: Collect) -> Steps:
        for _ in range(node.max_tries):
            event = yield from self._read(
                self._sounds(node.prompts),
                max_digits=node.max_digits,
                timeout_s=node.timeout_s,
                inter_digit_timeout_s=node.inter_digit_timeout_s,
                terminator=node.terminator,
            )
            digits = event.digits
            shown = (mask_digits(digits) if node.mask else digits) or None
            valid = node.min_digits <= len(digits) <= node.max_digits and digits.isdigit()
            if valid and node.validate == "luhn":
                valid = luhn_valid(digits)
            if valid and node.validate == "crm_account":
                found = yield from self._ask(a.LookupCustomer("account", digits))
                if isinstance(found, a.Failed):
                    raise _Fail(f"account lookup failed: {found.reason}", node.on_error)
                valid = isinstance(found, a.Found)
                if isinstance(found, a.Found):
                    self._set_customer(found.record)
            if not valid:
                self._step(node, shown, "invalid" if digits else "timeout")
                yield from self._play(self._sounds(node.invalid_prompts))
                continue
            if node.readback_prompts or node.confirm_prompts:
                readback = self._sounds(node.readback_prompts) + say_digits(digits, self.language)
                if node.confirm_prompts:
                    answer = yield from self._read(
                        readback + self._sounds(node.confirm_prompts), timeout_s=node.timeout_s
                    )
                    if answer.digits[:1] != YES:
                        self._step(node, shown, "not_confirmed")
                        continue
                else:
                    yield from self._play(readback)
            self._step(node, shown, "entered")
            self.vars[node.store] = digits
            self.inputs[node.store] = shown or ""
            return node.next
        self._step(node, None, "exhausted")
        self._exhausted = True
        return node.on_exhausted

    def _lookup(self, node: Lookup) -> Steps:
        if node.by == "ticket":
            customer_id = self.vars.get("customer.id", "")
            if not customer_id:
                self._step(node, None, "not_found")
                return node.not_found
            event = yield from self._ask(a.LookupTicket(customer_id))
        else:
            value = (
                self.vars.get("caller.e164") or ""
                if node.by == "caller_id"
                else self.vars.get(node.var, "")
            )
            if not value:
                self._step(node, None, "not_found")
                return node.not_found
            event = yield from self._ask(a.LookupCustomer(node.by, value))
        if isinstance(event, a.Failed):
            raise _Fail(f"{node.by} lookup failed: {event.reason}", node.on_error)
        if not isinstance(event, a.Found):
            self._step(node, None, "not_found")
            return node.not_found
        if node.by == "ticket":
            for key, value in event.record.items():
                self.vars[f"ticket.{key}"] = value
        else:
            self._set_customer(event.record)
        self._step(node, None, "found")
        return node.found

    def _set_customer(self, record: Mapping[str, str]) -> None:
        for key, value in record.items():
            self.vars[f"customer.{key}"] = value
        self.vars["customer.tier"] = Tier.parse(record.get("tier")).value
        language = normalize_language(record.get("language"))
        if language:
            self.vars["customer.language"] = language

    def _condition(self, node: Condition) -> Steps:
        yield from ()
        for index, (test, target) in enumerate(node.cases):
            if self._holds(test):
                self._step(node, None, f"case {index + 1}")
                return target
        self._step(node, None, "otherwise")
        return node.otherwise

    def _holds(self, test: Test) -> bool:
        assert self._now is not None
        if test.kind in ("open", "closed", "holiday"):
            calendar = self.flow.calendars[test.calendar]
            if test.kind == "holiday":
                return calendar.is_holiday(self._now)
            return calendar.is_open(self._now) == (test.kind == "open")
        return var_test_holds(test, self.vars.get(test.var))

    def _say(self, node: Say) -> Steps:
        value = self.vars.get(node.var, "")
        spoken = speak(node.what, value, self.language, node.currency) if value else None
        if spoken is None:
            self._step(node, None, "missing")
            return node.on_missing or node.next
        sounds = self._sounds(node.prompts) + spoken + self._sounds(node.after_prompts)
        yield from self._play(sounds)
        self._step(node, None, "said")
        return node.next

    def _language(self, node: Language) -> Steps:
        chosen = self.vars.get("customer.language", "") if node.use_customer else ""
        result = "from_customer"
        if chosen not in self.flow.languages and node.choices:
            event = yield from self._read(self._sounds(node.prompts), timeout_s=node.timeout_s)
            chosen = node.choices.get(event.digits[:1], "")
            result = "chosen" if chosen else "default"
        if chosen not in self.flow.languages:
            chosen, result = self.flow.default_language, "default"
        if chosen != self.language:
            self.vars["lang"] = chosen
            yield from self._ask(a.SetLanguage(chosen))
        self._step(node, chosen, result)
        return node.next

    def _set_vars(self, node: SetVars) -> Steps:
        yield from ()
        self.vars.update(node.values)
        self._step(node, None, "set")
        return node.next

    def _queue(self, node: QueueRoute) -> Steps:
        tier = self._tier()
        queue = node.by_tier.get(tier, node.queue)
        yield from self._play(self._sounds(node.prompts))
        self._step(node, None, queue)
        self.outcome = "queued"
        variables = {
            "ASTERISK_CC_CUSTOMER_ID": self.vars.get("customer.id", ""),
            "ASTERISK_CC_TIER": tier,
            "ASTERISK_CC_LANGUAGE": self.language,
            "ASTERISK_CC_IVR_PATH": ">".join(self.path),
            "ASTERISK_CC_SURVEY": node.survey,
        }
        if tier in node.max_penalty:
            # app_queue then rings only members this skilled (penalty = skill level).
            variables["QUEUE_MAX_PENALTY"] = str(node.max_penalty[tier])
        yield a.RouteToQueue(queue, self.flow.priorities.get(tier, 0), node.timeout_s, variables)
        return None

    def _transfer(self, node: TransferTo) -> Steps:
        yield from self._play(self._sounds(node.prompts))
        self._step(node, None, f"{node.extension}@{node.context}")
        self.outcome = "transferred"
        yield a.Transfer(node.context, node.extension)
        return None

    def _voicemail(self, node: VoicemailTo) -> Steps:
        yield from self._play(self._sounds(node.prompts))
        self._step(node, None, node.mailbox)
        self.outcome = "voicemail"
        yield a.Voicemail(node.mailbox)
        return None

    def _callback(self, node: Callback) -> Steps:
        number = self.vars.get("callback.number") or self.vars.get("caller.e164", "")
        if not number:
            self._step(node, None, "no_number")
            if node.other_number:
                return node.other_number
            raise _Fail("no number to call back", node.on_error)
        if node.confirm_prompts:
            sounds = (
                self._sounds(node.prompts)
                + say_digits(number.lstrip("+"), self.language)
                + self._sounds(node.confirm_prompts)
            )
            for _ in range(2):
                answer = yield from self._read(sounds, timeout_s=6.0)
                key = answer.digits[:1]
                if key == YES:
                    break
                if key == NO and node.other_number:
                    self._step(node, key, "other_number")
                    self.vars.pop("callback.number", None)
                    return node.other_number
            else:
                self._step(node, None, "not_confirmed")
                return node.next
        else:
            yield from self._play(self._sounds(node.prompts))
        event = yield from self._ask(
            a.SaveCallback(number, node.queue, self.vars.get("customer.id", ""))
        )
        self.vars["callback.id"] = self._stored(event, "callback request", node.on_error)
        self._saved.add("callback")
        yield from self._play(self._sounds(node.done_prompts))
        self._step(node, None, "requested")
        return node.next

    def _complaint(self, node: Complaint) -> Steps:
        yield from self._play(self._sounds(node.prompts))
        recorded = yield from self._ask(a.RecordMessage(node.max_s, node.silence_s))
        if not isinstance(recorded, a.Recorded):
            reason = recorded.reason if isinstance(recorded, a.Failed) else "no recording"
            raise _Fail(f"recording the complaint failed: {reason}", node.on_error)
        event = yield from self._ask(
            a.OpenComplaint(
                node.category,
                recorded.ref,
                self.vars.get("customer.id", ""),
                self.vars.get("caller.e164") or self.vars.get("caller.number", ""),
            )
        )
        ticket = self._stored(event, "opening the complaint", node.on_error)
        self.vars["complaint.ticket"] = ticket
        self._saved.add("complaint")
        if node.done_prompts:
            yield from self._play(
                self._sounds(node.done_prompts) + say_digits(ticket, self.language)
            )
        self._step(node, None, "opened")
        return node.next

    def _survey(self, node: Survey) -> Steps:
        for _ in range(node.max_tries):
            event = yield from self._read(self._sounds(node.prompts), timeout_s=node.timeout_s)
            key = event.digits[:1]
            if key and key in ANSWER_KEYS:
                saved = yield from self._ask(a.SaveSurvey(node.question, int(key)))
                # The call is over: a survey that cannot be stored is logged, not failed over.
                self._step(node, key, "answered" if isinstance(saved, a.Saved) else "not_saved")
                yield from self._play(self._sounds(node.done_prompts))
                return node.next
            self._step(node, key or None, "invalid" if key else "timeout")
            yield from self._play(self._sounds(node.invalid_prompts))
        self._step(node, None, "no_answer")
        return node.next

    def _hangup(self, node: Hangup) -> Steps:
        yield from self._play(self._sounds(node.prompts))
        self._step(node, None, "goodbye")
        if "complaint" in self._saved:
            self.outcome = "complaint"
        elif "callback" in self._saved:
            self.outcome = "callback"
        elif self._exhausted:
            self.outcome = "no_input"
        else:
            self.outcome = "self_served"
        yield a.HangUp()
        return None


def var_test_holds(test: Test, value: str | None) -> bool:
    """Whether a variable test of a condition holds for the variable's ``value`` (None: the
    variable is not set). Text compares without regard to case; ``lt``..``ge`` compare numbers
    and fail for a value that is not one."""
    if test.op == "exists":
        return bool(value)
    if test.op == "missing":
        return not value
    if value is None:
        return test.op in ("ne", "not_in")
    if test.op in ("eq", "ne"):
        return (value.lower() == _text(test.value).lower()) == (test.op == "eq")
    if test.op in ("in", "not_in"):
        listed = {_text(item).lower() for item in test.value}
        return (value.lower() in listed) == (test.op == "in")
    try:
        number = float(value)
    except ValueError:
        return False
    limit = float(test.value)
    return {
        "lt": number < limit,
        "le": number <= limit,
        "gt": number > limit,
        "ge": number >= limit,
    }[test.op]


def speak(what: str, value: str, language: str, currency: str = "CNY") -> tuple[str, ...] | None:
    """The sounds a say node plays for ``value`` (``what``: digits, number, amount or date),
    or None when it cannot be said that way."""
    try:
        if what == "digits":
            return say_digits(value, language)
        if what == "number":
            return say_number(int(Decimal(value)), language)
        if what == "amount":
            return say_amount(Decimal(value), language, currency)
        return say_date(date.fromisoformat(value[:10]), language)
    except (ValueError, InvalidOperation, ArithmeticError):
        return None


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
