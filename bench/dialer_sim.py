"""Outbound pacing policies side by side in one discrete-event simulation.

Every policy dials the same leads in the same order (common random numbers: one outcome
record per lead, drawn in advance), on the same agents, for ``--days`` 8-hour days per cell
(a cell is an agent count and a live-answer probability). The model and the policies are
described in ``docs/dialer-pacing.md`` and in :mod:`asterisk_cc.dialer.simulator` and
:mod:`asterisk_cc.dialer.sim_policies`:

- ``progressive``: the core's progressive mode (one line per uncovered ready agent);
- ``ratio-2.00``: VICIdial RATIO at the common level 2.0;
- ``ratio-tuned``: the best fixed level per cell, tuned on separate seeds (``seed + 1000``,
  ``--tune-days`` days) for a P95 daily abandon rate within 3 % -- an oracle nobody has
  in production, since it must be retuned whenever the list or the staffing changes;
- ``vici-hard`` / ``vici-average`` / ``vici-tapered``: VICIdial's ADAPT methods, emulated;
- ``erlang-b``: state-blind constant-rate dialing sized by Erlang B;
- ``ours``: :func:`asterisk_cc.core.dialer.pacing.decide` in predictive mode, every 0.5 s,
  with no per-cell setting (the same defaults everywhere);
- ``ours-clairvoyant``: the same law told each agent's exact time to ready (a bound);
- ``ours-ofcom-count`` (only with ``--policies``): ``ours`` with the budget counted by
  Ofcom's cruder AM-estimate formula, as a dialer without AMD that follows it would;
- ``ceiling``: the perfect-information ceiling (formula, not simulated).

Metrics (reference §5.2): talk occupancy (human talk / logged-in time, after a 10-minute
warm-up), utilisation, abandon rate over all days (FTC-style) and per day (Ofcom-style:
mean, P95 by nearest rank, max, share of days over 3 %), the Ofcom AM-estimate formula's
daily P95 (what a crude no-AMD count would report), 2-second compliance, live connects and
dials per agent-hour, peak lines (ringing + waiting + connected) per agent. A policy passes
the compliance gate when the daily P95 and the 30-day rate are within 3 % and 2-second
compliance is 100 %.

Run (about 18 minutes on 2 shared vCPUs for the full default)::

    .venv/bin/python bench/dialer_sim.py                 # 10/25/50 agents x p_live 0.20/0.30, 30 days
    .venv/bin/python bench/dialer_sim.py --days 3 --agents 10   # a quick look
    .venv/bin/python bench/dialer_sim.py --scenario robustness  # p_live 0.30 -> 0.15 at 4 h, pauses

Options: ``--agents`` (one or more), ``--p-live`` (one or more), ``--days``, ``--seed``
(evaluation seed; tuning uses ``seed + 1000``), ``--tune-days``, ``--jobs`` (worker
processes), ``--policies`` (a subset by name), ``--scenario baseline|robustness``,
``--json``: the last line printed is one JSON object ``{"machine", "scenario", "seed",
"days", "cells": [{"agents", "p_live", "ceiling", "tuned_ratio", "policies": {name:
metrics}, "profiles": {name: [occupancy per 15 min]}}]}``. Results go in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from multiprocessing import Pool
from typing import Any

from machine_info import describe_machine

from asterisk_cc.dialer.sim_policies import (
    ErlangBPolicy,
    FixedRatioPolicy,
    ProgressivePolicy,
    VicidialAdaptPolicy,
    tune_fixed_ratio,
)
from asterisk_cc.dialer.simulator import (
    OursPolicy,
    Policy,
    SimConfig,
    ceiling_talk_occupancy,
    occupancy_profile,
    robustness_config,
    simulate,
    summarize,
)

ALL_POLICIES = (
    "progressive",
    "ratio-2.00",
    "ratio-tuned",
    "vici-hard",
    "vici-average",
    "vici-tapered",
    "erlang-b",
    "ours",
    "ours-clairvoyant",
)
# Not run by default: ours with the budget counted by Ofcom's cruder AM-estimate formula.
EXTRA_POLICIES = ("ours-ofcom-count",)
# Relative cost per simulated day, to start the longest tasks first.
COST = {"ours": 10.0, "ours-clairvoyant": 10.0, "ours-ofcom-count": 10.0, "ratio-tuned": 4.0}
# The targets of the reference (§5.7): talk occupancy by (agents, p_live).
TARGETS = {
    (10, 0.20): 0.66,
    (25, 0.20): 0.74,
    (50, 0.20): 0.78,
    (10, 0.30): 0.70,
    (25, 0.30): 0.77,
    (50, 0.30): 0.80,
}


def make_config(scenario: str, agents: int, p_live: float) -> SimConfig:
    if scenario == "robustness":
        return robustness_config(agents)
    return SimConfig(agents=agents, p_live=p_live)


def make_policy(name: str, config: SimConfig, seed: int) -> Policy:
    factories: dict[str, Callable[[], Policy]] = {
        "progressive": ProgressivePolicy,
        "ratio-2.00": lambda: FixedRatioPolicy(2.0),
        "vici-hard": lambda: VicidialAdaptPolicy("ADAPT_HARD_LIMIT"),
        "vici-average": lambda: VicidialAdaptPolicy("ADAPT_AVERAGE"),
        "vici-tapered": lambda: VicidialAdaptPolicy("ADAPT_TAPERED"),
        "erlang-b": lambda: ErlangBPolicy(config, seed),
        "ours": OursPolicy,
        "ours-clairvoyant": lambda: OursPolicy(clairvoyant=True),
        "ours-ofcom-count": lambda: OursPolicy(abandon_count="ofcom", name="ours-ofcom-count"),
    }
    return factories[name]()


def run_task(task: tuple[str, int, float, str, int, int, int]) -> dict[str, Any]:
    """One policy on one cell for all days (in a worker process)."""
    scenario, agents, p_live, name, seed, days, tune_days = task
    config = make_config(scenario, agents, p_live)
    started = time.perf_counter()
    tuned: float | None = None
    if name == "ratio-tuned":
        tuned = tune_fixed_ratio(config, seed + 1000, tune_days)
        policy: Policy = FixedRatioPolicy(tuned, name="ratio-tuned")
    else:
        policy = make_policy(name, config, seed)
    results = simulate(config, policy, seed, days)
    metrics = summarize(results, config.abandon_target)
    metrics["passes_gate"] = (
        metrics["abandon_daily_p95"] <= config.abandon_target + 1e-12
        and metrics["abandon_rate_30day"] <= config.abandon_target + 1e-12
        and metrics["two_second_compliance"] >= 1.0 - 1e-12
    )
    if tuned is not None:
        metrics["level"] = tuned
    return {
        "agents": agents,
        "p_live": p_live,
        "policy": name,
        "metrics": metrics,
        "profile": occupancy_profile(results),
        "seconds": time.perf_counter() - started,
    }


def pct(value: float, digits: int = 1) -> str:
    return f"{value * 100:.{digits}f}"


def print_cell(cell: dict[str, Any], policies: list[str], scenario: str) -> None:
    agents, p_live = cell["agents"], cell["p_live"]
    title = (
        f"{agents} agents, p_live 0.30 -> 0.15 at 4 h, 20 % of agents paused 15 min at 2 h"
        if scenario == "robustness"
        else f"{agents} agents, p_live {p_live:.2f}"
    )
    print(f"\n## {title}")
    print(
        "| policy | talk occ. % | util. % | abandon 30-day % | daily mean % | daily P95 % |"
        " daily max % | days > 3 % | Ofcom AM-est. P95 % | 2-s compl. % | live conn./agent-h |"
        " dials/agent-h | peak lines/agent | gate |"
    )
    print("|---|" + "---:|" * 13)
    progressive = cell["policies"].get("progressive")
    for name in policies:
        m = cell["policies"].get(name)
        if m is None:
            continue
        label = name
        if name == "ratio-tuned":
            label = f"ratio-tuned (L={m['level']:.2f})"
        gain = ""
        if progressive is not None and name != "progressive":
            gain = f" ({m['talk_occupancy'] - progressive['talk_occupancy']:+.1%})".replace(
                "%", " pt"
            )
        print(
            f"| {label} | {pct(m['talk_occupancy'])} ± {pct(m['talk_occupancy_ci95'])}{gain} |"
            f" {pct(m['utilisation'])} | {pct(m['abandon_rate_30day'], 2)} |"
            f" {pct(m['abandon_daily_mean'], 2)} | {pct(m['abandon_daily_p95'], 2)} |"
            f" {pct(m['abandon_daily_max'], 2)} | {pct(m['days_over_target'], 0)} |"
            f" {pct(m['ofcom_estimate_daily_p95'], 2)} | {pct(m['two_second_compliance'], 1)} |"
            f" {m['live_connects_per_agent_hour']:.1f} | {m['dials_per_agent_hour']:.0f} |"
            f" {m['peak_lines_per_agent']:.2f} | {'pass' if m['passes_gate'] else 'FAIL'} |"
        )
    if scenario != "robustness":
        print(
            f"| ceiling (formula) | {pct(cell['ceiling'])} | 100.0 | 0.00 | | | | | | 100.0 | | | | |"
        )


def print_targets(cells: list[dict[str, Any]]) -> None:
    print("\n## Targets for `ours` (reference §5.7)")
    print(
        "| agents | p_live | talk occ. % | target % | daily P95 % | best passing fixed ratio % |"
        " vs clairvoyant | met |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for cell in cells:
        ours = cell["policies"].get("ours")
        target = TARGETS.get((cell["agents"], round(cell["p_live"], 2)))
        if ours is None or target is None:
            continue
        ratio = cell["policies"].get("ratio-tuned")
        ratio_occ = ratio["talk_occupancy"] if ratio and ratio["passes_gate"] else None
        clair = cell["policies"].get("ours-clairvoyant")
        vs_clair = (
            f"{(ours['talk_occupancy'] - clair['talk_occupancy']) * 100:+.1f} pt" if clair else ""
        )
        met = (
            ours["passes_gate"]
            and ours["talk_occupancy"] >= target
            and (ratio_occ is None or ours["talk_occupancy"] >= ratio_occ)
        )
        print(
            f"| {cell['agents']} | {cell['p_live']:.2f} | {pct(ours['talk_occupancy'])} |"
            f" {pct(target, 0)} | {pct(ours['abandon_daily_p95'], 2)} |"
            f" {pct(ratio_occ) if ratio_occ is not None else 'n/a'} | {vs_clair} |"
            f" {'yes' if met else 'NO'} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--p-live", type=float, nargs="+", default=[0.20, 0.30])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tune-days", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--policies",
        nargs="+",
        choices=ALL_POLICIES + EXTRA_POLICIES,
        default=list(ALL_POLICIES),
    )
    parser.add_argument("--scenario", choices=("baseline", "robustness"), default="baseline")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    machine = describe_machine()
    print(f"machine: {machine}", flush=True)
    p_lives = [0.30] if args.scenario == "robustness" else args.p_live
    cells_keys = [(agents, p) for agents in args.agents for p in p_lives]
    print(
        f"scenario {args.scenario}; cells {cells_keys}; {args.days} days each; seed {args.seed}"
        f" (tuning seed {args.seed + 1000}, {args.tune_days} days); {args.jobs} processes",
        flush=True,
    )
    tasks = [
        (args.scenario, agents, p, name, args.seed, args.days, args.tune_days)
        for agents, p in cells_keys
        for name in args.policies
    ]
    tasks.sort(key=lambda t: -COST.get(t[3], 1.0) * t[1])
    started = time.perf_counter()
    outputs: list[dict[str, Any]] = []
    with Pool(max(1, args.jobs)) as pool:
        for done, output in enumerate(pool.imap_unordered(run_task, tasks), start=1):
            outputs.append(output)
            print(
                f"  [{done}/{len(tasks)}] {output['policy']} on {output['agents']} agents,"
                f" p_live {output['p_live']:.2f}: {output['seconds']:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - started

    cells: list[dict[str, Any]] = []
    for agents, p in cells_keys:
        config = make_config(args.scenario, agents, p)
        mine = [o for o in outputs if o["agents"] == agents and o["p_live"] == p]
        policies = {o["policy"]: o["metrics"] for o in mine}
        tuned = policies.get("ratio-tuned", {}).get("level")
        cells.append(
            {
                "agents": agents,
                "p_live": p,
                "ceiling": ceiling_talk_occupancy(config),
                "tuned_ratio": tuned,
                "policies": policies,
                "profiles": {o["policy"]: o["profile"] for o in mine},
            }
        )
    for cell in cells:
        print_cell(cell, args.policies, args.scenario)
        if args.scenario == "robustness":
            print("\nTalk occupancy % per 15 minutes (p_live step at 4 h = after bin 16):")
            for name in args.policies:
                profile = cell["profiles"].get(name)
                if profile:
                    print(f"  {name:>16}: " + " ".join(f"{x * 100:.0f}" for x in profile))
    if args.scenario == "baseline":
        print_targets(cells)
    print(f"\nwall time {elapsed:.0f} s", flush=True)
    if args.json:
        print(
            json.dumps(
                {
                    "machine": machine,
                    "scenario": args.scenario,
                    "seed": args.seed,
                    "days": args.days,
                    "cells": cells,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
