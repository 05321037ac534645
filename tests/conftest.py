"""Shared fixtures: the real Asterisk 22 sandbox and the real databases come from plugins.

In CI (environment variable CI set) a missing Asterisk sandbox or PostgreSQL server fails the
run loudly; on a developer's machine those tests are skipped with the reason.
"""

pytest_plugins = [
    "tests.asterisk_fixtures",
    "tests.browser_fixtures",
    "tests.db_fixtures",
    "tests.smtp_fixtures",
    "tests.web_fixtures",
]
