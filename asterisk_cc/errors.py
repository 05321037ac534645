"""The project's own errors.

Library errors (SQLAlchemy, httpx, OSError, ...) are translated into these once, at the edge
where they happen, so the command line can print one clear message instead of a traceback.

    AsteriskCCError
     ├── ConfigError          the configuration file or environment is wrong
     ├── DatabaseError        the database cannot be reached or is not migrated
     ├── AsteriskUnreachable  ARI, AMI or the Asterisk control socket does not answer
     └── SandboxError         the Asterisk sandbox cannot be built, started or stopped
"""

from __future__ import annotations


class AsteriskCCError(Exception):
    """Base of every error the project raises on purpose.

    ``exit_code`` is what the command line returns when this error ends a command.
    """

    exit_code = 1


class ConfigError(AsteriskCCError):
    exit_code = 2


class DatabaseError(AsteriskCCError):
    exit_code = 3


class AsteriskUnreachable(AsteriskCCError):
    exit_code = 4


class SandboxError(AsteriskCCError):
    exit_code = 5
