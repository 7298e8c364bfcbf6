"""Who may use the STIX imports page: the analysts' and coordinators' roles. What they then see of an import
or item is still the sharing policy's answer (`intel.access.may_export`, `may_export_import`)."""

from __future__ import annotations

from ceptoar.accounts.access import is_active_member
from ceptoar.accounts.models import Role

IMPORTING_ROLES = (
    Role.MEMBER_ANALYST,
    Role.SECRETARIAT,
    Role.COORDINATOR,
    Role.HUB_STAFF,
    Role.MINISTRY_LIAISON,
)


def may_import(user) -> bool:
    return is_active_member(user) and user.has_role(*IMPORTING_ROLES)
