"""What the IVR engine asks a transport to do (actions), and what it hears back (events).

The engine is sans-I/O: it hands out one action at a time and is fed the event that action
produced. A transport (the FastAGI server, a classic AGI script, a test) carries actions out
on a real channel or database. Final actions end the engine's part of the call; the transport
then moves the caller on (a queue, an extension, voicemail) or hangs up.

Sound names are what Asterisk plays: ``digits/5`` or ``asterisk-cc/hotline/welcome``, looked
up by Asterisk in the directory of the channel's language (set by :class:`SetLanguage`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "Action",
    "DigitsRead",
    "Done",
    "Event",
    "Failed",
    "Failover",
    "FinalAction",
    "Found",
    "HangUp",
    "HungUp",
    "LookupCustomer",
    "LookupTicket",
    "NotFound",
    "OpenComplaint",
    "Play",
    "PlayDone",
    "ReadDigits",
    "RecordMessage",
    "Recorded",
    "RouteToQueue",
    "SaveCallback",
    "SaveSurvey",
    "Saved",
    "SetLanguage",
    "Transfer",
    "Voicemail",
]

ALL_KEYS = "0123456789*#"


# --- actions that wait for an event --------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Play the sounds in order; a key in ``interrupt`` stops them. → :class:`PlayDone`."""

    sounds: tuple[str, ...]
    interrupt: str = ""


@dataclass(frozen=True)
class ReadDigits:
    """Play ``sounds`` (a key interrupts them when ``barge_in``), then collect up to
    ``max_digits`` keys: wait ``first_timeout_ms`` for the first, ``inter_digit_timeout_ms``
    between the next; ``terminator`` (if any) ends input early and is not returned.
    → :class:`DigitsRead`."""

    sounds: tuple[str, ...]
    max_digits: int
    first_timeout_ms: int
    inter_digit_timeout_ms: int = 3000
    terminator: str = ""
    barge_in: bool = True


@dataclass(frozen=True)
class SetLanguage:
    """Set the channel's language (``en``, ``zh``) so Asterisk finds the sounds. → Done."""

    language: str


@dataclass(frozen=True)
class LookupCustomer:
    """Find the customer by ``caller_id`` (``value`` = the caller's number) or by ``account``
    (``value`` = the digits entered). → :class:`Found` (the customer's fields),
    :class:`NotFound` or :class:`Failed`."""

    by: str
    value: str


@dataclass(frozen=True)
class LookupTicket:
    """The newest complaint ticket of ``customer_id``. → Found (``id``, ``state``, …),
    NotFound or Failed."""

    customer_id: str


@dataclass(frozen=True)
class RecordMessage:
    """Record the caller (after a beep) for up to ``max_s`` seconds, ending on ``silence_s``
    of silence or the ``#`` key. → :class:`Recorded` or Failed."""

    max_s: int
    silence_s: int


@dataclass(frozen=True)
class SaveCallback:
    """Record a callback request for ``phone`` into ``queue`` (the caller keeps their place:
    the request's time is now). → :class:`Saved` or Failed."""

    phone: str
    queue: str
    customer_id: str = ""


@dataclass(frozen=True)
class OpenComplaint:
    """Open a complaint ticket with the caller's recorded description. → Saved (the ticket
    number) or Failed."""

    category: str
    recording_ref: str
    customer_id: str = ""
    caller_number: str = ""


@dataclass(frozen=True)
class SaveSurvey:
    """Store a satisfaction score (1–5) for this call. → Saved or Failed."""

    question: str
    score: int


# --- final actions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteToQueue:
    """Send the caller into app_queue ``queue`` with ``priority`` (QUEUE_PRIO), waiting at most
    ``timeout_s`` (None: no limit), with ``variables`` on the channel for the agent's screen."""

    queue: str
    priority: int
    timeout_s: int | None
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Transfer:
    """Continue the call in the dialplan at ``extension@context``."""

    context: str
    extension: str


@dataclass(frozen=True)
class Voicemail:
    """Let the caller leave a message in ``mailbox`` (``box@context`` of voicemail.conf)."""

    mailbox: str


@dataclass(frozen=True)
class HangUp:
    """End the call (the goodbye has been played)."""


@dataclass(frozen=True)
class Failover:
    """Something failed: the transport sends the caller to the failover (an apology and the
    default queue). ``reason`` is for the log, never for the caller."""

    reason: str


Action = (
    Play
    | ReadDigits
    | SetLanguage
    | LookupCustomer
    | LookupTicket
    | RecordMessage
    | SaveCallback
    | OpenComplaint
    | SaveSurvey
    | RouteToQueue
    | Transfer
    | Voicemail
    | HangUp
    | Failover
)
FinalAction = RouteToQueue | Transfer | Voicemail | HangUp | Failover
FINAL_ACTIONS = (RouteToQueue, Transfer, Voicemail, HangUp, Failover)


# --- events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlayDone:
    """The sounds were played; ``digit`` is the key that interrupted them, if any."""

    digit: str | None = None


@dataclass(frozen=True)
class DigitsRead:
    """The keys pressed (terminator removed); ``timed_out`` when input ended by waiting."""

    digits: str
    timed_out: bool = False


@dataclass(frozen=True)
class Done:
    """The action is done."""


@dataclass(frozen=True)
class Found:
    """The record looked up, as text fields."""

    record: Mapping[str, str]


@dataclass(frozen=True)
class NotFound:
    """Nothing matched."""


@dataclass(frozen=True)
class Recorded:
    """The caller's message: where it is (``ref``) and how long."""

    ref: str
    duration_s: float


@dataclass(frozen=True)
class Saved:
    """The record was stored; ``ref`` is its number (a ticket number, a request id)."""

    ref: str


@dataclass(frozen=True)
class Failed:
    """The action failed (database down, lookup timed out, recording failed)."""

    reason: str


@dataclass(frozen=True)
class HungUp:
    """The caller hung up."""


Event = PlayDone | DigitsRead | Done | Found | NotFound | Recorded | Saved | Failed | HungUp
