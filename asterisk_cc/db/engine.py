"""Engines and sessions for the shared database, and the one place its errors are explained.

SQLite (the embedded default) is opened in WAL mode, with foreign keys enforced, a busy timeout
(``[database] connect_timeout_s``) and real transactions: SQLAlchemy emits ``BEGIN`` itself, so
savepoints, rollbacks and migrations (transactional DDL) behave as on PostgreSQL. PostgreSQL
gets a connect timeout and pre-ping, so a restarted server costs one reconnect, not an error.

Every failure to reach the database becomes a :class:`~asterisk_cc.errors.DatabaseError` whose
message names the configuration file, the key (``[database] url``, password masked) and the fix.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from asterisk_cc.config import DatabaseSettings
from asterisk_cc.errors import ConfigError, DatabaseError

__all__ = [
    "check_database",
    "database_error",
    "describe_url",
    "is_sqlite",
    "make_engine",
    "session_factory",
    "sqlite_path",
    "upgrade_command",
]

log = logging.getLogger(__name__)

SQLITE_IMMEDIATE = "asterisk_cc_sqlite_immediate"
"""Execution option: on SQLite, start transactions with ``BEGIN IMMEDIATE`` (take the write
lock at once, waiting up to the busy timeout) instead of ``BEGIN``."""


def make_engine(database: DatabaseSettings) -> Engine:
    """An engine for ``[database] url``; nothing is connected yet (see :func:`check_database`)."""
    url = _parse_url(database.url)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"[database] url {describe_url(url)} is not a SQLite or PostgreSQL URL: other "
            "databases are not supported. Fix: use sqlite:////PATH/FILE.sqlite3 or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE."
        )
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url, database.connect_timeout_s)
        return create_engine(
            url,
            connect_args={"connect_timeout": database.connect_timeout_s},
            pool_pre_ping=True,
        )
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise ConfigError(
            f"[database] url {describe_url(url)} cannot be used: {exc}. Fix: use a URL such as "
            "sqlite:////var/lib/asterisk-cc/asterisk-cc.sqlite3 or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE."
        ) from None


def _parse_url(text: str) -> URL:
    try:
        return make_url(text)
    except ArgumentError:
        raise ConfigError(
            "[database] url is not a database URL. Fix: write it like "
            "sqlite:////var/lib/asterisk-cc/asterisk-cc.sqlite3 or "
            "postgresql+psycopg://USER:PASSWORD@HOST/DATABASE (put a URL with a password in "
            "ASTERISK_CC_DATABASE_URL)."
        ) from None


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None  # a URI filename: the admin manages it
    return Path(database)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def describe_url(url: URL | Engine) -> str:
    """The URL as it may be shown: password masked."""
    if isinstance(url, Engine):
        url = url.url
    return url.render_as_string(hide_password=True)


def _sqlite_engine(url: URL, timeout_s: int) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"[database] url {describe_url(url)} names the SQLite file {path}, but its "
                f"directory {path.parent} cannot be created ({exc.strerror or exc}). Fix: create "
                f"{path.parent} and let the service user write to it (SQLite also writes "
                f"{path.name}-wal and {path.name}-shm there), or point [database] url elsewhere."
            ) from None
    engine = create_engine(url, connect_args={"timeout": timeout_s})
    wal = path is not None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints, in WAL
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def session_factory(engine: Engine, *, immediate: bool = False) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit.

    ``immediate=True`` is for read-then-write transactions on SQLite: the write lock is taken
    at ``BEGIN`` (waiting up to the busy timeout) so a concurrent writer cannot make the later
    write fail with "database is locked". It changes nothing on PostgreSQL.
    """
    bind = engine.execution_options(**{SQLITE_IMMEDIATE: True}) if immediate else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def database_error(engine: Engine, exc: BaseException, source: str | None = None) -> DatabaseError:
    """Explain a failure to reach or use the database, in one paragraph with the fix."""
    where = f" in {source}" if source else ""
    key = f"[database] url = {describe_url(engine)}{where}"
    detail = _first_line(exc)
    if is_sqlite(engine):
        path = sqlite_path(engine.url)
        if path is not None:
            fix = (
                f"check that {path} is a SQLite database and that the service user can read and "
                f"write it and its directory {path.parent} (SQLite writes {path.name}-wal and "
                f"{path.name}-shm beside it); if another process holds a long write lock, "
                "raise [database] connect_timeout_s."
            )
        else:
            fix = "check the SQLite URL."
    else:
        url = engine.url
        fix = (
            f"is PostgreSQL running and listening on {url.host or 'the local socket'}"
            f"{':' + str(url.port) if url.port else ''} (pg_lsclusters, systemctl status "
            "postgresql)? Are the host, port, user, password and database name right, and does "
            "pg_hba.conf let this host and user in?"
        )
    return DatabaseError(f"The database cannot be used ({key}): {detail}. Fix: {fix}")


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0].rstrip(".") if text else type(original).__name__


def upgrade_command(source: str | None) -> str:
    """The command that migrates the database named by the configuration file ``source``."""
    if source and not source.startswith("("):
        return f"asterisk-cc --config {source} db upgrade"
    return "asterisk-cc db upgrade"


def check_database(engine: Engine, source: str) -> str:
    """Connect and check the schema is at the newest migration; say so, or raise DatabaseError.

    ``source`` is the configuration file the URL came from, named in the message.
    """
    from asterisk_cc.db.migrate import head_revision, read_revision, revision_is_known

    head = head_revision()
    try:
        with engine.connect() as connection:
            current = read_revision(connection)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise database_error(engine, exc, source) from None
    key = f"[database] url = {describe_url(engine)} in {source}"
    if current is None:
        raise DatabaseError(
            f"The database ({key}) is reachable but has no asterisk-cc schema yet. Fix: run "
            f"{upgrade_command(source)}."
        )
    if current != head:
        if revision_is_known(current):
            raise DatabaseError(
                f"The database ({key}) has schema version {current}, this version of "
                f"asterisk-cc needs {head}. Fix: run {upgrade_command(source)}."
            )
        raise DatabaseError(
            f"The database ({key}) has schema version {current}, which this version of "
            "asterisk-cc does not know: it was migrated by a newer version. Fix: install the "
            "asterisk-cc version that migrated it, or restore a backup taken before."
        )
    return f"{describe_url(engine)} reachable, schema at {head} (newest)"
