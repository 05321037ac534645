"""pytest plugin: real, migrated databases for the tests (SQLite and PostgreSQL).

Fixtures
--------
``sqlite_engine``
    A SQLite file in a temporary directory, migrated to head, shared by the test session.
``postgres_engine``
    A database created for this test session on the PostgreSQL server named by the environment
    variable ``ASTERISK_CC_TEST_POSTGRES_URL`` (a login with CREATEDB, e.g.
    ``postgresql+psycopg://asterisk_cc_test:PASSWORD@127.0.0.1:5432/postgres``), migrated to
    head and dropped at the end. Without the variable the test is skipped, or fails when the
    environment variable ``CI`` is set: CI never skips the PostgreSQL tests silently.
``engine``
    Runs the test once on each: ``[sqlite]`` and ``[postgres]`` (marked ``postgres``).
``db_session``
    A session on ``engine`` inside a transaction that is rolled back after the test;
    ``session.commit()`` and ``session.begin_nested()`` work on savepoints inside it.
``empty_engine``
    A brand-new empty database (never migrated) on each backend, for migration tests.

Any test that uses a PostgreSQL fixture is marked ``postgres`` automatically, so
``pytest -m "not postgres"`` leaves them all out.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from asterisk_cc.config import DatabaseSettings
from asterisk_cc.db.engine import make_engine
from asterisk_cc.db.migrate import upgrade

POSTGRES_URL_ENV = "ASTERISK_CC_TEST_POSTGRES_URL"
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
_POSTGRES_FIXTURES = {"postgres_engine", "postgres_server", "postgres_database_factory"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("engine_backend") if callspec else None
        if names & _POSTGRES_FIXTURES or backend == "postgres":
            item.add_marker(pytest.mark.postgres)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("sqlite") / "asterisk-cc.sqlite3"
    engine = make_engine(DatabaseSettings(url=sqlite_url(path)))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> URL:
    """The server URL from the environment; skip (or fail in CI) without it."""
    text = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not text:
        reason = (
            f"the PostgreSQL tests need {POSTGRES_URL_ENV}, the URL of a server login that may "
            "create databases (scripts/start-postgres.sh starts the local cluster and sets it)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return make_url(text)


@pytest.fixture(scope="session")
def postgres_database_factory(postgres_server: URL) -> Iterator[Callable[[], URL]]:
    """Creates uniquely named empty databases on the server; drops them all at the end."""
    admin = make_engine(DatabaseSettings(url=postgres_server.render_as_string(False)))
    created: list[str] = []

    def create() -> URL:
        name = f"asterisk_cc_test_{os.getpid()}_{secrets.token_hex(4)}"
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        created.append(name)
        return postgres_server.set(database=name)

    yield create
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in created:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_engine(postgres_database_factory: Callable[[], URL]) -> Iterator[Engine]:
    url = postgres_database_factory()
    engine = make_engine(DatabaseSettings(url=url.render_as_string(hide_password=False)))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(request: pytest.FixtureRequest, engine_backend: str) -> Engine:
    """The migrated engine of each backend in turn."""
    return request.getfixturevalue(f"{engine_backend}_engine")  # type: ignore[no-any-return]


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def empty_engine(
    request: pytest.FixtureRequest, engine_backend: str, tmp_path: Path
) -> Iterator[Engine]:
    """A new, empty, unmigrated database on each backend."""
    if engine_backend == "sqlite":
        url = sqlite_url(tmp_path / "empty.sqlite3")
    else:
        factory: Callable[[], URL] = request.getfixturevalue("postgres_database_factory")
        url = factory().render_as_string(hide_password=False)
    engine = make_engine(DatabaseSettings(url=url))
    yield engine
    engine.dispose()
