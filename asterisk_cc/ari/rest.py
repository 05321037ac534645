"""The ARI REST client of the ARI controller: async, over one shared ``httpx.AsyncClient``.

Every call returns decoded JSON or a small frozen value (:class:`Channel`, :class:`Bridge`,
:class:`AriSnapshot`); every library error becomes one of the project's errors here, once:

* :class:`~asterisk_cc.errors.AsteriskUnreachable`: ARI does not answer (connection refused,
  timeout, or a web server that is not ARI);
* :class:`AriRequestFailed` ``(status_code, message)``: ARI answered 4xx/5xx, with ARI's own
  ``message``; :class:`NotFound` for 404, so that "already gone" can be success where it is
  (:meth:`AriRest.hangup`, :meth:`AriRest.destroy_bridge` return False).

Caller-controlled text (caller ID, variable values) only ever travels as a query parameter value
or a JSON body value, encoded by httpx; ids in the URL path are percent-encoded segment by
segment (Asterisk splits the path before it decodes it, so an id with ``/`` or ``?`` stays one
id). Arguments that Asterisk itself re-parses are checked before sending: Stasis application
arguments (split on commas, with quotes, backslashes and parentheses interpreted), the caller ID
(``"name" <number>``, parsed by Asterisk), snoop directions and recording names.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

import httpx

from asterisk_cc.errors import AsteriskCCError, AsteriskUnreachable

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0

SnoopDirection = Literal["none", "both", "out", "in"]
SNOOP_DIRECTIONS: tuple[str, ...] = ("none", "both", "out", "in")
HANGUP_REASONS: tuple[str, ...] = (
    "normal",
    "busy",
    "congestion",
    "no_answer",
    "timeout",
    "rejected",
    "unallocated",
    "normal_unspecified",
    "number_incomplete",
    "codec_mismatch",
    "interworking",
    "failure",
    "answered_elsewhere",
)
DEVICE_STATES: tuple[str, ...] = (
    "NOT_INUSE",
    "INUSE",
    "BUSY",
    "INVALID",
    "UNAVAILABLE",
    "RINGING",
    "RINGINUSE",
    "ONHOLD",
)
RECORDING_IF_EXISTS: tuple[str, ...] = ("fail", "overwrite", "append")
RECORDING_TERMINATE_ON: tuple[str, ...] = ("none", "any", "*", "#")
# Stasis() splits its data on commas and interprets quotes, backslashes and brackets, so an
# application argument is one of the product's own tokens (an agent number, a role, an id).
# Caller text travels in channel variables instead.
APP_ARG_PATTERN = re.compile(r"^[A-Za-z0-9_.:@+=#*/-]*$")
# Relative to <astspooldir>/recording; Asterisk refuses "..", sub-directories are created.
RECORDING_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
# The channel variable ari.conf's channelvars must list for Channel.linkedid.
LINKEDID_VARIABLE = "CHANNEL(linkedid)"


# --- errors --------------------------------------------------------------------------------


class AriRequestFailed(AsteriskCCError):
    """ARI answered, but with an error status (4xx/5xx).

    ``message`` is ARI's own explanation (``{"message": ...}`` in the response). Not an
    :class:`AsteriskUnreachable`: Asterisk is there, so a caller that waits for the link to
    come back on ``AsteriskUnreachable`` must not wait for a request that was refused.
    """

    exit_code = AsteriskUnreachable.exit_code

    def __init__(self, status_code: int, message: str, *, detail: str | None = None) -> None:
        self.status_code = status_code
        self.message = message
        super().__init__(detail or f"ARI answered {status_code}: {message}")


class NotFound(AriRequestFailed):
    """404: the channel, bridge, recording or application does not exist (any more)."""


def unreachable(url: str, exc: httpx.HTTPError, what: str = "") -> AsteriskUnreachable:
    """The error for an ARI that does not answer ``what`` (e.g. ``POST /channels``)."""
    if isinstance(exc, httpx.TimeoutException):
        reason = f"no answer in time: {type(exc).__name__}"
    else:
        reason = str(exc) or type(exc).__name__
    if what:
        reason = f"{what}: {reason}"
    return AsteriskUnreachable(
        f"ARI at {url} does not answer ({reason}). Fix: check that Asterisk runs, http.conf "
        "has enabled=yes with this bindaddr/bindport and ari.conf enabled=yes ([ari] url)."
    )


def _ari_message(response: httpx.Response) -> str | None:
    """ARI's ``message`` (or ``error``) of an error response; None if the body is not ARI's."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error")
        if isinstance(message, str):
            return message
    return None


def decode_response(response: httpx.Response, *, url: str, user: str) -> Any:
    """ARI's answer to one request: the decoded JSON body (None when empty), or the error."""
    status = response.status_code
    what = f"{response.request.method} {response.request.url.path}"
    if status < 400:
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise AriRequestFailed(
                status,
                "the answer is not JSON",
                detail=f"ARI {what} answered {status} with a body that is not JSON. Fix: check "
                f"that [ari] url ({url}) points at ARI, e.g. http://127.0.0.1:8088/ari.",
            ) from None
    message = _ari_message(response)
    if message is None and status == 404:
        # Asterisk's web server answers, but not ARI: an HTML page, not ARI's JSON.
        raise AsteriskUnreachable(
            f"ARI is not served at {url} ({what} got a web server's 404 page, not ARI's JSON). "
            "Fix: ari.conf [general] enabled=yes (and res_ari loaded); [ari] url ends in /ari."
        )
    message = message if message is not None else (response.text.strip()[:200] or "no message")
    if status == 401:
        raise AriRequestFailed(
            status,
            message,
            detail=f"ARI at {url} refused user {user!r} (401 {message}). Fix: [ari] user and "
            "password must match a type=user section of ari.conf.",
        )
    if status == 403:
        raise AriRequestFailed(
            status,
            message,
            detail=f"ARI at {url} forbids {what} to user {user!r} (403 {message}). Fix: set "
            "read_only=no in that user's section of ari.conf.",
        )
    detail = f"ARI {what} failed with {status}: {message}"
    if status == 404:
        raise NotFound(status, message, detail=detail)
    raise AriRequestFailed(status, message, detail=detail)


# --- values --------------------------------------------------------------------------------


def parse_ari_time(text: str | None) -> datetime | None:
    """``2026-11-23T03:55:55.381+0000`` → an aware UTC datetime (None when absent)."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class Channel:
    """A channel as ARI describes it (only what the controller uses)."""

    id: str
    name: str
    state: str
    caller_number: str
    caller_name: str
    context: str
    exten: str
    priority: int
    app_name: str
    app_data: str
    creation_time: datetime | None
    # Only when ari.conf [general] channelvars lists CHANNEL(linkedid).
    linkedid: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Channel:
        caller = data.get("caller") or {}
        dialplan = data.get("dialplan") or {}
        channelvars = data.get("channelvars") or {}
        linkedid = channelvars.get(LINKEDID_VARIABLE)
        return cls(
            id=str(data["id"]),
            name=str(data.get("name", "")),
            state=str(data.get("state", "")),
            caller_number=str(caller.get("number", "")),
            caller_name=str(caller.get("name", "")),
            context=str(dialplan.get("context", "")),
            exten=str(dialplan.get("exten", "")),
            priority=int(dialplan.get("priority") or 0),
            app_name=str(dialplan.get("app_name", "")),
            app_data=str(dialplan.get("app_data", "")),
            creation_time=parse_ari_time(data.get("creationtime")),
            linkedid=str(linkedid) if linkedid else None,
        )


@dataclass(frozen=True)
class Bridge:
    """A bridge as ARI describes it; ``channels`` are channel ids."""

    id: str
    bridge_type: str
    channels: tuple[str, ...]
    name: str
    technology: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Bridge:
        return cls(
            id=str(data["id"]),
            bridge_type=str(data.get("bridge_type", "")),
            channels=tuple(str(c) for c in data.get("channels") or ()),
            name=str(data.get("name", "")),
            technology=str(data.get("technology", "")),
        )


@dataclass(frozen=True)
class AriSnapshot:
    """Channels and bridges as Asterisk sees them now, by id.

    Two requests (channels, then bridges), so a call that changes in between may show in one
    and not the other: compare, act, and let the events that follow settle the rest.
    """

    channels: Mapping[str, Channel]
    bridges: Mapping[str, Bridge]

    def bridge_of(self, channel_id: str) -> Bridge | None:
        for bridge in self.bridges.values():
            if channel_id in bridge.channels:
                return bridge
        return None


@dataclass(frozen=True)
class CallerId:
    """Caller ID for an originated call. Any text is carried literally, except that the
    number cannot hold ``<`` (Asterisk splits ``"name" <number>`` at the last one)."""

    number: str = ""
    name: str = ""

    def to_ari(self) -> str:
        """``"name"<number>`` as Asterisk's ``ast_callerid_parse`` reads it back literally:
        the name quoted with ``\\`` and ``"`` escaped; no blank between (Asterisk strips
        blanks around the quoted name)."""
        if "<" in self.number:
            raise ValueError(
                f"caller number {self.number!r} holds '<', which Asterisk would take for the "
                "start of the number; pass the number without it"
            )
        escaped = self.name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"<{self.number}>'


# --- argument checks (before anything is sent) ---------------------------------------------


def _segment(value: str, what: str) -> str:
    """One URL path segment: percent-encode everything (Asterisk decodes it after splitting)."""
    if not value:
        raise ValueError(f"{what} must not be empty")
    return quote(value, safe="")


def _app_args(args: Iterable[str]) -> str:
    args = list(args)
    for arg in args:
        if not APP_ARG_PATTERN.match(arg):
            raise ValueError(
                f"Stasis application argument {arg!r} may only hold letters, digits and "
                "_ . : @ + = # * / - (Asterisk splits and unquotes the others); pass caller text "
                "in channel variables"
            )
    return ",".join(args)


def _choice(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return value


def _channel_list(channel_ids: Sequence[str]) -> str:
    if not channel_ids:
        raise ValueError("name at least one channel")
    for channel_id in channel_ids:
        if not channel_id or "," in channel_id:
            raise ValueError(f"channel id {channel_id!r} cannot be listed (empty, or a comma)")
    return ",".join(channel_ids)


def _recording_name(name: str) -> str:
    if not RECORDING_NAME_PATTERN.match(name) or ".." in name.split("/"):
        raise ValueError(
            f"recording name {name!r} must be letters, digits, _ . - with / between "
            "sub-directories (relative to Asterisk's recording directory, no '..')"
        )
    return name


def _device_path(device: str, *, controlled: bool = True) -> str:
    if controlled and not (device.startswith("Stasis:") and len(device) > len("Stasis:")):
        raise ValueError(f"device {device!r}: ARI only sets devices named Stasis:<name>")
    return f"deviceStates/{_segment(device, 'device')}"


def _params(**values: Any) -> dict[str, str | int]:
    """Query parameters without the unset ones; booleans as ARI spells them."""
    params: dict[str, str | int] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[key] = "true" if value else "false"
        else:
            params[key] = value
    return params


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# --- the client ----------------------------------------------------------------------------


class AriRest:
    """ARI REST, async. One instance per process; use it in ``async with`` or call :meth:`aclose`."""

    def __init__(
        self,
        url: str,
        user: str,
        password: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self._http = httpx.AsyncClient(
            base_url=self.url + "/",
            auth=(user, password),
            timeout=timeout_s,
            transport=transport,
        )

    async def __aenter__(self) -> AriRest:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> Any:
        """One ARI call (``path`` relative to the ARI URL, segments already encoded)."""
        try:
            response = await self._http.request(
                method, path.lstrip("/"), params=params or None, json=json
            )
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc, f"{method} /{path.lstrip('/')}") from None
        logger.debug("ARI %s /%s -> %s", method, path.lstrip("/"), response.status_code)
        return decode_response(response, url=self.url, user=self.user)

    async def _channel(self, method: str, channel_id: str, action: str = "", **kw: Any) -> Any:
        path = f"channels/{_segment(channel_id, 'channel id')}"
        return await self.request(method, f"{path}/{action}" if action else path, **kw)

    async def _bridge(self, method: str, bridge_id: str, action: str = "", **kw: Any) -> Any:
        path = f"bridges/{_segment(bridge_id, 'bridge id')}"
        return await self.request(method, f"{path}/{action}" if action else path, **kw)

    # --- channels --------------------------------------------------------------------------

    async def originate(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: Sequence[str] = (),
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        caller_id: CallerId | None = None,
        timeout_s: int = 30,
        variables: Mapping[str, str] | None = None,
        originator: str | None = None,
    ) -> Channel:
        """Call ``endpoint``; once it answers it enters Stasis(``app``, ``app_args``).

        The channel is subscribed to ``app`` from the start (Dial, ChannelStateChange), but
        StasisStart only comes on answer; unanswered after ``timeout_s`` → ChannelDestroyed.
        ``originator`` (a channel id) makes the new call share that channel's linkedid.
        For ``Local/...`` endpoints ``other_channel_id`` names the ``;2`` half.
        """
        params = _params(
            endpoint=endpoint,
            app=app,
            appArgs=_app_args(app_args) or None,
            channelId=channel_id,
            otherChannelId=other_channel_id,
            callerId=caller_id.to_ari() if caller_id else None,
            timeout=timeout_s,
            originator=originator,
        )
        body = {"variables": dict(variables)} if variables else None
        return Channel.from_json(await self.request("POST", "channels", params=params, json=body))

    async def create_channel(
        self,
        endpoint: str,
        *,
        app: str,
        app_args: Sequence[str] = (),
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """Create a channel without calling it: it enters Stasis at once (state Down); put it
        in a bridge, then :meth:`dial` it (early media reaches the bridge)."""
        params = _params(
            endpoint=endpoint,
            app=app,
            appArgs=_app_args(app_args) or None,
            channelId=channel_id,
            otherChannelId=other_channel_id,
            originator=originator,
            formats=formats,
        )
        body = {"variables": dict(variables)} if variables else None
        data = await self.request("POST", "channels/create", params=params, json=body)
        return Channel.from_json(data)

    async def dial(
        self, channel_id: str, caller: str | None = None, timeout_s: int | None = None
    ) -> None:
        """Call a channel made by :meth:`create_channel`; Dial events tell how it went."""
        await self._channel(
            "POST", channel_id, "dial", params=_params(caller=caller, timeout=timeout_s)
        )

    async def answer(self, channel_id: str) -> None:
        await self._channel("POST", channel_id, "answer")

    async def ring(self, channel_id: str) -> None:
        """Indicate ringing to the channel's caller."""
        await self._channel("POST", channel_id, "ring")

    async def hangup(self, channel_id: str, reason: str = "normal") -> bool:
        """Hang up; False if the channel was already gone."""
        params = _params(reason=_choice(reason, HANGUP_REASONS, "hangup reason"))
        try:
            await self._channel("DELETE", channel_id, params=params)
        except NotFound:
            return False
        return True

    async def hold(self, channel_id: str) -> None:
        await self._channel("POST", channel_id, "hold")

    async def unhold(self, channel_id: str) -> None:
        await self._channel("DELETE", channel_id, "hold")

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        """Music on hold to the channel. An unknown class is accepted (Asterisk only warns
        in its log)."""
        await self._channel("POST", channel_id, "moh", params=_params(mohClass=moh_class))

    async def stop_moh(self, channel_id: str) -> None:
        await self._channel("DELETE", channel_id, "moh")

    async def play(
        self,
        channel_id: str,
        media: str | Sequence[str],
        playback_id: str | None = None,
        lang: str | None = None,
    ) -> dict[str, Any]:
        """Play ``sound:x``, ``digits:12``, ``tone:ring``... (several in turn); → Playback."""
        items = [media] if isinstance(media, str) else list(media)
        if not items or any(not item or "," in item for item in items):
            raise ValueError(f"media {media!r}: name one or more media URIs, without commas")
        params = _params(media=",".join(items), playbackId=playback_id, lang=lang)
        return _as_dict(await self._channel("POST", channel_id, "play", params=params))

    async def stop_playback(self, playback_id: str) -> bool:
        """Stop a playback; False if it had already finished."""
        try:
            await self.request("DELETE", f"playbacks/{_segment(playback_id, 'playback id')}")
        except NotFound:
            return False
        return True

    async def get_variable(self, channel_id: str, variable: str) -> str | None:
        """A channel variable or function (``CHANNEL(linkedid)``); None if the variable is not
        set. A channel that is gone raises :class:`NotFound`."""
        try:
            data = await self._channel(
                "GET", channel_id, "variable", params=_params(variable=variable)
            )
        except NotFound as exc:
            if "variable" in exc.message.lower():
                return None
            raise
        value = _as_dict(data).get("value")
        return None if value is None else str(value)

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        params = _params(variable=variable, value=value)
        await self._channel("POST", channel_id, "variable", params=params)

    async def continue_in_dialplan(
        self,
        channel_id: str,
        context: str,
        extension: str,
        priority: int = 1,
        label: str | None = None,
    ) -> None:
        """Leave Stasis (StasisEnd) and go on at ``extension@context``."""
        params = _params(context=context, extension=extension, priority=priority, label=label)
        await self._channel("POST", channel_id, "continue", params=params)

    async def redirect(self, channel_id: str, endpoint: str) -> None:
        """Transfer at the protocol level (same technology only, else 422). Asterisk queues
        it and answers 204 at once: a channel driver that cannot transfer (Local) only
        logs a notice."""
        await self._channel("POST", channel_id, "redirect", params=_params(endpoint=endpoint))

    async def snoop(
        self,
        channel_id: str,
        *,
        spy: SnoopDirection = "none",
        whisper: SnoopDirection = "none",
        app: str,
        app_args: Sequence[str] = (),
        snoop_id: str | None = None,
    ) -> Channel:
        """A Snoop channel on ``channel_id`` that enters Stasis(``app``) at once.

        Directions are relative to the snooped channel: ``in`` is the audio Asterisk reads
        from it (what its party says), ``out`` the audio written to it (what its party hears).
        Listen: spy=both; whisper to the agent only: spy=both, whisper=out; barge: spy=both,
        whisper=both. Bad values raise ValueError before any request.
        """
        _choice(spy, SNOOP_DIRECTIONS, "snoop spy direction")
        _choice(whisper, SNOOP_DIRECTIONS, "snoop whisper direction")
        if spy == "none" and whisper == "none":
            raise ValueError("a snoop needs spy or whisper (or both) other than 'none'")
        params = _params(
            spy=spy, whisper=whisper, app=app, appArgs=_app_args(app_args) or None, snoopId=snoop_id
        )
        return Channel.from_json(await self._channel("POST", channel_id, "snoop", params=params))

    async def record(
        self,
        channel_id: str,
        name: str,
        format: str = "wav",
        max_duration_s: int = 0,
        if_exists: str = "fail",
        beep: bool = False,
        max_silence_s: int = 0,
        terminate_on: str = "none",
    ) -> dict[str, Any]:
        """Record what the channel sends into ``<astspooldir>/recording/<name>.<format>``;
        → LiveRecording. RecordingFinished/RecordingFailed tell the outcome (201 only means
        queued). A channel in a bridge cannot be recorded (RecordingFailed), nor can one made
        by :meth:`create_channel` once it is dialled: record the bridge instead."""
        return await self._record(
            f"channels/{_segment(channel_id, 'channel id')}/record",
            name,
            format,
            max_duration_s,
            if_exists,
            beep,
            max_silence_s,
            terminate_on,
        )

    async def stop_recording(self, name: str) -> bool:
        """Stop a live recording and keep the file; False if it had already ended."""
        try:
            await self.request("POST", f"recordings/live/{_segment(name, 'recording name')}/stop")
        except NotFound:
            return False
        return True

    async def _record(
        self,
        path: str,
        name: str,
        format: str,
        max_duration_s: int,
        if_exists: str,
        beep: bool,
        max_silence_s: int,
        terminate_on: str,
    ) -> dict[str, Any]:
        params = _params(
            name=_recording_name(name),
            format=format,
            maxDurationSeconds=max_duration_s,
            maxSilenceSeconds=max_silence_s,
            ifExists=_choice(if_exists, RECORDING_IF_EXISTS, "if_exists"),
            beep=beep,
            terminateOn=_choice(terminate_on, RECORDING_TERMINATE_ON, "terminate_on"),
        )
        try:
            return _as_dict(await self.request("POST", path, params=params))
        except AriRequestFailed as exc:
            if exc.status_code != 500:
                raise
            raise AriRequestFailed(
                exc.status_code,
                exc.message,
                detail=f"{exc} (recording {name!r}). Fix: if it is missing, create Asterisk's "
                "recording directory <astspooldir>/recording (/var/spool/asterisk/recording; "
                "Debian's package does not), writable by the asterisk user.",
            ) from None

    async def list_channels(self) -> list[Channel]:
        data = await self.request("GET", "channels")
        return [Channel.from_json(item) for item in data or ()]

    async def get_channel(self, channel_id: str) -> Channel | None:
        """The channel now, or None if it is gone."""
        try:
            return Channel.from_json(await self._channel("GET", channel_id))
        except NotFound:
            return None

    # --- bridges ---------------------------------------------------------------------------

    async def create_bridge(
        self, bridge_id: str | None = None, name: str | None = None, type: str = "mixing"
    ) -> Bridge:
        """``type``: ``mixing`` or ``holding``, with flags after commas (``mixing,dtmf_events``)."""
        params = _params(type=type, bridgeId=bridge_id, name=name)
        return Bridge.from_json(await self.request("POST", "bridges", params=params))

    async def add_channel(self, bridge_id: str, *channel_ids: str, role: str | None = None) -> None:
        """Put channels (in Stasis, else 422) into the bridge; a channel is in one bridge at a
        time, so this moves it out of any other."""
        params = _params(channel=_channel_list(channel_ids), role=role)
        await self._bridge("POST", bridge_id, "addChannel", params=params)

    async def remove_channel(self, bridge_id: str, *channel_ids: str) -> None:
        params = _params(channel=_channel_list(channel_ids))
        await self._bridge("POST", bridge_id, "removeChannel", params=params)

    async def destroy_bridge(self, bridge_id: str) -> bool:
        """Destroy the bridge (its channels stay in Stasis); False if it was already gone."""
        try:
            await self._bridge("DELETE", bridge_id)
        except NotFound:
            return False
        return True

    async def list_bridges(self) -> list[Bridge]:
        data = await self.request("GET", "bridges")
        return [Bridge.from_json(item) for item in data or ()]

    async def get_bridge(self, bridge_id: str) -> Bridge | None:
        try:
            return Bridge.from_json(await self._bridge("GET", bridge_id))
        except NotFound:
            return None

    async def bridge_moh_start(self, bridge_id: str, moh_class: str | None = None) -> None:
        await self._bridge("POST", bridge_id, "moh", params=_params(mohClass=moh_class))

    async def bridge_moh_stop(self, bridge_id: str) -> None:
        await self._bridge("DELETE", bridge_id, "moh")

    async def record_bridge(
        self,
        bridge_id: str,
        name: str,
        format: str = "wav",
        max_duration_s: int = 0,
        if_exists: str = "fail",
        beep: bool = False,
        max_silence_s: int = 0,
        terminate_on: str = "none",
    ) -> dict[str, Any]:
        """Record the bridge's mix (both parties of a call) like :meth:`record`."""
        return await self._record(
            f"bridges/{_segment(bridge_id, 'bridge id')}/record",
            name,
            format,
            max_duration_s,
            if_exists,
            beep,
            max_silence_s,
            terminate_on,
        )

    # --- device states ---------------------------------------------------------------------

    async def set_device_state(self, device: str, state: str) -> None:
        """Set a device state ARI controls (``Stasis:<name>``, e.g. an app_queue member's
        state_interface). Both are checked first: ARI answers 409 for another prefix and a
        misleading 500 "Unknown device" for an unknown state."""
        params = _params(deviceState=_choice(state, DEVICE_STATES, "device state"))
        await self.request("PUT", _device_path(device), params=params)

    async def get_device_state(self, device: str) -> str:
        """The state of any device (``UNKNOWN`` for one nobody has set)."""
        data = await self.request("GET", _device_path(device, controlled=False))
        return str(_as_dict(data).get("state", "UNKNOWN"))

    async def delete_device_state(self, device: str) -> None:
        """Forget a ``Stasis:`` device state (an unknown one is no error)."""
        await self.request("DELETE", _device_path(device))

    # --- Asterisk and applications ---------------------------------------------------------

    async def ping(self) -> dict[str, Any]:
        """``{"ping": "pong", "timestamp": ..., "asterisk_id": ...}``."""
        return _as_dict(await self.request("GET", "asterisk/ping"))

    async def asterisk_info(self, only: Sequence[str] = ()) -> dict[str, Any]:
        """``build``, ``system`` (``version``), ``config``, ``status`` (``startup_time``...)."""
        params = _params(only=",".join(only) or None)
        return _as_dict(await self.request("GET", "asterisk/info", params=params))

    async def application(self, app: str) -> dict[str, Any]:
        """A Stasis application: ``channel_ids`` and ``bridge_ids`` it is subscribed to.
        :class:`NotFound` when no websocket holds the application."""
        return _as_dict(await self.request("GET", f"applications/{_segment(app, 'application')}"))

    async def snapshot(self) -> AriSnapshot:
        """Every channel and bridge Asterisk has now: what the controller compares its memory
        to after it reconnects."""
        channels, bridges = await asyncio.gather(self.list_channels(), self.list_bridges())
        return AriSnapshot(
            channels={channel.id: channel for channel in channels},
            bridges={bridge.id: bridge for bridge in bridges},
        )


__all__ = [
    "AriRequestFailed",
    "AriRest",
    "AriSnapshot",
    "Bridge",
    "CallerId",
    "Channel",
    "NotFound",
    "decode_response",
    "unreachable",
]
