"""Every way a caller can go through a flow, worked out from the flow alone.

A :class:`IvrPath` is one walk from the flow's start to where the caller leaves the IVR: the
nodes in order (what the FastAGI server records as the IVR session's ``path``), the keys the
caller presses at each menu, what they key in at a collect node, what they hear before each
key, the conditions their CRM record must meet to be led that way, and the end (a queue,
self-service, a complaint, a callback, voicemail, a transfer) with the session's outcome.
The demo's traffic model plans callers along these paths and its scripted callers press the
keys (:mod:`asterisk_cc.core.traffic`, :mod:`asterisk_cc.sandbox.callers`).

What :func:`ivr_paths` leaves out, on purpose:

* Calendars are taken as open: ``open`` holds, ``closed`` and ``holiday`` do not. The demo's
  flow is open round the clock (:func:`always_open`), so its callers never meet the
  after-hours branch.
* Loops: a node is entered at most once (a menu's "back to the main menu" is not followed).
* Retries: the caller presses a valid key at every prompt. Invalid keys and silence reach the
  same ends after the tries run out, only later.
* Error exits (``on_error``: the CRM or the database failing) are not ways a caller chooses.
* A lookup by account (``by = "account"``) is taken as found.

Branches that depend on data become :class:`Requirement` s on the caller's IVR variables:
a caller-ID lookup that finds the caller requires ``customer.id`` to exist, a VIP check
requires ``customer.tier`` to be ``vip``, a balance said requires ``customer.balance``, a
ticket found requires ``ticket.id``. A branch whose requirements contradict those met earlier
on the way (the VIP check after an unknown caller's lookup) is not a path. Requirements are
checked against variables as the engine holds them after a caller-ID lookup (``customer.*``)
and a ticket lookup (``ticket.*``, the customer's latest ticket); a collect node that checks an
account against the CRM (``validate = "crm_account"``) makes the customer of the entered
account the caller's record from there on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import time as TimeOfDay
from typing import Final, Literal

from asterisk_cc.core.customers import Tier
from asterisk_cc.core.ivr.calendar import Calendar
from asterisk_cc.core.ivr.engine import ANSWER_KEYS, YES, speak, var_test_holds
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
from asterisk_cc.core.ivr.tree import node_kind

__all__ = [
    "ALWAYS_OPEN_HOURS",
    "CallerKind",
    "IvrPath",
    "IvrStep",
    "PathEnd",
    "Requirement",
    "always_open",
    "ivr_paths",
]

PathEnd = Literal["queue", "self_service", "complaint", "callback", "voicemail", "transfer"]
InputKind = Literal["", "keys", "entry", "recording"]
CallerKind = Literal["unknown", "known", "vip"]

ALWAYS_OPEN_HOURS: Final = "00:00-24:00"
"""The opening hours of every day in :func:`always_open`'s calendars."""

SURVEY_SCORE: Final = ANSWER_KEYS[-1]
"""What a path's caller answers a survey node with (the score is not the path's concern)."""

# Variable groups the engine fills from one record: all of a group's variables are set by the
# lookup that finds the record, none when there is no record.
_RECORD_GROUPS: Final = ("customer", "ticket")
_TIERS: Final = tuple(t.value for t in Tier)
_OTHER: Final = "\x00other"  # a value no test names


@dataclass(frozen=True)
class Requirement:
    """A variable test that must come out ``holds`` for the caller to go this way."""

    test: Test
    holds: bool = True

    @property
    def var(self) -> str:
        return self.test.var

    def met(self, variables: Mapping[str, str]) -> bool:
        return var_test_holds(self.test, variables.get(self.test.var)) == self.holds

    def __str__(self) -> str:
        value = "" if self.test.op in ("exists", "missing") else f" {self.test.value!r}"
        return f"{'' if self.holds else 'not '}{self.test.var} {self.test.op}{value}"


def _requires(var: str, op: str, value: object = True, holds: bool = True) -> Requirement:
    return Requirement(Test("var", var=var, op=op, value=value), holds)


@dataclass(frozen=True)
class IvrStep:
    """One node of a path: what the caller hears there and does there."""

    node: str
    kind: str
    """The node's kind, as the flow file writes it (``menu``, ``collect``...)."""
    language: str
    """The language the node's prompts play in."""
    sounds: tuple[str, ...] = ()
    """The sounds the node plays before it takes the caller's input (all it plays when it
    takes none), as Asterisk names them, in ``language``."""
    interruptible: bool = False
    """A key pressed while ``sounds`` play stops them and is taken as the input."""
    input: InputKind = ""
    """What the caller does here: press ``keys``, key in a value (``entry``), or speak
    (``recording``, ended with ``keys``)."""
    keys: str = ""
    """For ``keys``: the keys pressed. For ``entry``: the terminator after the value. For
    ``recording``: the key that ends the recording."""
    enters: str = ""
    """For ``entry``: the variable whose value the caller keys in (a collect's ``store``)."""
    confirm: str = ""
    """For ``entry``: the key that confirms the read-back ('' when there is none)."""
    picks_customer: bool = False
    """The value keyed in is an account the CRM checks: its customer becomes the caller's
    record from this step on."""
    says: tuple[str, str, str] | None = None
    """A say node's ``(what, variable, currency)``, until :meth:`IvrPath.for_caller` turns it
    into sounds."""
    after_sounds: tuple[str, ...] = ()
    """Sounds played after the input (a say node's ``after_prompts``, a complaint's
    confirmation; the ticket number read after it is not known in advance)."""
    requires: tuple[Requirement, ...] = ()
    sets: tuple[tuple[str, str], ...] = ()
    """Variables a ``set`` node sets."""

    @property
    def takes_input(self) -> bool:
        return bool(self.input)


@dataclass(frozen=True)
class IvrPath:
    """One way through a flow; see the module docstring."""

    steps: tuple[IvrStep, ...]
    end: PathEnd
    outcome: str
    """The IVR session's outcome when the caller goes all the way (queued, self_served...)."""
    goal: str
    """What the caller came for, for choosing paths by weight: ``queue:<name>``,
    ``self_service:<what>`` (``balance``, ``ticket``: what was said or looked up),
    ``complaint``, ``callback``, ``voicemail``, ``transfer``."""
    callers: frozenset[CallerKind]
    """Which callers can go this way, by what the caller-ID lookup finds: no customer
    (``unknown``), a customer who is not VIP (``known``), a VIP (``vip``)."""
    queue: str | None = None

    @property
    def nodes(self) -> tuple[str, ...]:
        """The node ids in order, as the IVR session's ``path`` records them."""
        return tuple(step.node for step in self.steps)

    @property
    def presses(self) -> tuple[tuple[str, str], ...]:
        """``(node, what the caller does)`` at every step that takes input; an entry reads
        ``<store>`` then its terminator and confirmation, a recording ``<speaks>`` and its key."""
        shown = []
        for step in self.steps:
            if step.input == "keys":
                shown.append((step.node, step.keys))
            elif step.input == "entry":
                shown.append((step.node, f"<{step.enters}>{step.keys}{step.confirm}"))
            elif step.input == "recording":
                shown.append((step.node, f"<speaks>{step.keys}"))
        return tuple(shown)

    @property
    def input_steps(self) -> tuple[int, ...]:
        """Indexes of the steps where the caller acts (where one can also hang up instead)."""
        return tuple(i for i, step in enumerate(self.steps) if step.takes_input)

    @property
    def entries(self) -> tuple[str, ...]:
        """The variables the caller keys values in for (a collect's store)."""
        return tuple(step.enters for step in self.steps if step.input == "entry")

    @property
    def picks_customer(self) -> bool:
        return any(step.picks_customer for step in self.steps)

    @property
    def language(self) -> str:
        """The language the caller hears at the end."""
        return self.steps[-1].language

    @property
    def is_resolved(self) -> bool:
        """Every say node's sounds are known (see :meth:`for_caller`)."""
        return all(step.says is None for step in self.steps)

    def fits(self, caller: Mapping[str, str], picked: Mapping[str, str] | None = None) -> bool:
        """Whether a caller whose IVR variables are ``caller`` goes this way; ``picked``: the
        variables of the customer whose account the caller keys in, for a path that picks one
        (None: such a path does not fit)."""
        return self._variables(caller, picked) is not None

    def for_caller(
        self, caller: Mapping[str, str], picked: Mapping[str, str] | None = None
    ) -> IvrPath:
        """This path with each say node's sounds for this caller's values (what the engine
        plays: nothing at all when the value is missing or cannot be said). Raises ValueError
        when the caller does not fit the path."""
        seen = self._variables(caller, picked)
        if seen is None:
            raise ValueError(f"the caller does not go the way {'>'.join(self.nodes)}")
        steps = []
        for step, variables in zip(self.steps, seen, strict=True):
            if step.says is not None:
                what, var, currency = step.says
                value = variables.get(var, "")
                spoken = speak(what, value, step.language, currency) if value else None
                step = dataclasses.replace(
                    step,
                    says=None,
                    sounds=step.sounds + spoken if spoken is not None else (),
                    after_sounds=step.after_sounds if spoken is not None else (),
                )
            steps.append(step)
        return dataclasses.replace(self, steps=tuple(steps))

    def _variables(
        self, caller: Mapping[str, str], picked: Mapping[str, str] | None
    ) -> list[dict[str, str]] | None:
        """The variables at each step (as the step's requirements see them), or None when a
        requirement is not met."""
        variables = dict(caller)
        seen = []
        for step in self.steps:
            if step.picks_customer:
                if picked is None:
                    return None
                variables = {
                    k: v for k, v in variables.items() if _group(k) not in _RECORD_GROUPS
                } | dict(picked)
            if not all(requirement.met(variables) for requirement in step.requires):
                return None
            seen.append(dict(variables))
            variables.update(step.sets)
        return seen


# --- the always-open flow ----------------------------------------------------------------------


def always_open(flow: Flow) -> Flow:
    """``flow`` with every calendar open round the clock and without holidays (time zones
    kept): the flow the demo runs, so that it works at any hour."""
    whole_day = ((TimeOfDay(0, 0), TimeOfDay(23, 59, 59, 999999)),)
    calendars = {
        name: Calendar(name, calendar.timezone, (whole_day,) * 7, frozenset())
        for name, calendar in flow.calendars.items()
    }
    return dataclasses.replace(flow, calendars=calendars)


# --- the walk ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Branch:
    """One way out of a node: the step the caller takes there, where they go next (None: the
    IVR ends here, with ``end``)."""

    step: IvrStep
    next: str | None
    end: tuple[PathEnd, str, str | None] | None = None  # (end, outcome, queue)
    language: str | None = None  # the language from here on, when the node changes it
    saves: str = ""  # "complaint" or "callback": what the hang-up's outcome will say


@dataclass(frozen=True)
class _State:
    steps: tuple[IvrStep, ...] = ()
    visited: frozenset[str] = frozenset()
    language: str = ""
    known: tuple[Requirement, ...] = ()
    """The requirements met so far about the caller's current record."""
    saved: frozenset[str] = frozenset()
    first_known: tuple[Requirement, ...] | None = None
    """``known`` before the caller keyed in an account (what the caller-ID lookup found)."""


def ivr_paths(flow: Flow) -> list[IvrPath]:
    """Every loop-free way through ``flow`` from its start, for an open calendar, in the
    order of the flow's edges (see the module docstring for what is left out)."""
    walker = _Walker(flow)
    return list(walker.walk(flow.start, _State(language=flow.default_language)))


class _Walker:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow

    def walk(self, node_id: str, state: _State) -> Iterator[IvrPath]:
        node = self.flow.nodes.get(node_id)
        if node is None or node_id in state.visited:
            return
        for branch in self.branches(node, state):
            step = branch.step
            known = state.known
            first_known = state.first_known
            if step.picks_customer:
                # A new record: what was known of the old one says nothing about it.
                first_known = state.known if first_known is None else first_known
                known = tuple(r for r in known if _group(r.var) not in ("customer",))
            known = known + step.requires
            if not _consistent(known):
                continue
            following = _State(
                steps=(*state.steps, step),
                visited=state.visited | {node_id},
                language=branch.language or state.language,
                known=known,
                saved=state.saved | ({branch.saves} if branch.saves else set()),
                first_known=first_known,
            )
            if branch.end is not None:
                yield self.finish(following, *branch.end)
            elif branch.next is not None:
                yield from self.walk(branch.next, following)

    def finish(self, state: _State, end: PathEnd, outcome: str, queue: str | None) -> IvrPath:
        if end == "self_service":
            if "complaint" in state.saved:
                end, outcome = "complaint", "complaint"
            elif "callback" in state.saved:
                end, outcome = "callback", "callback"
        if end == "queue":
            goal = f"queue:{queue}"
        elif end == "self_service":
            served = _served(state.steps)
            goal = f"self_service:{'+'.join(served)}" if served else "self_service"
        else:
            goal = end
        first = state.first_known if state.first_known is not None else state.known
        return IvrPath(
            steps=state.steps,
            end=end,
            outcome=outcome,
            goal=goal,
            callers=_caller_kinds(first),
            queue=queue,
        )

    def sounds(self, prompts: Sequence[str], language: str) -> tuple[str, ...]:
        found: list[str] = []
        for prompt in prompts:
            found.extend(self.flow.prompts[prompt].sounds(self.flow.name, language))
        return tuple(found)

    def branches(self, node: Node, state: _State) -> list[_Branch]:
        lang = state.language
        step = IvrStep(node.id, node_kind(node), lang)
        sounds = self.sounds
        if isinstance(node, Play):
            return [
                _Branch(dataclasses.replace(step, sounds=sounds(node.prompts, lang)), node.next)
            ]
        if isinstance(node, Menu):
            menu = dataclasses.replace(
                step,
                sounds=sounds(node.prompts, lang),
                interruptible=node.barge_in,
                input="keys",
            )
            return [
                _Branch(dataclasses.replace(menu, keys=key), target)
                for key, target in node.choices.items()
            ]
        if isinstance(node, Language):
            return self.language_branches(node, step)
        if isinstance(node, Collect):
            entry = dataclasses.replace(
                step,
                sounds=sounds(node.prompts, lang),
                interruptible=True,
                input="entry",
                keys=node.terminator,
                enters=node.store,
                confirm=YES if node.confirm_prompts else "",
                picks_customer=node.validate == "crm_account",
                requires=(_requires("customer.id", "exists"),)
                if node.validate == "crm_account"
                else (),
            )
            return [_Branch(entry, node.next)]
        if isinstance(node, Lookup):
            return self.lookup_branches(node, step)
        if isinstance(node, Condition):
            return self.condition_branches(node, step)
        if isinstance(node, Say):
            say = dataclasses.replace(
                step,
                sounds=sounds(node.prompts, lang),
                says=(node.what, node.var, node.currency),
                after_sounds=sounds(node.after_prompts, lang),
            )
            if node.on_missing is None:
                # Said or not, the caller goes on to the same node.
                return [_Branch(say, node.next)]
            return [
                _Branch(
                    dataclasses.replace(say, requires=(_requires(node.var, "exists"),)),
                    node.next,
                ),
                _Branch(
                    dataclasses.replace(
                        step, requires=(_requires(node.var, "missing"),), says=None
                    ),
                    node.on_missing,
                ),
            ]
        if isinstance(node, SetVars):
            return [_Branch(dataclasses.replace(step, sets=tuple(node.values.items())), node.next)]
        if isinstance(node, QueueRoute):
            return self.queue_branches(node, step)
        if isinstance(node, TransferTo):
            played = dataclasses.replace(step, sounds=sounds(node.prompts, lang))
            return [_Branch(played, None, ("transfer", "transferred", None))]
        if isinstance(node, VoicemailTo):
            played = dataclasses.replace(step, sounds=sounds(node.prompts, lang))
            return [_Branch(played, None, ("voicemail", "voicemail", None))]
        if isinstance(node, Callback):
            callback = dataclasses.replace(
                step,
                sounds=sounds(node.prompts, lang),
                after_sounds=sounds(node.done_prompts, lang),
            )
            if node.confirm_prompts:
                callback = dataclasses.replace(callback, interruptible=True, input="keys", keys=YES)
            return [_Branch(callback, node.next, saves="callback")]
        if isinstance(node, Complaint):
            complaint = dataclasses.replace(
                step,
                # RECORD FILE beeps before it records.
                sounds=(*sounds(node.prompts, lang), "beep"),
                input="recording",
                keys="#",
                after_sounds=sounds(node.done_prompts, lang),
            )
            return [_Branch(complaint, node.next, saves="complaint")]
        if isinstance(node, Survey):
            survey = dataclasses.replace(
                step,
                sounds=sounds(node.prompts, lang),
                interruptible=True,
                input="keys",
                keys=SURVEY_SCORE,
                after_sounds=sounds(node.done_prompts, lang),
            )
            return [_Branch(survey, node.next)]
        assert isinstance(node, Hangup)
        played = dataclasses.replace(step, sounds=sounds(node.prompts, lang))
        return [_Branch(played, None, ("self_service", "self_served", None))]

    def language_branches(self, node: Language, step: IvrStep) -> list[_Branch]:
        languages = self.flow.languages
        branches = []
        if node.use_customer:
            # The customer's own language, when the CRM has one the flow speaks: no question.
            for language in languages:
                own = dataclasses.replace(
                    step, requires=(_requires("customer.language", "eq", language),)
                )
                branches.append(_Branch(own, node.next, language=language))
            asked = dataclasses.replace(
                step, requires=(_requires("customer.language", "in", list(languages), False),)
            )
        else:
            asked = step
        if node.choices:
            ask = dataclasses.replace(
                asked,
                sounds=self.sounds(node.prompts, step.language),
                interruptible=True,
                input="keys",
            )
            for key, language in node.choices.items():
                if language in languages:
                    branches.append(
                        _Branch(dataclasses.replace(ask, keys=key), node.next, language=language)
                    )
        else:
            branches.append(_Branch(asked, node.next, language=self.flow.default_language))
        return branches

    def lookup_branches(self, node: Lookup, step: IvrStep) -> list[_Branch]:
        if node.by == "ticket":
            found = (_requires("customer.id", "exists"), _requires("ticket.id", "exists"))
            return [
                _Branch(dataclasses.replace(step, requires=found), node.found),
                _Branch(
                    dataclasses.replace(step, requires=(_requires("ticket.id", "missing"),)),
                    node.not_found,
                ),
            ]
        if node.by == "account":
            # The account keyed in earlier is a customer's: that customer is the caller's
            # record from here on.
            picked = dataclasses.replace(
                step, picks_customer=True, requires=(_requires("customer.id", "exists"),)
            )
            return [_Branch(picked, node.found)]
        return [
            _Branch(
                dataclasses.replace(step, requires=(_requires("customer.id", "exists"),)),
                node.found,
            ),
            _Branch(
                dataclasses.replace(step, requires=(_requires("customer.id", "missing"),)),
                node.not_found,
            ),
        ]

    def condition_branches(self, node: Condition, step: IvrStep) -> list[_Branch]:
        branches: list[_Branch] = []
        earlier: list[Requirement] = []  # the cases before this one did not hold
        for test, target in node.cases:
            if test.kind != "var":
                if test.kind == "open":  # open round the clock: this case always holds
                    return [
                        *branches,
                        _Branch(dataclasses.replace(step, requires=tuple(earlier)), target),
                    ]
                continue  # closed, holiday: never
            this = Requirement(test, True)
            branches.append(_Branch(dataclasses.replace(step, requires=(*earlier, this)), target))
            earlier.append(Requirement(test, False))
        branches.append(_Branch(dataclasses.replace(step, requires=tuple(earlier)), node.otherwise))
        return branches

    def queue_branches(self, node: QueueRoute, step: IvrStep) -> list[_Branch]:
        played = dataclasses.replace(step, sounds=self.sounds(node.prompts, step.language))
        # The engine routes by Tier.parse(customer.tier): no customer is a standard caller.
        special = {tier: queue for tier, queue in node.by_tier.items() if queue != node.queue}
        branches = []
        for tier, queue in special.items():
            branches.append(
                _Branch(
                    dataclasses.replace(played, requires=(_tier_is([tier]),)),
                    None,
                    ("queue", "queued", queue),
                )
            )
        others = [tier for tier in _TIERS if tier not in special]
        requires = (_tier_is(others),) if special else ()
        branches.append(
            _Branch(
                dataclasses.replace(played, requires=requires),
                None,
                ("queue", "queued", node.queue),
            )
        )
        return branches


def _tier_is(tiers: Sequence[str]) -> Requirement:
    """The caller's tier (standard when there is no customer) is one of ``tiers``."""
    if Tier.STANDARD.value in tiers:
        return _requires("customer.tier", "in", [t for t in _TIERS if t not in tiers], holds=False)
    return _requires("customer.tier", "in", list(tiers))


def _group(var: str) -> str:
    return var.split(".", 1)[0] if "." in var else ""


def _served(steps: Sequence[IvrStep]) -> list[str]:
    """What a self-service caller was told about, in order: ``balance`` for a say node of
    ``customer.balance``, ``ticket`` for a ticket lookup or a say node of ``ticket.*``."""
    served: list[str] = []
    for step in steps:
        what = ""
        if step.kind == "lookup" and any(r.var.startswith("ticket.") for r in step.requires):
            what = "ticket"
        elif step.kind == "say":
            # Said, or missing (the way on_missing takes): either way, what was asked about.
            var = step.says[1] if step.says is not None else step.requires[0].var
            what = var.rsplit(".", 1)[-1] if _group(var) == "customer" else _group(var) or var
        if what and what not in served:
            served.append(what)
    return served


# --- can the requirements all be met? ---------------------------------------------------------


def _candidates(
    var: str, requirements: Sequence[Requirement], present: bool | None
) -> set[str | None]:
    """Values worth trying for ``var``: every value its tests name, numbers either side of
    their limits, one that none names, and none at all. ``present``: whether the record the
    variable belongs to exists (None: not a record variable)."""
    if present is False:
        return {None}
    group = _group(var)
    if present and var == f"{group}.id":
        return {"1"}
    if present and var == "customer.tier":
        return set(_TIERS)  # the engine always sets a found customer's tier
    values: set[str | None] = {None, "", _OTHER}
    for requirement in requirements:
        test = requirement.test
        if test.op in ("eq", "ne"):
            values.add(_as_text(test.value))
        elif test.op in ("in", "not_in"):
            values.update(_as_text(item) for item in test.value)
        elif test.op in ("lt", "le", "gt", "ge"):
            limit = float(test.value)
            values.update(f"{limit + delta:g}" for delta in (-1, 0, 1))
    return values


def _as_text(value: object) -> str:
    """A test's value as the engine compares it (lower-case text; true/false for flags)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


def _consistent(requirements: Sequence[Requirement]) -> bool:
    """Whether some caller meets all ``requirements``: a record group (``customer``,
    ``ticket``) is either there, its ``id`` set, or not, all its variables unset; other
    variables are independent."""
    by_var: dict[str, list[Requirement]] = {}
    for requirement in requirements:
        by_var.setdefault(requirement.var, []).append(requirement)
    groups = sorted({_group(var) for var in by_var} & set(_RECORD_GROUPS))
    for presence in _presences(groups):
        if all(
            any(
                all(r.met({var: value} if value is not None else {}) for r in reqs)
                for value in _candidates(var, reqs, presence.get(_group(var)))
            )
            for var, reqs in by_var.items()
        ):
            return True
    return False


def _presences(groups: Sequence[str]) -> Iterator[dict[str, bool]]:
    if not groups:
        yield {}
        return
    for rest in _presences(groups[1:]):
        for present in (True, False):
            yield {groups[0]: present, **rest}


def _caller_kinds(requirements: Sequence[Requirement]) -> frozenset[CallerKind]:
    """Which callers meet ``requirements`` (what was required of the caller-ID record)."""
    kinds: list[CallerKind] = []
    if _consistent([*requirements, _requires("customer.id", "missing")]):
        kinds.append("unknown")
    present = _requires("customer.id", "exists")
    if _consistent([*requirements, present, _requires("customer.tier", "ne", "vip")]):
        kinds.append("known")
    if _consistent([*requirements, present, _requires("customer.tier", "eq", "vip")]):
        kinds.append("vip")
    return frozenset(kinds)
