"""The receipt of a report at each hop: the first opening by someone of the organisation it was sent to is
recorded, and never breaks the page that opened it."""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ceptoar.accounts.access import is_active_member
from ceptoar.reports.models import ReportHop, TriageStatus
from ceptoar.reports.tracking import levels_within
from ceptoar.sharing import policy

logger = logging.getLogger(__name__)


def record_receipt(user, report) -> None:
    """Record that `user`'s organisation, at one of the report's hops, has received it (first opening).

    One UPDATE, also when the hop was received long ago (then it changes nothing). A failure is logged and
    never breaks the page that called it."""
    if not is_active_member(user) or report.pk is None or report.status == TriageStatus.DRAFT:
        return
    if report.organisation_id == user.organisation_id:
        return
    try:
        # Inside a transaction a savepoint keeps a failed UPDATE from spoiling the caller's work.
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with guard:
            ReportHop.objects.filter(
                policy.at_users_organisation(user),
                report_id=report.pk,
                received_at=None,
                level__in=levels_within(report.scope),
            ).update(received_at=timezone.now(), received_by=user)
    except DatabaseError:
        logger.exception("Could not record the receipt of report %s by user %s", report.pk, user.pk)
