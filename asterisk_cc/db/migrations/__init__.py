"""Alembic migrations of the project's schema (run them with ``asterisk-cc db upgrade``)."""
