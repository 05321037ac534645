"""The shared CRM database: models, engines, migrations, customer lookup, lead claims.

- :mod:`asterisk_cc.db.models` — the project's tables (SQLAlchemy 2.x typed models)
- :mod:`asterisk_cc.db.engine` — ``make_engine``, ``check_database``, ``session_factory``
- :mod:`asterisk_cc.db.migrate` — ``upgrade``, ``current_revision`` (Alembic, run from code)
- :mod:`asterisk_cc.db.crm` — ``customer_directory``: callers by phone or account number
- :mod:`asterisk_cc.db.leads` — ``claim_leads`` for the dialers
- :mod:`asterisk_cc.db.tickets` — complaint moves, persisted
- :mod:`asterisk_cc.db.ivr_sessions` — IVR trips, node by node
- :mod:`asterisk_cc.db.ivr_store` — what the IVR writes: interactions, callbacks, surveys
- :mod:`asterisk_cc.db.agents` — agents' PINs, queues by skill, state records, calls taken

See docs/database.md.
"""

import logging

# Alembic announces each of its plugins at INFO, once at import and on every run; what it
# migrates ("Running upgrade ...") stays visible.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
