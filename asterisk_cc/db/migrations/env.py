"""Alembic environment: runs inside :mod:`asterisk_cc.db.migrate`, which hands over an open
connection (``config.attributes["connection"]``); there is no alembic.ini and no URL here."""

from __future__ import annotations

from alembic import context

from asterisk_cc.db.migrate import VERSION_TABLE, include_object
from asterisk_cc.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through asterisk_cc.db.migrate (asterisk-cc db upgrade), not the alembic "
        "command: the connection comes from the project's configuration"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    include_object=include_object,
    # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    # migrate.py runs every migration in one transaction, on SQLite too.
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
