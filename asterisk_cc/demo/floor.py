"""Simulated agents: each logs in by phone (*45, agent number, PIN), as a person at a desk
does, and is then worked through the controller the way the agent desktop works it: hang up
when the conversation is over, a disposition, ready after wrap-up, now and then a pause.

The phone is a scripted caller in the sandbox that stays on the line for the whole shift; the
controller holds it in the agent's bridge and delivers queue and dialer calls into it. How long
each conversation, wrap-up and pause lasts is drawn by the traffic model's
:class:`~asterisk_cc.core.traffic.AgentBehaviour`; this module only watches the controller's
status and acts when a drawn time is up.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from asterisk_cc.ari.control import ControllerClient, ControllerRefused
from asterisk_cc.core.desktop import dispositions_for
from asterisk_cc.core.traffic import AgentBehaviour
from asterisk_cc.core.vocabulary import AgentState
from asterisk_cc.errors import AsteriskUnreachable
from asterisk_cc.sandbox import CallerScript, PlacedCall, Sandbox
from asterisk_cc.sandbox.render import Dtmf, Wait

logger = logging.getLogger(__name__)

POLL_S: Final = 0.25
LOGIN_TIMEOUT_S: Final = 30.0
PHONE_FEATURES: Final = "*45@asterisk-cc-agent-features"
LONGEST_WAIT_S: Final = 3600
"""A caller script's single wait is at most an hour; a longer shift is several waits."""


def phone_script(login: str, pin: str, shift_s: float) -> CallerScript:
    """The agent's phone: dial *45, key the agent number and the PIN, stay for the shift."""
    steps: list[Wait | Dtmf] = [Wait(2), Dtmf(f"{login}#"), Wait(3), Dtmf(f"{pin}#")]
    remaining = max(60.0, shift_s)
    while remaining > 0:
        steps.append(Wait(min(LONGEST_WAIT_S, remaining)))
        remaining -= LONGEST_WAIT_S
    return CallerScript(tuple(steps))


@dataclass
class AgentLedger:
    """What one simulated agent did, for the demo's summary and its checks."""

    login: str
    calls: int = 0
    hung_up: int = 0
    dispositions: int = 0
    pauses: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    """The drawn times of the agent's current step, keyed by what the step is about."""

    about: tuple[str, str | None] | None = None
    due: float = 0.0
    pause_after: float | None = None


@dataclass
class SimulatedAgent:
    login: str
    pin: str
    behaviour: AgentBehaviour
    rng: random.Random
    ledger: AgentLedger
    phone: PlacedCall | None = None
    plan: _Plan = field(default_factory=_Plan)


class SimulatedFloor:
    """The demo's agents: log them in, keep them working until :meth:`stop`, log them out."""

    def __init__(
        self,
        sandbox: Sandbox,
        controller: ControllerClient,
        agents: Sequence[tuple[str, str]],
        behaviour: AgentBehaviour,
        *,
        seed: int,
        outbound_calls: Callable[[], frozenset[str]] = frozenset,
        progress: Callable[[str], None] = lambda _message: None,
    ) -> None:
        rng = random.Random(seed)  # noqa: S311 (a simulation, not a secret)
        self._sandbox = sandbox
        self._controller = controller
        self._outbound_calls = outbound_calls
        self._progress = progress
        self.agents = {
            login: SimulatedAgent(
                login,
                pin,
                behaviour,
                random.Random(rng.random()),  # noqa: S311 (a simulation, not a secret)
                AgentLedger(login),
            )
            for login, pin in agents
        }
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_status: Mapping[str, Any] = {}

    # --- shift ----------------------------------------------------------------------------

    def log_in(self, shift_s: float) -> None:
        """Every agent's phone dials in; returns once the controller has them all ready."""
        for agent in self.agents.values():
            agent.phone = self._sandbox.place_call(
                PHONE_FEATURES, phone_script(agent.login, agent.pin, shift_s)
            )
        deadline = time.monotonic() + LOGIN_TIMEOUT_S
        while True:
            states = self._states()
            waiting = [a for a in self.agents if states.get(a) != AgentState.READY.value]
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"agents {', '.join(waiting)} did not log in by phone within "
                    f"{LOGIN_TIMEOUT_S:.0f} s (their states: "
                    f"{ {a: states.get(a) for a in waiting} })"
                )
            time.sleep(0.5)
        self._progress(f"{len(self.agents)} agents logged in by phone and ready")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="demo-floor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop working the agents (calls in progress go on until they end by themselves)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def log_out(self) -> None:
        """Hang up every agent's phone: the controller ends their sessions."""
        for agent in self.agents.values():
            if agent.phone is not None:
                try:
                    self._sandbox.hang_up(agent.phone)
                except Exception as exc:  # one phone's trouble must not keep others in
                    agent.ledger.errors.append(f"hanging up the phone: {exc}")
                agent.phone = None

    def states(self) -> dict[str, str]:
        return self._states()

    # --- the loop ---------------------------------------------------------------------------

    def _states(self) -> dict[str, str]:
        try:
            status = self._controller.status()
        except (AsteriskUnreachable, ControllerRefused) as exc:
            logger.warning("the controller's status is not available: %s", exc)
            return {}
        self.last_status = status
        agents = status.get("agents") or {}
        return {login: str(info.get("state")) for login, info in agents.items()}

    def _run(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                status = self._controller.status()
            except (AsteriskUnreachable, ControllerRefused) as exc:
                logger.warning("the controller's status is not available: %s", exc)
                continue
            self.last_status = status
            now = time.monotonic()
            outbound = self._outbound_calls()
            for login, info in (status.get("agents") or {}).items():
                agent = self.agents.get(login)
                if agent is not None:
                    self._step(agent, info, now, outbound)

    def _step(
        self, agent: SimulatedAgent, info: Mapping[str, Any], now: float, outbound: frozenset[str]
    ) -> None:
        state = str(info.get("state"))
        call = info.get("call")
        about = (state, call if isinstance(call, str) else None)
        plan = agent.plan
        if plan.about != about:
            # A new step: draw how long it lasts.
            plan.about = about
            behaviour = agent.behaviour
            if state == AgentState.TALKING.value:
                agent.ledger.calls += 1
                plan.due = now + behaviour.talk_s(agent.rng)
            elif state == AgentState.WRAP_UP.value:
                plan.due = now + behaviour.wrap_up_s(agent.rng)
                pause = behaviour.pause_after_call(agent.rng)
                plan.pause_after = pause
            elif state == AgentState.PAUSED.value and info.get("reason") != "wrap-up":
                plan.due = now + (plan.pause_after or behaviour.pause_s(agent.rng))
            else:
                plan.due = float("inf")
            return
        if now < plan.due:
            return
        plan.due = float("inf")
        if state == AgentState.TALKING.value:
            self._act(agent, "hangup")
            agent.ledger.hung_up += 1
        elif state == AgentState.WRAP_UP.value:
            is_outbound = about[1] in outbound if about[1] else False
            codes = sorted(set(dispositions_for(is_outbound)) - {"callback"})
            if codes and self._act(agent, "disposition", disposition=agent.rng.choice(codes)):
                agent.ledger.dispositions += 1
            if plan.pause_after:
                reason = agent.behaviour.pause_reason(agent.rng)
                if self._act(agent, "pause", reason=reason):
                    agent.ledger.pauses += 1
            else:
                self._act(agent, "ready")
        elif state == AgentState.PAUSED.value:
            plan.pause_after = None
            self._act(agent, "unpause")

    def _act(self, agent: SimulatedAgent, action: str, **data: Any) -> bool:
        try:
            self._controller.agent(agent.login, action, **data)
            return True
        except (AsteriskUnreachable, ControllerRefused) as exc:
            # The call may have ended on its own between the status and the action.
            agent.ledger.errors.append(f"{action}: {exc}")
            logger.info("agent %s %s refused: %s", agent.login, action, exc)
            return False
