"""A daily pack as plain JSON data and back, losslessly: what a pack kept on disk is stored as
(JSON, never pickle: reading a file back can only ever give data). Pure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from asterisk_cc.core.reports.pack import (
    Cell,
    Column,
    DailyPack,
    Headline,
    IntervalRow,
    Rag,
    Table,
    Unit,
)

__all__ = ["FORMAT_VERSION", "pack_from_data", "pack_to_data"]

FORMAT_VERSION: Final = 1
"""Changes when the shape below changes; data of another version is refused (and rebuilt)."""


def _row(cells: tuple[Cell, ...] | None) -> list[Cell] | None:
    return None if cells is None else list(cells)


def pack_to_data(pack: DailyPack) -> dict[str, Any]:
    """``pack`` as dicts, lists, strings and numbers (``json.dumps`` takes it as is)."""
    return {
        "version": FORMAT_VERSION,
        "site_name": pack.site_name,
        "day": pack.day.isoformat(),
        "timezone": pack.timezone,
        "generated_at": pack.generated_at.isoformat(),
        "headline": [
            {
                "key": h.key,
                "value": h.value,
                "unit": h.unit.value,
                "target": h.target,
                "status": h.status.value if h.status else None,
                "higher_is_better": h.higher_is_better,
                "day_before": h.day_before,
                "week_before": h.week_before,
            }
            for h in pack.headline
        ],
        "intervals": [
            {
                "start": row.start.isoformat(),
                "length_s": row.length_s,
                "offered": row.offered,
                "answered": row.answered,
                "abandoned": row.abandoned,
                "service_level": row.service_level,
                "abandon_rate": row.abandon_rate,
                "asa_s": row.asa_s,
                "aht_s": row.aht_s,
            }
            for row in pack.intervals
        ],
        "tables": [
            {
                "key": table.key,
                "columns": [[c.key, c.unit.value] for c in table.columns],
                "rows": [list(row) for row in table.rows],
                "total": _row(table.total),
            }
            for table in pack.tables
        ],
        "notes": list(pack.notes),
    }


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return moment


def pack_from_data(data: dict[str, Any]) -> DailyPack:
    """The pack :func:`pack_to_data` gave; ValueError (or KeyError/TypeError) for data of
    another shape or version."""
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"pack data of version {data.get('version')!r}, not {FORMAT_VERSION}")
    return DailyPack(
        site_name=str(data["site_name"]),
        day=date.fromisoformat(data["day"]),
        timezone=str(data["timezone"]),
        generated_at=_aware(data["generated_at"]),
        headline=tuple(
            Headline(
                key=h["key"],
                value=h["value"],
                unit=Unit(h["unit"]),
                target=h["target"],
                status=Rag(h["status"]) if h["status"] else None,
                higher_is_better=bool(h["higher_is_better"]),
                day_before=h["day_before"],
                week_before=h["week_before"],
            )
            for h in data["headline"]
        ),
        intervals=tuple(
            IntervalRow(
                start=datetime.fromisoformat(row["start"]),
                length_s=int(row["length_s"]),
                offered=int(row["offered"]),
                answered=int(row["answered"]),
                abandoned=int(row["abandoned"]),
                service_level=row["service_level"],
                abandon_rate=row["abandon_rate"],
                asa_s=row["asa_s"],
                aht_s=row["aht_s"],
            )
            for row in data["intervals"]
        ),
        tables=tuple(
            Table(
                key=t["key"],
                columns=tuple(Column(key, Unit(unit)) for key, unit in t["columns"]),
                rows=tuple(tuple(row) for row in t["rows"]),
                total=None if t["total"] is None else tuple(t["total"]),
            )
            for t in data["tables"]
        ),
        notes=tuple(str(note) for note in data["notes"]),
    )
