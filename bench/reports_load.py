"""The reports pipeline on a day of 100,000 or 1,000,000 calls, against plain SQL, side by side.

One run writes a synthetic Asterisk 22 queue_log day of ``--calls`` calls
(:mod:`queue_log_synth`), migrates a fresh database (a SQLite file by default, or ``--db``),
then times each phase of the pipeline in a process of its own, so that each one's peak
resident memory (VmHWM from /proc/self/status: the interpreter and imports included; the RSS
after the imports is shown beside it) is its own:

(a) ingestion: ``ingest_queue_log_file`` into ``queue_log_events`` (and the commit);
(b) normalisation: ``rebuild_queue_calls`` into ``queue_calls``;
(c) the daily pack: ``build_day_pack`` (the day, the day before and the week before);
(d) rendering: ``render_pack`` in html, csv, xlsx and pdf.

The baseline is plain SQL over the same lines, measured the same way: the lines split on
``|`` and loaded into a bare table (no index; SQLite: ``executemany`` in one transaction,
PostgreSQL: ``COPY``), then offered, answered, abandoned, service level and ASA per queue in
one ``GROUP BY``. It is the floor of the cost: it has no calls (a call that overflowed is two
visits), no agents' time, no intervals, tiers or rendering.

The pack's numbers (the day's headline and the queues table) are checked against what the
generator wrote ("numbers agree: yes/no"), and the baseline's per-queue numbers too.

Run::

    .venv/bin/python bench/reports_load.py --calls 100000
    source scripts/start-postgres.sh    # then give a fresh database:
    .venv/bin/python bench/reports_load.py --calls 100000 --db postgresql+psycopg://...

Options: ``--calls``, ``--seed``, ``--db URL`` (a fresh database: its tables are created),
``--keep DIR`` (keep the file, databases and pack there), ``--formats``, ``--json`` (the last
line printed is one JSON object). Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import pickle
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from machine_info import describe_machine
from queue_log_synth import SynthOptions, Truth, day_bounds_epoch, write_queue_log

# The baseline's bare table (the lines as text, the time as an integer), and its SQL.
RAW_DROP = "DROP TABLE IF EXISTS bench_reports_load_raw"
RAW_DDL = (
    "CREATE TABLE bench_reports_load_raw (epoch BIGINT NOT NULL, callid TEXT, queue TEXT, "
    "agent TEXT, event TEXT, data1 TEXT, data2 TEXT, data3 TEXT, data4 TEXT, data5 TEXT)"
)
RAW_INSERT = (
    "INSERT INTO bench_reports_load_raw (epoch, callid, queue, agent, event, data1, data2, "
    "data3, data4, data5) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
RAW_COPY = (
    "COPY bench_reports_load_raw (epoch, callid, queue, agent, event, data1, data2, data3, "
    "data4, data5) FROM STDIN"
)
BASELINE_SQL = """
SELECT queue,
       COUNT(*) AS offered,
       SUM(CASE WHEN event = 'CONNECT' THEN 1 ELSE 0 END) AS answered,
       SUM(CASE WHEN event = 'ABANDON' AND wait_s >= :short_s THEN 1 ELSE 0 END) AS abandoned,
       SUM(CASE WHEN event = 'CONNECT' AND wait_s <= :sl_s THEN 1 ELSE 0 END) AS within_sl,
       AVG(CASE WHEN event = 'CONNECT' THEN wait_s END) AS asa_s
FROM (SELECT queue, event, epoch,
             CAST(CASE event WHEN 'CONNECT' THEN data1 WHEN 'EXITWITHKEY' THEN data4
                  ELSE data3 END AS INTEGER) AS wait_s
      FROM bench_reports_load_raw
      WHERE event IN ('CONNECT', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY', 'EXITEMPTY',
                      'WITHDRAW')) AS visit_ends
WHERE epoch - wait_s >= :start AND epoch - wait_s < :end
GROUP BY queue
ORDER BY queue
"""
"""Offered, answered, abandoned, answered within the threshold and ASA per queue, for the
visits that entered in [start, end): each visit ends with one line that says how (a CONNECT
for the answered), whose time minus its wait is when it entered."""
FIGURES = ("offered", "answered", "abandoned", "service_level", "asa_s")
OURS = ("ingest", "normalise", "pack", "render")
BASELINE = {"ingest": "baseline_load", "pack": "baseline_query"}
PHASE_TITLES = {
    "ingest": "(a) ingest queue_log into a table",
    "normalise": "(b) normalise into calls in queues",
    "pack": "(c) daily pack | one GROUP BY",
    "render": "(d) render the pack",
}
BATCH_LINES = 10_000


# --- measuring a phase in a process of its own -----------------------------------------------


def _status_mb(key: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB (VmHWM: peak RSS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class PhaseResult:
    phase: str
    elapsed_s: float
    peak_mb: float
    start_mb: float
    detail: dict[str, Any] = field(default_factory=dict)


class Stopwatch:
    """Times the phase proper; what is read or written around it is not counted."""

    def __init__(self) -> None:
        self.elapsed_s = 0.0
        self._started = 0.0

    def __enter__(self) -> Stopwatch:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.elapsed_s = time.perf_counter() - self._started


def _preload(phase: str, state: dict[str, Any]) -> None:
    """Import what the phase uses before its RSS at the start is read."""
    names = PRELOAD.get(phase, ())
    if phase.startswith("baseline") and state["baseline_postgres"]:
        names = ("psycopg",)
    for name in names:
        with contextlib.suppress(ImportError):  # the phase says what is missing
            importlib.import_module(name)


def run_phase(phase: str, state_path: Path) -> None:
    """The child: run one phase, print ``RESULT {json}`` as its last line."""
    state = json.loads(state_path.read_text())
    _preload(phase, state)
    start_mb = _status_mb("VmRSS")
    runner = PHASES[phase]
    watch = Stopwatch()
    detail = runner(state, watch)
    result = PhaseResult(phase, watch.elapsed_s, _status_mb("VmHWM"), start_mb, detail)
    print("RESULT " + json.dumps(result.__dict__), flush=True)


def spawn_phase(phase: str, state_path: Path) -> PhaseResult:
    """Run ``phase`` in a new interpreter (a fresh peak RSS); its output is passed through."""
    command = [sys.executable, str(Path(__file__).resolve()), "--phase", phase]
    command += ["--state", str(state_path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = done.stdout.splitlines()
    for line in lines:
        if not line.startswith("RESULT "):
            print("    " + line)
    if done.returncode != 0 or not lines or not lines[-1].startswith("RESULT "):
        sys.stderr.write(done.stderr)
        raise SystemExit(f"phase {phase} failed (exit status {done.returncode})")
    data = json.loads(lines[-1].removeprefix("RESULT "))
    return PhaseResult(**data)


# --- our pipeline ----------------------------------------------------------------------------


def _engine(state: dict[str, Any]) -> Any:
    from asterisk_cc.config import DatabaseSettings
    from asterisk_cc.db.engine import make_engine

    return make_engine(DatabaseSettings(url=state["url"]))


def _settings(state: dict[str, Any]) -> Any:
    from asterisk_cc.config import ReportsSettings, Settings, SiteSettings

    return Settings(
        site=SiteSettings(name="Benchmark Centre", timezone=state["timezone"]),
        reports=ReportsSettings(output_dir=state["out_dir"], formats=state["formats"]),
    )


def _now(state: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(state["now"])


def phase_ingest(state: dict[str, Any], watch: Stopwatch) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from asterisk_cc.db.queue_log_ingest import ingest_queue_log_file

    engine = _engine(state)
    with Session(engine) as session, watch:
        report = ingest_queue_log_file(session, Path(state["queue_log"]), _now(state))
        session.commit()
    return {"stored": report.stored, "errors": len(report.errors)}


def phase_normalise(state: dict[str, Any], watch: Stopwatch) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from asterisk_cc.db.queue_calls import rebuild_queue_calls

    engine = _engine(state)
    with Session(engine) as session, watch:
        written = rebuild_queue_calls(session)
        session.commit()
    return {"queue_calls": written}


def phase_pack(state: dict[str, Any], watch: Stopwatch) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from asterisk_cc.reports.daily import build_day_pack

    engine = _engine(state)
    settings = _settings(state)
    day = date.fromisoformat(state["day"])
    with Session(engine) as session, watch:
        pack = build_day_pack(session, settings, day, _now(state))
    Path(state["pack"]).write_bytes(pickle.dumps(pack))
    headline = {h.key: h.value for h in pack.headline if h.key in FIGURES}
    queues: dict[str, dict[str, Any]] = {}
    day_figures: dict[str, Any] | None = None
    table = pack.table("queues")
    if table is not None:
        keys = [c.key for c in table.columns]
        for row in table.rows:
            cells = dict(zip(keys, row, strict=True))
            queues[str(cells["queue"])] = {key: cells[key] for key in FIGURES}
        if table.total is not None:
            cells = dict(zip(keys, table.total, strict=True))
            day_figures = {key: cells[key] for key in FIGURES}
    return {"day": day_figures, "headline": headline, "queues": queues}


def phase_render(state: dict[str, Any], watch: Stopwatch) -> dict[str, Any]:
    try:
        from asterisk_cc.reports.render import render_pack
    except ImportError as error:
        return {"skipped": f"asterisk_cc.reports.render cannot be imported: {error}"}
    pack = pickle.loads(Path(state["pack"]).read_bytes())  # noqa: S301 -- our own file
    out_dir = Path(state["out_dir"])
    formats = list(state["formats"])
    notes = []
    try:
        with watch:
            files = render_pack(pack, "en", formats, out_dir)
    except Exception as error:  # pdf needs fonts: measure the rest and say why
        if "pdf" not in formats:
            raise
        notes.append(f"pdf left out: {type(error).__name__}: {error}")
        formats.remove("pdf")
        with watch:
            files = render_pack(pack, "en", formats, out_dir)
    return {
        "formats": formats,
        "bytes": {path.suffix.lstrip("."): path.stat().st_size for path in files},
        "notes": notes,
    }


# --- the baseline: plain SQL -----------------------------------------------------------------


def _raw_rows(path: Path) -> Iterator[tuple[object, ...]]:
    """The file's lines split on '|': the time, four fields, the event, five data fields
    (a sixth, ATTENDEDTRANSFER LINK's, joined to the fifth)."""
    with path.open("r", encoding="utf-8", errors="replace") as stream:
        for line in stream:
            fields = line.rstrip("\n").split("|")
            data = fields[5:]
            if data == [""]:
                data = []
            if len(data) > 5:
                data = [*data[:4], "|".join(data[4:])]
            data += [None] * (5 - len(data))  # type: ignore[list-item]
            yield (int(fields[0]), *fields[1:5], *data)


def _batches(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_LINES:
            yield batch
            batch = []
    if batch:
        yield batch


def _load_sqlite(database: str, path: Path, watch: Stopwatch) -> int:
    loaded = 0
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")  # as the project's engine
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(RAW_DROP)
    connection.execute(RAW_DDL)
    with watch:
        connection.execute("BEGIN")
        for batch in _batches(_raw_rows(path)):
            connection.executemany(RAW_INSERT, batch)
            loaded += len(batch)
        connection.execute("COMMIT")
    connection.close()
    return loaded


def _load_postgres(conninfo: str, path: Path, watch: Stopwatch) -> int:
    import psycopg

    loaded = 0
    with psycopg.connect(conninfo) as connection:
        connection.execute(RAW_DROP)
        connection.execute(RAW_DDL)
        connection.commit()
        with watch:
            with connection.cursor() as cursor, cursor.copy(RAW_COPY) as copy:
                for row in _raw_rows(path):
                    copy.write_row(row)
                    loaded += 1
            connection.commit()
    return loaded


def phase_baseline_load(state: dict[str, Any], watch: Stopwatch) -> dict[str, Any]:
    path = Path(state["queue_log"])
    if state["baseline_sqlite"]:
        return {"rows": _load_sqlite(state["baseline_sqlite"], path, watch)}
    return {"rows": _load_postgres(state["baseline_postgres"], path, watch)}


def _query_sqlite(database: str, params: dict[str, int], watch: Stopwatch) -> list[Any]:
    connection = sqlite3.connect(database)
    with watch:
        rows = connection.execute(BASELINE_SQL, params).fetchall()
    connection.close()
    return rows


def _query_postgres(conninfo: str, params: dict[str, int], watch: Stopwatch) -> list[Any]:
    import psycopg

    query = re.sub(r":(\w+)", r"%(\1)s", BASELINE_SQL)  # psycopg's named parameters
    with psycopg.connect(conninfo) as connection, watch:
        return connection.execute(query, params).fetchall()


def phase_baseline_query(state: dict[str, Any], watch: Stopwatch) -> dict[str, Any]:
    start, end = day_bounds_epoch(date.fromisoformat(state["day"]), state["timezone"])
    params = {
        "start": start,
        "end": end,
        "sl_s": int(state["sl_threshold_s"]),
        "short_s": int(state["short_abandon_s"]),
    }
    if state["baseline_sqlite"]:
        rows = _query_sqlite(state["baseline_sqlite"], params, watch)
    else:
        rows = _query_postgres(state["baseline_postgres"], params, watch)
    queues = {}
    for queue, offered, answered, abandoned, within, asa in rows:
        queues[queue] = {
            "offered": int(offered),
            "answered": int(answered),
            "abandoned": int(abandoned),
            "service_level": int(within) / int(offered) if offered else None,
            "asa_s": float(asa) if asa is not None else None,
        }
    return {"queues": queues}


_DB = ("sqlalchemy.orm", "asterisk_cc.config", "asterisk_cc.db.engine")
PRELOAD = {
    "ingest": (*_DB, "asterisk_cc.db.queue_log_ingest"),
    "normalise": (*_DB, "asterisk_cc.db.queue_calls"),
    "pack": (*_DB, "asterisk_cc.reports.daily"),
    "render": ("asterisk_cc.reports.render",),
}
PHASES = {
    "ingest": phase_ingest,
    "normalise": phase_normalise,
    "pack": phase_pack,
    "render": phase_render,
    "baseline_load": phase_baseline_load,
    "baseline_query": phase_baseline_query,
}


# --- checking the numbers --------------------------------------------------------------------


def _same(actual: Any, expected: float | None) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    return abs(float(actual) - float(expected)) <= 1e-9 * max(1.0, abs(float(expected)))


def compare(
    where: str, actual: dict[str, Any] | None, expected: dict[str, float | None]
) -> list[str]:
    """The figures of ``actual`` that differ from ``expected``, one line each."""
    if actual is None:
        return [f"{where}: missing"]
    return [
        f"{where} {key}: {actual.get(key)!r}, should be {value!r}"
        for key, value in expected.items()
        if not _same(actual.get(key), value)
    ]


def check_pack(truth: Truth, pack: dict[str, Any]) -> list[str]:
    """The queues table (its rows: visits; its total: calls) and the headline (calls; it has
    no count of abandons) against the truth."""
    day = truth.day_calls.figures()
    problems = compare("day (queues total)", pack["day"], day)
    headline = {key: day[key] for key in pack["headline"]}
    problems += compare("headline", pack["headline"], headline)
    for name, counts in truth.queues.items():
        problems += compare(f"queue {name}", pack["queues"].get(name), counts.figures())
    return problems


def check_baseline(truth: Truth, baseline: dict[str, Any]) -> list[str]:
    problems = []
    for name, counts in truth.queues.items():
        problems += compare(f"queue {name}", baseline["queues"].get(name), counts.figures())
    return problems


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Database:
    """Where the run writes: ours (a URL) and the baseline's bare table (a SQLite file, or
    the same PostgreSQL database)."""

    url: str
    description: str
    baseline_sqlite: str | None
    baseline_postgres: str | None


def prepare_database(args: argparse.Namespace, workdir: Path) -> Database:
    """Check the database is fresh and migrate it (not timed)."""
    from sqlalchemy import inspect, text
    from sqlalchemy.engine import make_url

    from asterisk_cc.config import DatabaseSettings
    from asterisk_cc.db.engine import describe_url, make_engine
    from asterisk_cc.db.migrate import upgrade

    if args.db:
        url = make_url(args.db)
    else:
        path = workdir / "reports.sqlite3"
        if path.exists():
            raise SystemExit(
                f"{path} already exists: the benchmark needs a fresh database. Remove it or "
                "give another --keep DIR."
            )
        url = make_url(f"sqlite:///{path}")
    text_url = url.render_as_string(hide_password=False)
    engine = make_engine(DatabaseSettings(url=text_url))
    try:
        tables = set(inspect(engine).get_table_names())
        if "queue_log_events" in tables:
            with engine.connect() as connection:
                rows = connection.execute(text("SELECT COUNT(*) FROM queue_log_events")).scalar()
            if rows:
                raise SystemExit(
                    f"{describe_url(engine)} already holds {rows:,} queue_log events: give a "
                    "fresh database (its tables are created by the benchmark)."
                )
        started = time.perf_counter()
        upgrade(engine)
        print(f"migrated {describe_url(engine)} in {time.perf_counter() - started:.1f} s")
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                description = f"SQLite {sqlite3.sqlite_version} (WAL)"
            else:
                version = connection.execute(text("SHOW server_version")).scalar()
                description = f"PostgreSQL {version}"
    finally:
        engine.dispose()
    if url.get_backend_name() == "postgresql":
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return Database(text_url, description, None, libpq)
    baseline = workdir / "baseline.sqlite3"
    if baseline.exists():
        baseline.unlink()
    return Database(text_url, description, str(baseline), None)


def drop_raw_table(database: Database) -> None:
    if database.baseline_postgres:
        import psycopg

        with psycopg.connect(database.baseline_postgres) as connection:
            connection.execute(RAW_DROP)


@dataclass
class Row:
    phase: str
    ours: PhaseResult | None
    baseline: PhaseResult | None

    def as_json(self) -> dict[str, Any]:
        def part(result: PhaseResult | None, name: str) -> dict[str, Any]:
            if result is None:
                return {f"{name}_s": None, f"{name}_mb": None, f"{name}_start_mb": None}
            return {
                f"{name}_s": round(result.elapsed_s, 3),
                f"{name}_mb": round(result.peak_mb, 1),
                f"{name}_start_mb": round(result.start_mb, 1),
                f"{name}_detail": result.detail,
            }

        return {"phase": self.phase, **part(self.ours, "ours"), **part(self.baseline, "baseline")}


def _cell(result: PhaseResult | None, field_name: str, digits: int) -> str:
    value = getattr(result, field_name) if result is not None else None
    return _number(value, digits)


def _number(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'phase':<36} {'ours s':>9} {'baseline s':>11} {'ours MB':>9} {'baseline MB':>12}"
        f"   {'RSS after imports (ours / baseline)':>24}"
    )
    print("\n" + header)
    print("-" * len(header))
    for row in rows:
        ours, base = row.ours, row.baseline
        start = f"{_cell(ours, 'start_mb', 0)} / {_cell(base, 'start_mb', 0)} MB"
        print(
            f"{row.phase:<36} {_cell(ours, 'elapsed_s', 2):>9} "
            f"{_cell(base, 'elapsed_s', 2):>11} {_cell(ours, 'peak_mb', 0):>9} "
            f"{_cell(base, 'peak_mb', 0):>12}   {start}"
        )
    ours_total = sum(r.ours.elapsed_s for r in rows if r.ours)
    base_total = sum(r.baseline.elapsed_s for r in rows if r.baseline)
    ours_peak = max((r.ours.peak_mb for r in rows if r.ours), default=None)
    base_peak = max((r.baseline.peak_mb for r in rows if r.baseline), default=None)
    print(
        f"{'total (MB: the highest peak)':<36} {ours_total:>9,.2f} {base_total:>11,.2f} "
        f"{_number(ours_peak, 0):>9} {_number(base_peak, 0):>12}"
    )


def day_now(day: date, timezone: str) -> datetime:
    """When the scheduler makes the pack: 06:30 local the morning after."""
    local = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(timezone))
    return (local + timedelta(hours=6, minutes=30)).astimezone(UTC)


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    options = SynthOptions(calls=args.calls, seed=args.seed, day=args.day, timezone=args.timezone)
    queue_log = workdir / "queue_log"
    started = time.perf_counter()
    truth = write_queue_log(queue_log, options)
    generate_s = time.perf_counter() - started
    size_mb = queue_log.stat().st_size / 1024 / 1024
    print(
        f"wrote {queue_log}: {truth.calls:,} calls on {truth.day} ({truth.timezone}) + "
        f"{truth.before_day_calls} the evening before, {truth.lines:,} lines "
        f"({truth.lines_per_call:.2f} a call), {size_mb:,.0f} MiB, in {generate_s:.1f} s"
    )
    (workdir / "truth.json").write_text(json.dumps(truth.to_json(), indent=1))
    database = prepare_database(args, workdir)
    state = {
        "url": database.url,
        "baseline_sqlite": database.baseline_sqlite,
        "baseline_postgres": database.baseline_postgres,
        "queue_log": str(queue_log),
        "day": truth.day,
        "timezone": truth.timezone,
        "now": day_now(args.day, args.timezone).isoformat(),
        "formats": args.formats,
        "out_dir": str(workdir / "pack"),
        "pack": str(workdir / "pack.pickle"),
        "sl_threshold_s": truth.sl_threshold_s,
        "short_abandon_s": truth.short_abandon_s,
    }
    state_path = workdir / "state.json"
    state_path.write_text(json.dumps(state))
    results: dict[str, PhaseResult] = {}
    load_before = os.getloadavg()[0]
    try:
        for phase in (*OURS, *BASELINE.values()):
            print(f"{phase} ...", flush=True)
            results[phase] = spawn_phase(phase, state_path)
            result = results[phase]
            print(
                f"  {result.elapsed_s:,.2f} s, peak RSS {result.peak_mb:,.0f} MiB: "
                f"{json.dumps(result.detail)[:300]}",
                flush=True,
            )
    finally:
        if not args.keep:
            drop_raw_table(database)
    notes = [
        f"load average (1 min) {load_before:.2f} before the phases, {os.getloadavg()[0]:.2f} "
        f"after: other work on the machine slows the phases down"
    ]
    ingest = results["ingest"].detail
    pack_problems = check_pack(truth, results["pack"].detail)
    if ingest["stored"] != truth.lines or ingest["errors"]:
        pack_problems.insert(
            0,
            f"ingestion stored {ingest['stored']:,} of {truth.lines:,} lines "
            f"({ingest['errors']:,} refused)",
        )
    baseline_problems = check_baseline(truth, results["baseline_query"].detail)
    render = results["render"].detail
    if "skipped" in render:
        notes.append(f"rendering not measured: {render['skipped']}")
        del results["render"]
    notes += render.get("notes", [])
    rows = [
        Row(
            PHASE_TITLES[phase],
            results.get(phase),
            results.get(BASELINE[phase]) if phase in BASELINE else None,
        )
        for phase in OURS
    ]
    return {
        "machine": describe_machine(),
        "database": database.description,
        "calls": truth.calls,
        "lines": truth.lines,
        "lines_per_call": round(truth.lines_per_call, 2),
        "file_mib": round(size_mb, 1),
        "seed": args.seed,
        "day": truth.day,
        "timezone": truth.timezone,
        "generate_s": round(generate_s, 2),
        "rows": rows,
        "numbers_agree": not pack_problems,
        "pack_problems": pack_problems,
        "baseline_agrees": not baseline_problems,
        "baseline_problems": baseline_problems,
        "truth": truth.day_calls.figures(),
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--db", default="", help="a fresh database URL (default: a new SQLite file)"
    )
    parser.add_argument("--keep", default="", help="keep the file, databases and pack in DIR")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--timezone", default="Asia/Shanghai")
    parser.add_argument(
        "--formats", type=lambda text: text.split(","), default=["html", "csv", "xlsx", "pdf"]
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--state", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        if args.state is None:
            parser.error("--phase needs --state")
        run_phase(args.phase, args.state)
        return 0
    if args.calls < 1:
        parser.error(f"--calls must be at least 1, not {args.calls}")
    print(f"machine: {describe_machine()}", flush=True)
    if args.keep:
        workdir = Path(args.keep)
        workdir.mkdir(parents=True, exist_ok=True)
        outcome = run(args, workdir)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="reports_load."))
        try:
            outcome = run(args, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{outcome['calls']:,} calls, {outcome['lines']:,} lines; {outcome['database']}")
    print_table(outcome["rows"])
    print(f"\nnumbers agree: {'yes' if outcome['numbers_agree'] else 'no'}", end="")
    print(f" (the pack's day and queues against the file's truth: {outcome['truth']})")
    for problem in outcome["pack_problems"]:
        print("  " + problem)
    print(f"baseline numbers agree (per queue): {'yes' if outcome['baseline_agrees'] else 'no'}")
    for problem in outcome["baseline_problems"]:
        print("  " + problem)
    for note in outcome["notes"]:
        print("note: " + note)
    if args.json:
        outcome["rows"] = [row.as_json() for row in outcome["rows"]]
        print(json.dumps(outcome))
    return 0 if outcome["numbers_agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
