"""IVR flows as data: the nodes a caller moves through, their prompts, calendars and priorities.

A flow file (TOML, see docs/ivr.md) is read by the adapter into a plain mapping; here the
mapping becomes a typed :class:`Flow`, or a :class:`FlowError` that lists every problem with
the key it is at (``nodes.main_menu.choices.2: ...``) — all of them at once, so an admin fixes
a file in one go. Whether the nodes link up (unknown targets, unreachable nodes, menus with no
way out) and whether sounds and queues exist is checked by :mod:`asterisk_cc.core.ivr.validate`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asterisk_cc.core.customers import Tier
from asterisk_cc.core.ivr.calendar import Calendar, CalendarError

__all__ = [
    "NODE_KINDS",
    "Callback",
    "Collect",
    "Complaint",
    "Condition",
    "Flow",
    "FlowError",
    "Hangup",
    "Language",
    "Lookup",
    "Menu",
    "Node",
    "Play",
    "Prompt",
    "QueueRoute",
    "Say",
    "SetVars",
    "Survey",
    "Test",
    "TransferTo",
    "VoicemailTo",
    "parse_flow",
]

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
VARIABLE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
KEYS = frozenset("0123456789*#")
LANGUAGES = ("en", "zh")
DEFAULT_PRIORITIES: Mapping[str, int] = {Tier.VIP: 10, Tier.GOLD: 5, Tier.STANDARD: 0}
TEST_OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "exists", "missing")
VALIDATORS = ("luhn", "crm_account")
SAY_KINDS = ("digits", "number", "amount", "date")


class FlowError(ValueError):
    """A flow file that cannot be used, with every problem found."""

    def __init__(self, flow: str, problems: list[str]) -> None:
        self.flow = flow
        self.problems = problems
        super().__init__(f"IVR flow {flow}: " + "; ".join(problems))


@dataclass(frozen=True)
class Prompt:
    """A prompt in each language: the text (what a recording says, and what the prompt builder
    speaks when there is no recording), and optionally stock sound files that say it."""

    id: str
    texts: Mapping[str, str]
    files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def sounds(self, flow: str, language: str) -> tuple[str, ...]:
        """What Asterisk plays for this prompt in ``language``."""
        return self.files.get(language) or (f"asterisk-cc/{flow}/{self.id}",)


# --- nodes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    id: str
    prompts: tuple[str, ...]
    next: str


@dataclass(frozen=True)
class Menu:
    id: str
    prompts: tuple[str, ...]
    choices: Mapping[str, str]
    on_exhausted: str
    timeout_s: float = 5.0
    max_tries: int = 3
    invalid_prompts: tuple[str, ...] = ()
    timeout_prompts: tuple[str, ...] = ()
    barge_in: bool = True


@dataclass(frozen=True)
class Collect:
    id: str
    prompts: tuple[str, ...]
    store: str
    next: str
    on_exhausted: str
    min_digits: int = 1
    max_digits: int = 20
    terminator: str = "#"
    timeout_s: float = 8.0
    inter_digit_timeout_s: float = 4.0
    max_tries: int = 3
    validate: str | None = None
    readback_prompts: tuple[str, ...] = ()
    confirm_prompts: tuple[str, ...] = ()
    invalid_prompts: tuple[str, ...] = ()
    mask: bool = False
    on_error: str | None = None


@dataclass(frozen=True)
class Lookup:
    id: str
    by: str  # caller_id | account | ticket
    found: str
    not_found: str
    var: str = ""
    on_error: str | None = None


@dataclass(frozen=True)
class Test:
    """One condition: ``open``/``holiday`` of a calendar, or a variable compared to a value."""

    kind: str  # open | closed | holiday | var
    calendar: str = ""
    var: str = ""
    op: str = ""
    value: Any = None


@dataclass(frozen=True)
class Condition:
    id: str
    cases: tuple[tuple[Test, str], ...]
    otherwise: str


@dataclass(frozen=True)
class Say:
    id: str
    what: str  # digits | number | amount | date
    var: str
    next: str
    prompts: tuple[str, ...] = ()
    after_prompts: tuple[str, ...] = ()
    currency: str = "CNY"
    on_missing: str | None = None


@dataclass(frozen=True)
class Language:
    id: str
    next: str
    prompts: tuple[str, ...] = ()
    choices: Mapping[str, str] = field(default_factory=dict)
    use_customer: bool = True
    timeout_s: float = 4.0


@dataclass(frozen=True)
class SetVars:
    id: str
    values: Mapping[str, str]
    next: str


@dataclass(frozen=True)
class QueueRoute:
    id: str
    queue: str
    by_tier: Mapping[str, str] = field(default_factory=dict)
    prompts: tuple[str, ...] = ()
    timeout_s: int | None = None
    survey: str = ""
    # Skill by tier: only members whose penalty (skill level) is at most this are rung.
    max_penalty: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TransferTo:
    id: str
    extension: str
    context: str
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True)
class VoicemailTo:
    id: str
    mailbox: str
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Callback:
    id: str
    queue: str
    next: str
    prompts: tuple[str, ...] = ()
    confirm_prompts: tuple[str, ...] = ()
    done_prompts: tuple[str, ...] = ()
    other_number: str | None = None
    on_error: str | None = None


@dataclass(frozen=True)
class Complaint:
    id: str
    next: str
    prompts: tuple[str, ...] = ()
    done_prompts: tuple[str, ...] = ()
    category: str = "general"
    max_s: int = 120
    silence_s: int = 5
    on_error: str | None = None


@dataclass(frozen=True)
class Survey:
    id: str
    next: str
    prompts: tuple[str, ...] = ()
    question: str = "csat"
    done_prompts: tuple[str, ...] = ()
    invalid_prompts: tuple[str, ...] = ()
    timeout_s: float = 6.0
    max_tries: int = 2


@dataclass(frozen=True)
class Hangup:
    id: str
    prompts: tuple[str, ...] = ()


Node = (
    Play
    | Menu
    | Collect
    | Lookup
    | Condition
    | Say
    | Language
    | SetVars
    | QueueRoute
    | TransferTo
    | VoicemailTo
    | Callback
    | Complaint
    | Survey
    | Hangup
)
FINAL_NODES = (QueueRoute, TransferTo, VoicemailTo, Hangup)


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    nodes: Mapping[str, Node]
    prompts: Mapping[str, Prompt]
    languages: tuple[str, ...] = ("en",)
    default_language: str = "en"
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    priorities: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITIES))
    description: str = ""

    def targets(self, node: Node) -> Iterator[tuple[str, str]]:
        """``(key, target node id)`` for every edge leaving ``node``."""
        for key, value in _edges(node):
            if value:
                yield key, value

    def prompt_ids(self, node: Node) -> Iterator[tuple[str, str]]:
        """``(key, prompt id)`` for every prompt ``node`` plays."""
        for name in _PROMPT_FIELDS:
            for index, prompt in enumerate(getattr(node, name, ())):
                yield f"{name}[{index}]", prompt


_PROMPT_FIELDS = (
    "prompts",
    "invalid_prompts",
    "timeout_prompts",
    "readback_prompts",
    "confirm_prompts",
    "after_prompts",
    "done_prompts",
)


def _edges(node: Node) -> Iterator[tuple[str, str | None]]:
    """In the order a reader follows them: choices and cases, the way on, then the ways out."""
    if isinstance(node, Menu):
        for key, target in node.choices.items():
            yield f"choices.{key}", target
    if isinstance(node, Condition):
        for index, (_, target) in enumerate(node.cases):
            yield f"when[{index}].goto", target
    for name in ("found", "next", "not_found", "otherwise", "on_exhausted"):
        if hasattr(node, name):
            yield name, getattr(node, name)
    for name in ("other_number", "on_missing", "on_error"):
        if hasattr(node, name):
            yield name, getattr(node, name)


# --- parsing ---------------------------------------------------------------------------------

T = TypeVar("T")


class _Reader:
    """Reads typed values out of nested mappings, collecting every problem with its key."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def get(self, data: Mapping[str, Any], key: str, where: str, kind: type[T], default: T) -> T:
        if key not in data:
            return default
        value = data[key]
        # bool is an int in Python: a flag is not a number, and a number is not a flag.
        wrong_bool = isinstance(value, bool) != (kind is bool)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # type: ignore[return-value]
        if not isinstance(value, kind) or wrong_bool:
            self.problem(f"{where}.{key}", f"must be {_KIND_NAMES.get(kind, kind.__name__)}")
            return default
        return value

    def required(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = self.get(data, key, where, str, "")
        if key not in data:
            self.problem(f"{where}.{key}", "is missing")
        return value

    def name_list(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"{where}.{key}", 'must be a list of prompt names, e.g. ["welcome"]')
            return ()
        return tuple(value)

    def mapping(self, data: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            self.problem(f"{where}.{key}", "must be a table")
            return {}
        return dict(value)

    def positive(self, value: float, key: str) -> None:
        if value <= 0:
            self.problem(key, f"must be more than 0, not {value:g}")


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}

# Keys every node kind accepts, besides "kind"; anything else is a typo worth naming.
_NODE_KEYS: dict[str, set[str]] = {
    "play": {"prompts", "next"},
    "menu": {
        "prompts",
        "choices",
        "on_exhausted",
        "timeout_s",
        "max_tries",
        "invalid_prompts",
        "timeout_prompts",
        "barge_in",
    },
    "collect": {
        "prompts",
        "store",
        "next",
        "on_exhausted",
        "min_digits",
        "max_digits",
        "terminator",
        "timeout_s",
        "inter_digit_timeout_s",
        "max_tries",
        "validate",
        "readback_prompts",
        "confirm_prompts",
        "invalid_prompts",
        "mask",
        "on_error",
    },
    "lookup": {"by", "var", "found", "not_found", "on_error"},
    "condition": {"when", "otherwise"},
    "say": {"what", "var", "next", "prompts", "after_prompts", "currency", "on_missing"},
    "language": {"next", "prompts", "choices", "use_customer", "timeout_s"},
    "set": {"values", "next"},
    "queue": {"queue", "by_tier", "prompts", "timeout_s", "survey", "max_penalty"},
    "transfer": {"extension", "context", "prompts"},
    "voicemail": {"mailbox", "prompts"},
    "callback": {
        "queue",
        "next",
        "prompts",
        "confirm_prompts",
        "done_prompts",
        "other_number",
        "on_error",
    },
    "complaint": {
        "next",
        "prompts",
        "done_prompts",
        "category",
        "max_s",
        "silence_s",
        "on_error",
    },
    "survey": {
        "next",
        "prompts",
        "question",
        "done_prompts",
        "invalid_prompts",
        "timeout_s",
        "max_tries",
    },
    "hangup": {"prompts"},
}
NODE_KINDS = tuple(_NODE_KEYS)
_EXTENSION = re.compile(r"^[0-9A-Za-z*#+_.-]{1,64}$")
_CONTEXT = re.compile(r"^[A-Za-z0-9_-]{1,79}$")
_MAILBOX = re.compile(r"^[0-9A-Za-z_-]{1,32}(@[A-Za-z0-9_-]{1,79})?$")
_QUEUE = re.compile(r"^[0-9a-z][0-9a-z_-]{1,127}$")


def parse_flow(name: str, data: Mapping[str, Any], *, default_timezone: str = "UTC") -> Flow:
    """The flow described by ``data`` (a parsed flow file), or FlowError with every problem."""
    r = _Reader()
    unknown = set(data) - {"flow", "prompts", "nodes", "calendars", "priorities"}
    for key in sorted(unknown):
        r.problem(key, "unknown section; use [flow], [prompts], [nodes], [calendars], [priorities]")
    head = r.mapping(data, "flow", "")
    for key in sorted(set(head) - {"start", "languages", "default_language", "description"}):
        r.problem(f"flow.{key}", "unknown key; use start, languages, default_language, description")
    start = r.required(head, "start", "flow")
    languages = tuple(r.name_list(head, "languages", "flow")) or ("en",)
    for language in languages:
        if language not in LANGUAGES:
            r.problem("flow.languages", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    default_language = r.get(head, "default_language", "flow", str, languages[0])
    if default_language not in languages:
        r.problem("flow.default_language", f"{default_language!r} is not in flow.languages")

    prompts = _parse_prompts(r, r.mapping(data, "prompts", ""), languages)
    calendars = {}
    for cal_name, cal_data in r.mapping(data, "calendars", "").items():
        if not isinstance(cal_data, Mapping):
            r.problem(f"calendars.{cal_name}", "must be a table")
            continue
        try:
            calendars[cal_name] = Calendar.from_mapping(cal_name, cal_data, default_timezone)
        except CalendarError as exc:
            r.problem(f"calendars.{cal_name}", str(exc))
    priorities = dict(DEFAULT_PRIORITIES)
    for tier, value in r.mapping(data, "priorities", "").items():
        if tier not in {t.value for t in Tier}:
            r.problem(f"priorities.{tier}", f"unknown tier; use {', '.join(t.value for t in Tier)}")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            r.problem(f"priorities.{tier}", "must be a whole number 0 or more (QUEUE_PRIO)")
        else:
            priorities[tier] = value

    nodes: dict[str, Node] = {}
    for node_id, node_data in r.mapping(data, "nodes", "").items():
        where = f"nodes.{node_id}"
        if not NAME.match(node_id):
            r.problem(where, "node names are lower-case letters, digits and _ (max 64)")
            continue
        if not isinstance(node_data, Mapping):
            r.problem(where, "must be a table")
            continue
        node = _parse_node(r, node_id, node_data, where, calendars)
        if node is not None:
            nodes[node_id] = node
    if not nodes:
        r.problem("nodes", "the flow has no nodes")
    if r.problems:
        raise FlowError(name, r.problems)
    return Flow(
        name=name,
        start=start,
        nodes=nodes,
        prompts=prompts,
        languages=languages,
        default_language=default_language,
        calendars=calendars,
        priorities=priorities,
        description=str(head.get("description", "")),
    )


def _parse_prompts(
    r: _Reader, data: Mapping[str, Any], languages: tuple[str, ...]
) -> dict[str, Prompt]:
    prompts = {}
    for prompt_id, entry in data.items():
        where = f"prompts.{prompt_id}"
        if not NAME.match(prompt_id):
            r.problem(where, "prompt names are lower-case letters, digits and _ (max 64)")
            continue
        if not isinstance(entry, Mapping):
            r.problem(where, 'must be a table like { en = "Welcome", zh = "欢迎" }')
            continue
        texts: dict[str, str] = {}
        files: dict[str, tuple[str, ...]] = {}
        for key, value in entry.items():
            if key in LANGUAGES and isinstance(value, str) and value.strip():
                texts[key] = value.strip()
            elif key.endswith("_files") and key[: -len("_files")] in LANGUAGES:
                names = r.name_list(entry, key, where)
                for sound in names:
                    if not re.match(r"^[A-Za-z0-9_/-]+$", sound) or ".." in sound:
                        r.problem(f"{where}.{key}", f"{sound!r} is not a sound name")
                files[key[: -len("_files")]] = names
            else:
                r.problem(
                    f"{where}.{key}",
                    'use en/zh = "text" and en_files/zh_files = ["sound", ...]',
                )
        for language in languages:
            if language not in texts:
                r.problem(where, f"has no {language} text (every prompt says what it says)")
        prompts[prompt_id] = Prompt(prompt_id, texts, files)
    return prompts


def _parse_node(
    r: _Reader,
    node_id: str,
    data: Mapping[str, Any],
    where: str,
    calendars: Mapping[str, Calendar],
) -> Node | None:
    kind = data.get("kind")
    if kind not in _NODE_KEYS:
        hint = _did_you_mean(str(kind), NODE_KINDS)
        r.problem(
            f"{where}.kind", f"{kind!r} is not a node kind{hint}; kinds: {', '.join(NODE_KINDS)}"
        )
        return None
    for key in sorted(set(data) - _NODE_KEYS[kind] - {"kind"}):
        hint = _did_you_mean(key, _NODE_KEYS[kind])
        r.problem(f"{where}.{key}", f"unknown key for a {kind} node{hint}")
    g, prompts = r.get, r.name_list
    optional = _optional_target
    if kind == "play":
        return Play(node_id, prompts(data, "prompts", where), r.required(data, "next", where))
    if kind == "menu":
        choices = _choices(r, data, where, NAME)
        node = Menu(
            node_id,
            prompts(data, "prompts", where),
            choices,
            r.required(data, "on_exhausted", where),
            timeout_s=g(data, "timeout_s", where, float, 5.0),
            max_tries=g(data, "max_tries", where, int, 3),
            invalid_prompts=prompts(data, "invalid_prompts", where),
            timeout_prompts=prompts(data, "timeout_prompts", where),
            barge_in=g(data, "barge_in", where, bool, True),
        )
        if not choices:
            r.problem(f"{where}.choices", "a menu needs at least one choice")
        r.positive(node.timeout_s, f"{where}.timeout_s")
        r.positive(node.max_tries, f"{where}.max_tries")
        return node
    if kind == "collect":
        store = r.required(data, "store", where)
        if store and not VARIABLE.match(store):
            r.problem(f"{where}.store", f"{store!r} is not a variable name like account")
        validate = data.get("validate")
        if validate is not None and validate not in VALIDATORS:
            r.problem(f"{where}.validate", f"use one of {', '.join(VALIDATORS)}")
        terminator = g(data, "terminator", where, str, "#")
        if terminator not in ("", "#", "*"):
            r.problem(f"{where}.terminator", 'use "#", "*" or "" (none)')
        collect = Collect(
            node_id,
            prompts(data, "prompts", where),
            store,
            r.required(data, "next", where),
            r.required(data, "on_exhausted", where),
            min_digits=g(data, "min_digits", where, int, 1),
            max_digits=g(data, "max_digits", where, int, 20),
            terminator=terminator,
            timeout_s=g(data, "timeout_s", where, float, 8.0),
            inter_digit_timeout_s=g(data, "inter_digit_timeout_s", where, float, 4.0),
            max_tries=g(data, "max_tries", where, int, 3),
            validate=validate if isinstance(validate, str) else None,
            readback_prompts=prompts(data, "readback_prompts", where),
            confirm_prompts=prompts(data, "confirm_prompts", where),
            invalid_prompts=prompts(data, "invalid_prompts", where),
            mask=g(data, "mask", where, bool, False),
            on_error=optional(r, data, "on_error", where),
        )
        if not 1 <= collect.min_digits <= collect.max_digits <= 64:
            r.problem(where, "needs 1 <= min_digits <= max_digits <= 64")
        r.positive(collect.timeout_s, f"{where}.timeout_s")
        r.positive(collect.max_tries, f"{where}.max_tries")
        return collect
    if kind == "lookup":
        by = r.required(data, "by", where)
        if by not in ("caller_id", "account", "ticket"):
            r.problem(f"{where}.by", "use caller_id, account (with var) or ticket")
        var = g(data, "var", where, str, "")
        if by == "account" and not VARIABLE.match(var):
            r.problem(f"{where}.var", "name the variable holding the account (a collect's store)")
        return Lookup(
            node_id,
            by,
            r.required(data, "found", where),
            r.required(data, "not_found", where),
            var=var,
            on_error=optional(r, data, "on_error", where),
        )
    if kind == "condition":
        return _parse_condition(r, node_id, data, where, calendars)
    if kind == "say":
        what = r.required(data, "what", where)
        if what not in SAY_KINDS:
            r.problem(f"{where}.what", f"use one of {', '.join(SAY_KINDS)}")
        var = r.required(data, "var", where)
        if var and not VARIABLE.match(var):
            r.problem(f"{where}.var", f"{var!r} is not a variable name like customer.balance")
        currency = g(data, "currency", where, str, "CNY")
        if currency not in ("CNY", "USD"):
            r.problem(f"{where}.currency", "use CNY or USD")
        return Say(
            node_id,
            what,
            var,
            r.required(data, "next", where),
            prompts=prompts(data, "prompts", where),
            after_prompts=prompts(data, "after_prompts", where),
            currency=currency,
            on_missing=optional(r, data, "on_missing", where),
        )
    if kind == "language":
        choices = _choices(r, data, where, re.compile(f"^({'|'.join(LANGUAGES)})$"))
        return Language(
            node_id,
            r.required(data, "next", where),
            prompts=prompts(data, "prompts", where),
            choices=choices,
            use_customer=g(data, "use_customer", where, bool, True),
            timeout_s=g(data, "timeout_s", where, float, 4.0),
        )
    if kind == "set":
        values = {}
        for key, value in r.mapping(data, "values", where).items():
            if not VARIABLE.match(key) or key.startswith(("caller.", "customer.", "ticket.")):
                r.problem(f"{where}.values.{key}", "not a variable name the flow may set")
            elif not isinstance(value, str | int | float) or isinstance(value, bool):
                r.problem(f"{where}.values.{key}", "must be text or a number")
            else:
                values[key] = str(value)
        return SetVars(node_id, values, r.required(data, "next", where))
    if kind == "queue":
        queue = r.required(data, "queue", where)
        by_tier = {}
        for tier, target in r.mapping(data, "by_tier", where).items():
            if tier not in {t.value for t in Tier} or not isinstance(target, str):
                r.problem(f"{where}.by_tier.{tier}", "map a tier (vip, gold, standard) to a queue")
            else:
                by_tier[tier] = target
        for key, value in [("queue", queue), *((f"by_tier.{k}", v) for k, v in by_tier.items())]:
            if value and not _QUEUE.match(value):
                r.problem(
                    f"{where}.{key}",
                    f"{value!r} is not a queue name (lower-case, as in queues.conf)",
                )
        timeout = data.get("timeout_s")
        if timeout is not None and (
            not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0
        ):
            r.problem(f"{where}.timeout_s", "must be a whole number of seconds > 0")
            timeout = None
        survey = g(data, "survey", where, str, "")
        if survey and not NAME.match(survey):
            r.problem(f"{where}.survey", "name a survey flow (lower-case letters, digits, _)")
        max_penalty = {}
        for tier, penalty in r.mapping(data, "max_penalty", where).items():
            if (
                tier not in {t.value for t in Tier}
                or not isinstance(penalty, int)
                or isinstance(penalty, bool)
                or penalty < 0
            ):
                r.problem(
                    f"{where}.max_penalty.{tier}",
                    "map a tier (vip, gold, standard) to a penalty 0 or more",
                )
            else:
                max_penalty[tier] = penalty
        return QueueRoute(
            node_id,
            queue,
            by_tier,
            prompts=prompts(data, "prompts", where),
            timeout_s=timeout,
            survey=survey,
            max_penalty=max_penalty,
        )
    if kind == "transfer":
        extension = r.required(data, "extension", where)
        context = r.required(data, "context", where)
        if extension and not _EXTENSION.match(extension):
            r.problem(f"{where}.extension", f"{extension!r} is not a dialplan extension")
        if context and not _CONTEXT.match(context):
            r.problem(f"{where}.context", f"{context!r} is not a dialplan context name")
        return TransferTo(node_id, extension, context, prompts(data, "prompts", where))
    if kind == "voicemail":
        mailbox = r.required(data, "mailbox", where)
        if mailbox and not _MAILBOX.match(mailbox):
            r.problem(f"{where}.mailbox", f"{mailbox!r} is not a mailbox like 100@default")
        return VoicemailTo(node_id, mailbox, prompts(data, "prompts", where))
    if kind == "callback":
        queue = r.required(data, "queue", where)
        if queue and not _QUEUE.match(queue):
            r.problem(f"{where}.queue", f"{queue!r} is not a queue name")
        return Callback(
            node_id,
            queue,
            r.required(data, "next", where),
            prompts=prompts(data, "prompts", where),
            confirm_prompts=prompts(data, "confirm_prompts", where),
            done_prompts=prompts(data, "done_prompts", where),
            other_number=optional(r, data, "other_number", where),
            on_error=optional(r, data, "on_error", where),
        )
    if kind == "complaint":
        complaint = Complaint(
            node_id,
            r.required(data, "next", where),
            prompts=prompts(data, "prompts", where),
            done_prompts=prompts(data, "done_prompts", where),
            category=g(data, "category", where, str, "general"),
            max_s=g(data, "max_s", where, int, 120),
            silence_s=g(data, "silence_s", where, int, 5),
            on_error=optional(r, data, "on_error", where),
        )
        r.positive(complaint.max_s, f"{where}.max_s")
        r.positive(complaint.silence_s, f"{where}.silence_s")
        return complaint
    if kind == "survey":
        return Survey(
            node_id,
            r.required(data, "next", where),
            prompts=prompts(data, "prompts", where),
            question=g(data, "question", where, str, "csat"),
            done_prompts=prompts(data, "done_prompts", where),
            invalid_prompts=prompts(data, "invalid_prompts", where),
            timeout_s=g(data, "timeout_s", where, float, 6.0),
            max_tries=g(data, "max_tries", where, int, 2),
        )
    return Hangup(node_id, prompts(data, "prompts", where))


def _optional_target(r: _Reader, data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = r.get(data, key, where, str, "")
    return value or None


def _choices(
    r: _Reader, data: Mapping[str, Any], where: str, target: re.Pattern[str]
) -> dict[str, str]:
    choices = {}
    for key, value in r.mapping(data, "choices", where).items():
        if key not in KEYS:
            r.problem(f"{where}.choices.{key}", "a choice is one key: 0-9, * or #")
        elif not isinstance(value, str) or not target.match(value):
            r.problem(f"{where}.choices.{key}", f"{value!r} is not a valid target")
        else:
            choices[key] = value
    return choices


def _parse_condition(
    r: _Reader,
    node_id: str,
    data: Mapping[str, Any],
    where: str,
    calendars: Mapping[str, Calendar],
) -> Condition:
    cases = []
    when = data.get("when", [])
    if not isinstance(when, list) or not when:
        r.problem(f"{where}.when", 'a list of cases like [{ open = "office", goto = "menu" }]')
        when = []
    for index, case in enumerate(when):
        key = f"{where}.when[{index}]"
        if not isinstance(case, Mapping) or not isinstance(case.get("goto"), str):
            r.problem(key, 'each case is a table with goto = "node"')
            continue
        test = _parse_test(r, case, key, calendars)
        if test is not None:
            cases.append((test, case["goto"]))
    return Condition(node_id, tuple(cases), r.required(data, "otherwise", where))


def _parse_test(
    r: _Reader, case: Mapping[str, Any], key: str, calendars: Mapping[str, Calendar]
) -> Test | None:
    for kind in ("open", "closed", "holiday"):
        if kind in case:
            name = case[kind]
            if set(case) - {kind, "goto"}:
                r.problem(key, f"a {kind} case has only {kind} and goto")
            if name not in calendars:
                r.problem(f"{key}.{kind}", f"no calendar {name!r} in [calendars]")
                return None
            return Test(kind, calendar=name)
    var = case.get("var")
    if not isinstance(var, str) or not VARIABLE.match(var):
        r.problem(
            key,
            'test a calendar (open/closed/holiday = "name") or a variable (var = "customer.tier", in = [...])',
        )
        return None
    ops = [op for op in TEST_OPERATORS if op in case]
    extra = set(case) - {"var", "goto", *TEST_OPERATORS}
    if len(ops) != 1 or extra:
        r.problem(key, f"a variable test has exactly one of {', '.join(TEST_OPERATORS)}")
        return None
    op = ops[0]
    value = case[op]
    if op in ("in", "not_in") and not (isinstance(value, list) and value):
        r.problem(f"{key}.{op}", "must be a list of values")
        return None
    if op in ("lt", "le", "gt", "ge") and (
        not isinstance(value, int | float) or isinstance(value, bool)
    ):
        r.problem(f"{key}.{op}", "must be a number")
        return None
    if op in ("exists", "missing") and value is not True:
        r.problem(f"{key}.{op}", "write exists = true or missing = true")
        return None
    return Test("var", var=var, op=op, value=value)


def _did_you_mean(word: str, candidates: Iterator[str] | tuple[str, ...] | set[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
