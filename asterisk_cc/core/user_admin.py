"""The rules that keep the dashboard administrable when users are changed.

An admin cannot lock themselves out (deactivate or demote their own account), and the last
active admin cannot be removed by any path, so there is always someone who can manage users
from the dashboard. :func:`refuse_user_change` answers whether a change breaks one of these
rules; the caller does the change only when it answers None.
"""

from __future__ import annotations

from enum import StrEnum

from asterisk_cc.core.vocabulary import UserRole

__all__ = ["Refusal", "refuse_user_change"]


class Refusal(StrEnum):
    """Why a change to a user is refused."""

    SELF_DEACTIVATE = "self_deactivate"
    """An admin tried to deactivate their own account."""
    SELF_DEMOTE = "self_demote"
    """An admin tried to take the admin role from their own account."""
    LAST_ADMIN = "last_admin"
    """The change would leave no active admin."""


def refuse_user_change(
    *,
    actor_id: int,
    user_id: int,
    role_before: UserRole,
    active_before: bool,
    role_after: UserRole,
    active_after: bool,
    other_active_admins: int,
) -> Refusal | None:
    """Why ``actor_id`` may not change user ``user_id`` from (``role_before``,
    ``active_before``) to (``role_after``, ``active_after``); None when the change is allowed.

    ``other_active_admins`` counts the active admins other than ``user_id``.
    """
    was_admin = role_before is UserRole.ADMIN and active_before
    stays_admin = role_after is UserRole.ADMIN and active_after
    if not was_admin or stays_admin:
        return None
    if actor_id == user_id:
        return Refusal.SELF_DEACTIVATE if not active_after else Refusal.SELF_DEMOTE
    if other_active_admins < 1:
        return Refusal.LAST_ADMIN
    return None
