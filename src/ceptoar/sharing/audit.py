"""Writing the audit log: every read of AMBER+STRICT or RED content (DESIGN.md §3).

Call `record_read` wherever such content is shown or handed over (detail pages, exports, e-mails, the
API). It costs nothing for other markings and one INSERT for audited ones; `record_reads` writes a whole
list or export in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model

from ceptoar.sharing.models import AUDITED_TLPS, AuditEntry

_DETAIL_LENGTH = AuditEntry._meta.get_field("detail").max_length


def _entry(user, item: Model, action: str, detail: str) -> AuditEntry:
    return AuditEntry(
        user_id=user.pk,
        # The reader's organisation at the time of reading: people move, the log must not.
        organisation_id=getattr(user, "organisation_id", None),
        action=action,
        item_type=item._meta.label_lower,
        item_id=item.pk,
        tlp=item.tlp,
        detail=detail[:_DETAIL_LENGTH],
    )


def record_read(user, item: Model, action: str = "read", detail: str = "") -> AuditEntry | None:
    """Log that `user` read `item` if its marking is audited; None (and no query) otherwise."""
    if item.tlp not in AUDITED_TLPS or not getattr(user, "is_authenticated", False):
        return None
    entry = _entry(user, item, action, detail)
    entry.save(force_insert=True)
    return entry


def record_reads(user, items: Iterable[Model], action: str = "read", detail: str = "") -> int:
    """Log one entry per audited item of a list or export, in one INSERT; returns how many were written."""
    if not getattr(user, "is_authenticated", False):
        return 0
    entries = [_entry(user, item, action, detail) for item in items if item.tlp in AUDITED_TLPS]
    if entries:
        AuditEntry.objects.bulk_create(entries)
    return len(entries)
