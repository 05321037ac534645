"""Caller lookup by phone number on 1,000,000 customers, SQLite and PostgreSQL side by side.

For each database: migrate an empty database, bulk-load N customers with one phone each, then
time ``customer_directory(...).find_by_phone`` on random caller IDs as Asterisk gives them
(national form, 90 % known numbers, 10 % unknown) -- ours, a probe of the unique index on
``customer_phones.phone_e164`` -- against the baseline: the same lookup after the unique index
is dropped (a full scan per call). The query plans (EXPLAIN) are printed for both.

Run (PostgreSQL needs a login that may create databases; the benchmark's database is dropped
at the end)::

    source scripts/start-postgres.sh     # or export ASTERISK_CC_TEST_POSTGRES_URL=...
    .venv/bin/python bench/crm_lookup.py

Options: ``--customers``, ``--lookups``, ``--baseline-lookups``, ``--postgres-url``,
``--sqlite-dir``, ``--seed``. Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from machine_info import describe_machine
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from asterisk_cc.config import CrmSettings, DatabaseSettings, SiteSettings
from asterisk_cc.core.phone import normalize_e164
from asterisk_cc.db.crm import BuiltinDirectory, customer_directory
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade

SITE = SiteSettings(default_region="CN")
INDEX = "ux_customer_phones_phone_e164"
LOOKUP_SQL = text(
    "SELECT c.id, c.name, c.account_number, c.tier, c.language, c.timezone, p.phone_e164 "
    "FROM customer_phones AS p JOIN customers AS c ON c.id = p.customer_id "
    "WHERE p.phone_e164 = :phone"
)
TIERS = ["vip"] * 2 + ["gold"] * 10 + ["standard"] * 88


def national(i: int) -> str:
    """Customer i's mobile as a caller ID in CN national form, e.g. 013800000042."""
    return f"0138{i:08d}"


def e164(i: int) -> str:
    return f"+86138{i:08d}"


@dataclass
class Timing:
    database: str
    variant: str
    samples_ns: list[int]
    found: int

    def quantile_us(self, q: float) -> float:
        ordered = sorted(self.samples_ns)
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index] / 1000

    @property
    def per_second(self) -> float:
        return len(self.samples_ns) / (sum(self.samples_ns) / 1e9)


def customer_rows(n: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    for i in range(1, n + 1):
        yield (
            i,
            f"Customer {i}",
            f"A{i:08d}",
            rng.choice(TIERS),
            "zh" if i % 5 else "en",
            "Asia/Shanghai",
        )


def phone_rows(n: int) -> Iterator[tuple[object, ...]]:
    for i in range(1, n + 1):
        yield (i, i, e164(i), "mobile")


def load_sqlite(engine: Engine, n: int, rng: random.Random) -> None:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT INTO customers (id, name, account_number, tier, language, timezone) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            customer_rows(n, rng),
        )
        raw.executemany(
            "INSERT INTO customer_phones (id, customer_id, phone_e164, label) VALUES (?, ?, ?, ?)",
            phone_rows(n),
        )
        raw.execute("COMMIT")
        raw.execute("ANALYZE")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def load_postgres(engine: Engine, n: int, rng: random.Random) -> None:
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            with cursor.copy(
                "COPY customers (id, name, account_number, tier, language, timezone) FROM STDIN"
            ) as copy:
                for row in customer_rows(n, rng):
                    copy.write_row(row)
            with cursor.copy(
                "COPY customer_phones (id, customer_id, phone_e164, label) FROM STDIN"
            ) as copy:
                for row in phone_rows(n):
                    copy.write_row(row)
            cursor.execute("SELECT setval('customers_id_seq', %s)", (n,))
            cursor.execute("SELECT setval('customer_phones_id_seq', %s)", (n,))
        raw.commit()
        raw.autocommit = True
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("VACUUM ANALYZE customers")
            cursor.execute("VACUUM ANALYZE customer_phones")
        raw.autocommit = False


def caller_ids(n: int, count: int, rng: random.Random) -> list[str]:
    """90 % customers' numbers, 10 % numbers nobody has."""
    return [
        national(rng.randint(1, n))
        if rng.random() < 0.9
        else f"0139{rng.randint(0, 10**8 - 1):08d}"
        for _ in range(count)
    ]


def time_lookups(
    database: str,
    variant: str,
    lookup: Callable[[str], object],
    numbers: list[str],
) -> Timing:
    samples: list[int] = []
    found = 0
    for number in numbers:
        start = time.perf_counter_ns()
        result = lookup(number)
        samples.append(time.perf_counter_ns() - start)
        found += result is not None
    return Timing(database, variant, samples, found)


def bench_database(
    name: str,
    engine: Engine,
    load: Callable[[Engine, int, random.Random], None],
    args: argparse.Namespace,
    rng: random.Random,
) -> list[Timing]:
    print(f"\n== {name}: {describe(engine)}", flush=True)
    started = time.perf_counter()
    upgrade(engine)
    load(engine, args.customers, rng)
    print(
        f"migrated and loaded {args.customers:,} customers in {time.perf_counter() - started:.1f} s"
    )
    directory = customer_directory(CrmSettings(), SITE, engine)
    assert isinstance(directory, BuiltinDirectory)
    probe = national(args.customers // 2)
    found = directory.find_by_phone(probe)
    assert found is not None and found.customer_id == str(args.customers // 2), found
    print("EXPLAIN, ours:\n    " + "\n    ".join(directory.explain_phone_lookup(probe)))

    time_lookups(name, "warm-up", directory.find_by_phone, caller_ids(args.customers, 500, rng))
    ours = time_lookups(
        name,
        "ours: unique index, one query",
        directory.find_by_phone,
        caller_ids(args.customers, args.lookups, rng),
    )
    # Where the time goes: the same SELECT on a connection held open (no pool checkout, no
    # transaction, no caller-ID parsing).
    numbers = [normalize_e164(n, "CN") for n in caller_ids(args.customers, args.lookups, rng)]
    with engine.connect() as connection:
        select_only = time_lookups(
            name,
            "  the SELECT alone, held conn.",
            lambda number: connection.execute(LOOKUP_SQL, {"phone": number}).first(),
            numbers,
        )
        connection.rollback()
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX " + INDEX))
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE customer_phones"))
    print(
        "EXPLAIN, baseline (index dropped):\n    "
        + "\n    ".join(directory.explain_phone_lookup(probe))
    )
    baseline = time_lookups(
        name,
        "baseline: no index, full scan",
        directory.find_by_phone,
        caller_ids(args.customers, args.baseline_lookups, rng),
    )
    return [ours, select_only, baseline]


def describe(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return f"SQLite {sqlite3.sqlite_version} (WAL), file {engine.url.database}"
        version = connection.execute(text("SHOW server_version")).scalar()
        return f"PostgreSQL {version}, {engine.url.render_as_string(hide_password=True)}"


def print_table(timings: list[Timing]) -> None:
    header = (
        f"{'database':<11} {'variant':<31} {'lookups':>8} {'p50 µs':>9} {'p95 µs':>9} "
        f"{'p99 µs':>9} {'lookups/s':>10} {'found':>6}"
    )
    print("\n" + header)
    print("-" * len(header))
    for t in timings:
        print(
            f"{t.database:<11} {t.variant:<31} {len(t.samples_ns):>8,} {t.quantile_us(0.5):>9,.0f} "
            f"{t.quantile_us(0.95):>9,.0f} {t.quantile_us(0.99):>9,.0f} {t.per_second:>10,.0f} "
            f"{t.found / len(t.samples_ns):>6.0%}"
        )
    by_db: dict[str, list[Timing]] = {}
    for t in timings:
        by_db.setdefault(t.database, []).append(t)
    for database, rows in by_db.items():
        ours, baseline = rows[0], rows[-1]
        ratio = statistics.median(baseline.samples_ns) / statistics.median(ours.samples_ns)
        print(f"{database}: the index makes the median lookup {ratio:,.0f}x faster")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--baseline-lookups", type=int, default=50)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ASTERISK_CC_TEST_POSTGRES_URL", ""),
        help="server login with CREATEDB (default: $ASTERISK_CC_TEST_POSTGRES_URL); empty = skip",
    )
    parser.add_argument("--sqlite-dir", default=None, help="where the SQLite file goes")
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    print(f"machine: {describe_machine()}")
    parse_start = time.perf_counter_ns()
    sample = caller_ids(args.customers, 20_000, rng)
    for number in sample:
        normalize_e164(number, "CN")
    parse_us = (time.perf_counter_ns() - parse_start) / len(sample) / 1000
    print(f"reading a caller ID into E.164 alone (phonenumbers): {parse_us:.0f} µs on average")

    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(dir=args.sqlite_dir) as directory:
        url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        engine = make_engine(DatabaseSettings(url=url))
        try:
            timings += bench_database("SQLite", engine, load_sqlite, args, rng)
        finally:
            engine.dispose()

    if args.postgres_url:
        server = make_url(args.postgres_url)
        admin = make_engine(DatabaseSettings(url=server.render_as_string(hide_password=False)))
        name = f"asterisk_cc_bench_{secrets.token_hex(4)}"
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql('CREATE DATABASE "' + name + '"')
        engine = make_engine(
            DatabaseSettings(url=server.set(database=name).render_as_string(hide_password=False))
        )
        try:
            timings += bench_database("PostgreSQL", engine, load_postgres, args, rng)
        finally:
            engine.dispose()
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql('DROP DATABASE IF EXISTS "' + name + '" WITH (FORCE)')
            admin.dispose()
    else:
        print("\nPostgreSQL skipped: pass --postgres-url or set ASTERISK_CC_TEST_POSTGRES_URL")

    print_table(timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
