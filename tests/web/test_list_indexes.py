"""The dashboard's long lists read a page through an index, with no sort of the whole table:
the QA list of recorded calls and the audit viewer filtered by action (SQLite's query plans of
the statements the pages actually run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, event

Clients = Callable[[str | None], FlaskClient]


@contextmanager
def statements_of(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(
        conn: object, cursor: object, statement: str, parameters: Any, *args: object
    ) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_of(engine: Engine, statements: list[tuple[str, Any]], *needles: str) -> str:
    """The query plan of the one statement run that contains every needle."""
    (statement, parameters), *others = [
        (s, p) for s, p in statements if all(needle in s for needle in needles)
    ]
    assert not others, others
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return "\n".join(str(row[3]) for row in rows)


def test_the_qa_list_reads_only_recorded_calls_by_time(
    web_client: Clients, web_engine: Engine
) -> None:
    client = web_client("supervisor")
    with statements_of(web_engine) as statements:
        assert client.get("/qa/").status_code == 200
        assert client.get("/qa/", query_string={"before": "1795000000000000.5"}).status_code == 200
    lists = [s for s in statements if "recording_ref IS NOT NULL" in s[0]]
    plans = [plan_of(web_engine, [s], "FROM interactions") for s in lists]
    assert len(plans) == 2  # the first page and a next one
    for plan in plans:
        assert "USING INDEX ix_interactions_recorded_started_at" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


def test_the_audit_viewer_filtered_by_action_reads_by_action_and_time(
    web_client: Clients, web_engine: Engine
) -> None:
    client = web_client("admin")
    with statements_of(web_engine) as statements:
        assert client.get("/admin/audit", query_string={"action": "login"}).status_code == 200
    plan = plan_of(web_engine, statements, "FROM audit_log", "ORDER BY")
    assert "USING INDEX ix_audit_log_action_at" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
