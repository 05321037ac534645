"""Shared fixtures: the real Asterisk 22 sandbox and the real databases come from plugins.

In CI (environment variable CI set) a missing Asterisk sandbox or PostgreSQL server fails the
run loudly; on a developer's machine those tests are skipped with the reason.
"""

from hypothesis import HealthCheck, settings

pytest_plugins = [
    "tests.asterisk_fixtures",
    "tests.browser_fixtures",
    "tests.db_fixtures",
    "tests.smtp_fixtures",
    "tests.web_fixtures",
]


# Property tests assert behaviour, never speed: on a busy machine (CI, or tests running beside
# other work) Hypothesis's timing checks — a deadline per example, "input generation is slow" —
# fail a correct test. They are off for every property test.
settings.register_profile(
    "asterisk_cc", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("asterisk_cc")
