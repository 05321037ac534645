"""The dashboard's menu: each part of the dashboard lists its pages and who may see them, and
the header shows a user only the entries of their role."""

from __future__ import annotations

from dataclasses import dataclass

from asterisk_cc.core.vocabulary import UserRole

ALL_ROLES = (UserRole.AGENT, UserRole.SUPERVISOR, UserRole.ADMIN)
SUPERVISING = (UserRole.SUPERVISOR, UserRole.ADMIN)
ADMIN = (UserRole.ADMIN,)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    """English text; the header translates it."""
    roles: tuple[UserRole, ...]
    order: int
    """Position in the header, left to right."""
