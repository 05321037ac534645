"""Schema migrations, run from code: no alembic.ini on disk, no URL outside the configuration.

``asterisk-cc db upgrade`` calls :func:`upgrade`; ``asterisk-cc db current`` calls
:func:`current_revision`; ``asterisk-cc check`` compares them through
:func:`asterisk_cc.db.engine.check_database`.

The version is kept in the table ``asterisk_cc_schema_version`` (not Alembic's default
``alembic_version``), so the project can share a database with a CRM that uses Alembic too;
and migrations only ever consider the project's own tables (:func:`include_object`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from asterisk_cc.config import DatabaseSettings
from asterisk_cc.db.engine import database_error, describe_url, is_sqlite, make_engine
from asterisk_cc.errors import DatabaseError

__all__ = [
    "VERSION_TABLE",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "include_object",
    "read_revision",
    "revision_is_known",
    "upgrade",
]

log = logging.getLogger(__name__)

VERSION_TABLE = "asterisk_cc_schema_version"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code, optionally carrying an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Only the project's tables take part: a shared CRM database has tables of its own."""
    if type_ == "table":
        from asterisk_cc.db.models import Base

        return name in Base.metadata.tables
    return True


def head_revision() -> str:
    """The newest migration this version of the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise DatabaseError("the package ships no database migrations: reinstall asterisk-cc")
    return head


def revision_is_known(revision: str) -> bool:
    scripts = ScriptDirectory.from_config(alembic_config())
    return any(script.revision == revision for script in scripts.walk_revisions())


def read_revision(connection: Connection) -> str | None:
    """The schema version recorded in the database, None if it has none."""
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE, "transactional_ddl": True}
    )
    return context.get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The database's schema version, None for an empty database; DatabaseError if unreachable."""
    try:
        with engine.connect() as connection:
            return read_revision(connection)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise database_error(engine, exc) from None


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Migrate the schema up to ``revision`` (default: the newest), in one transaction."""
    _run(engine_or_url, lambda config: command.upgrade(config, revision), f"upgrade to {revision}")


def downgrade(engine_or_url: Engine | str, revision: str) -> None:
    """Migrate the schema down to ``revision`` ("base" = drop every project table)."""
    _run(
        engine_or_url,
        lambda config: command.downgrade(config, revision),
        f"downgrade to {revision}",
    )


def _run(engine_or_url: Engine | str, step: Any, what: str) -> None:
    if isinstance(engine_or_url, str):
        engine = make_engine(DatabaseSettings(url=engine_or_url))
        try:
            _run_on(engine, step, what)
        finally:
            engine.dispose()
    else:
        _run_on(engine_or_url, step, what)


def _run_on(engine: Engine, step: Any, what: str) -> None:
    log.info("database %s: %s", describe_url(engine), what)
    try:
        with engine.connect() as connection:
            sqlite = is_sqlite(engine)
            if sqlite:
                # Batch migrations rebuild tables; foreign keys are checked once at the end
                # instead (the pragma only takes effect outside a transaction).
                connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA foreign_keys = OFF"
                )
            try:
                with connection.begin():
                    step(alembic_config(connection))
                    if sqlite:
                        _check_foreign_keys(connection)
            finally:
                if sqlite:
                    connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                        "PRAGMA foreign_keys = ON"
                    )
    except CommandError as exc:
        raise DatabaseError(
            f"The database schema cannot be migrated ({what}) at [database] url = "
            f"{describe_url(engine)}: {exc}. Fix: if the database was migrated by a newer "
            "asterisk-cc, install that version; otherwise restore a backup."
        ) from None
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise database_error(engine, exc) from None


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise DatabaseError(
            f"The migration left rows whose foreign keys point nowhere in {', '.join(tables)}; "
            "it was rolled back. Fix: repair those rows, then run asterisk-cc db upgrade again."
        )
