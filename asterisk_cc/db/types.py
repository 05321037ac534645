"""Column types that behave the same on SQLite and PostgreSQL.

- :class:`UTCDateTime`: timezone-aware UTC in, timezone-aware UTC out, on both databases.
  PostgreSQL stores ``timestamp with time zone``; SQLite has no such type, so the value is
  stored as UTC text without an offset (lexical order = time order) and read back with UTC
  attached. A naive datetime is refused: local time exists only at the edges.
- :data:`BigIntId`: 64-bit keys on PostgreSQL, ``INTEGER PRIMARY KEY`` (rowid) on SQLite.
- :data:`JSONDoc`: ``jsonb`` on PostgreSQL, JSON text on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import JSON, TypeDecorator

__all__ = ["BigIntId", "JSONDoc", "UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that only accepts and only returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} refused: the database stores UTC, pass "
                "a timezone-aware datetime (e.g. datetime.now(UTC))"
            )
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # a value written by hand or by CURRENT_TIMESTAMP
            value = datetime.fromisoformat(value)
        stamp: datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


BigIntId = BigInteger().with_variant(Integer(), "sqlite")
"""Key type for tables that grow by the million (calls, attempts, events)."""

JSONDoc = JSON().with_variant(JSONB(), "postgresql")
"""A JSON document column."""
