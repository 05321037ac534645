"""Erlang C staffing: how many agents a queue needs for its service-level target.

The model (M/M/N, callers wait as long as it takes): calls arrive at random (Poisson), each is
handled in ``aht_s`` on average (exponential), ``agents`` handle them. The traffic is
``A = calls × aht_s ÷ interval_s`` erlangs. With ``N`` agents:

- probability that a caller waits at all (Erlang C):
  ``C(N, A) = N·B(N, A) ÷ (N − A·(1 − B(N, A)))`` where ``B`` is Erlang B, computed by its
  recursion ``B(0) = 1, B(n) = A·B(n−1) ÷ (n + A·B(n−1))``: no factorials, no powers, so it
  stays exact to the last bits for thousands of agents (the textbook formula overflows a float
  beyond about 170 agents);
- service level (answered within ``threshold_s``): ``SL = 1 − C·exp(−(N − A)·threshold_s ÷ aht_s)``;
- average speed of answer: ``ASA = C·aht_s ÷ (N − A)``;
- occupancy: ``A ÷ N``.

With ``N ≤ A`` the queue grows without end: every caller waits, SL is 0, ASA is infinite.

:func:`required_agents` is the smallest ``N`` that meets the service-level target (and, when
given, keeps occupancy at or under ``max_occupancy``), then grossed up for shrinkage (time
paid but not on the phones: breaks, training, absence): ``ceil(N ÷ (1 − shrinkage))``.

Pure: no I/O, no clock. Bad input raises :class:`ValueError` naming the argument.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "StaffingNeed",
    "asa_s",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "required_agents",
    "service_level",
    "traffic_erlangs",
]


@dataclass(frozen=True, slots=True)
class StaffingNeed:
    """What :func:`required_agents` found.

    ``agents`` is the number to schedule (shrinkage included); ``raw_agents`` the number that
    must be on the phones; ``service_level``, ``asa_s`` and ``occupancy`` are what Erlang C
    expects with ``raw_agents`` on the phones."""

    agents: int
    raw_agents: int
    service_level: float
    asa_s: float
    occupancy: float


def _check_number(name: str, value: float, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative, got {value!r}")


def _ceil(value: float) -> int:
    """``ceil`` that ignores the last bits of float error (14 ÷ 0.7 is 20.000000000000004)."""
    return math.ceil(value - 1e-9 * max(1.0, abs(value)))


def _check_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int):
        raise ValueError(f"agents must be a whole number, got {agents!r}")
    if agents < 0:
        raise ValueError(f"agents cannot be negative, got {agents!r}")


def traffic_erlangs(calls: float, aht_s: float, interval_s: float) -> float:
    """Offered traffic in erlangs: ``calls`` in ``interval_s`` seconds, ``aht_s`` each."""
    _check_number("calls", calls)
    _check_number("aht_s", aht_s, positive=True)
    _check_number("interval_s", interval_s, positive=True)
    return calls * aht_s / interval_s


def _erlang_b_steps(traffic: float) -> Iterator[float]:
    """B(0, A), B(1, A), B(2, A), ... by the recursion (one step per agent)."""
    blocking = 1.0
    n = 0
    while True:
        yield blocking
        n += 1
        blocking = traffic * blocking / (n + traffic * blocking)


def erlang_b(agents: int, traffic_erlangs: float) -> float:
    """Erlang B: the probability that a call finds all ``agents`` busy in a loss system."""
    _check_agents(agents)
    _check_number("traffic_erlangs", traffic_erlangs)
    steps = _erlang_b_steps(traffic_erlangs)
    for _ in range(agents):
        next(steps)
    return next(steps)


def _erlang_c_from_b(agents: int, traffic: float, blocking: float) -> float:
    if agents <= traffic:
        return 1.0
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def erlang_c(agents: int, traffic_erlangs: float) -> float:
    """Erlang C: the probability that a caller has to wait (1 when ``agents ≤ traffic``,
    0 without traffic)."""
    blocking = erlang_b(agents, traffic_erlangs)
    if traffic_erlangs == 0:
        return 0.0
    return _erlang_c_from_b(agents, traffic_erlangs, blocking)


def _service_level(
    agents: int, traffic: float, wait_p: float, aht_s: float, threshold_s: float
) -> float:
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return max(0.0, 1.0 - wait_p * math.exp(-(agents - traffic) * threshold_s / aht_s))


def _asa_s(agents: int, traffic: float, wait_p: float, aht_s: float) -> float:
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return wait_p * aht_s / (agents - traffic)


def service_level(
    agents: int, calls: float, aht_s: float, interval_s: float, threshold_s: float
) -> float:
    """Expected share of calls answered within ``threshold_s`` (0..1)."""
    _check_number("threshold_s", threshold_s)
    traffic = traffic_erlangs(calls, aht_s, interval_s)
    return _service_level(agents, traffic, erlang_c(agents, traffic), aht_s, threshold_s)


def asa_s(agents: int, calls: float, aht_s: float, interval_s: float) -> float:
    """Expected average speed of answer, seconds (``math.inf`` when agents ≤ traffic)."""
    traffic = traffic_erlangs(calls, aht_s, interval_s)
    return _asa_s(agents, traffic, erlang_c(agents, traffic), aht_s)


def occupancy(agents: int, calls: float, aht_s: float, interval_s: float) -> float:
    """Share of the agents' time spent handling calls, ``A ÷ N`` (capped at 1)."""
    _check_agents(agents)
    traffic = traffic_erlangs(calls, aht_s, interval_s)
    if agents == 0:
        return 0.0 if traffic == 0 else 1.0
    return min(1.0, traffic / agents)


def required_agents(
    calls: float,
    aht_s: float,
    interval_s: float,
    target_sl_ratio: float,
    threshold_s: float,
    *,
    max_occupancy: float | None = None,
    shrinkage: float = 0.0,
) -> StaffingNeed:
    """The fewest agents that answer ``target_sl_ratio`` of ``calls`` (arriving in
    ``interval_s`` seconds, ``aht_s`` each) within ``threshold_s``.

    ``max_occupancy`` (0 < x ≤ 1): never plan the agents busier than this, even when the
    service level would allow it (large queues reach their target at 95 %+ occupancy, which
    people cannot keep up all day). ``shrinkage`` (0 ≤ x < 1): the share of scheduled time
    not on the phones; ``agents`` is grossed up for it, ``raw_agents`` is not.
    Zero calls need zero agents.
    """
    _check_number("calls", calls)
    _check_number("aht_s", aht_s, positive=True)
    _check_number("interval_s", interval_s, positive=True)
    _check_number("threshold_s", threshold_s)
    _check_number("target_sl_ratio", target_sl_ratio)
    if target_sl_ratio >= 1:
        raise ValueError(
            f"target_sl_ratio must be below 1 (e.g. 0.8 for 80 %), got {target_sl_ratio!r}: "
            "no finite number of agents answers every call within the threshold"
        )
    _check_number("shrinkage", shrinkage)
    if shrinkage >= 1:
        raise ValueError(f"shrinkage must be below 1 (e.g. 0.3 for 30 %), got {shrinkage!r}")
    if max_occupancy is not None:
        _check_number("max_occupancy", max_occupancy, positive=True)
        if max_occupancy > 1:
            raise ValueError(
                f"max_occupancy must be at most 1 (e.g. 0.85 for 85 %), got {max_occupancy!r}"
            )
    traffic = calls * aht_s / interval_s
    if traffic == 0:
        return StaffingNeed(agents=0, raw_agents=0, service_level=1.0, asa_s=0.0, occupancy=0.0)
    floor_agents = math.floor(traffic) + 1  # the fewest agents with a finite queue
    if max_occupancy is not None:
        floor_agents = max(floor_agents, _ceil(traffic / max_occupancy))
    steps = _erlang_b_steps(traffic)
    blocking = next(steps)
    for _ in range(floor_agents):
        blocking = next(steps)
    agents = floor_agents
    while True:
        wait_p = _erlang_c_from_b(agents, traffic, blocking)
        level = _service_level(agents, traffic, wait_p, aht_s, threshold_s)
        if level >= target_sl_ratio:
            break
        agents += 1
        blocking = next(steps)
    scheduled = _ceil(agents / (1.0 - shrinkage))
    return StaffingNeed(
        agents=max(scheduled, agents),
        raw_agents=agents,
        service_level=level,
        asa_s=_asa_s(agents, traffic, wait_p, aht_s),
        occupancy=traffic / agents,
    )
