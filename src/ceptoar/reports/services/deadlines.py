"""The reporting deadlines a CEPTOAR's secretariat sets: how many hours after detection the first report
and the detailed (final) report are due."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.accounts.access import ceptoars_served_by
from ceptoar.registry.models import Organisation
from ceptoar.reports.models import DeadlineKind, ReportingDeadline
from ceptoar.reports.tracking import MAX_DEADLINE_HOURS


@transaction.atomic
def set_deadlines(user, ceptoar: Organisation, first_hours, details_hours) -> dict[str, int]:
    """The secretariat sets how many hours after detection its CEPTOAR expects each kind of report."""
    if not ceptoars_served_by(user).filter(pk=ceptoar.pk).exists():
        raise PermissionDenied(
            _("Only the secretariat of %(ceptoar)s may set its deadlines.") % {"ceptoar": ceptoar}
        )
    errors: dict[str, list[str]] = {}
    values = {}
    for field, value in (("first_hours", first_hours), ("details_hours", details_hours)):
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors.setdefault(field, []).append(_("Enter a whole number of hours."))
            continue
        if number < 1:
            errors.setdefault(field, []).append(_("The number of hours must be at least 1."))
        elif number > MAX_DEADLINE_HOURS:
            errors.setdefault(field, []).append(
                _("The number of hours may be at most %(count)d.") % {"count": MAX_DEADLINE_HOURS}
            )
        values[field] = number
    if not errors and values["details_hours"] < values["first_hours"]:
        errors["details_hours"] = [
            _("The detailed report cannot be due before the first report (%(hours)d hours).")
            % {"hours": values["first_hours"]}
        ]
    if errors:
        raise ValidationError(errors)
    for kind, field in ((DeadlineKind.FIRST, "first_hours"), (DeadlineKind.DETAILS, "details_hours")):
        ReportingDeadline.objects.update_or_create(
            ceptoar=ceptoar, kind=kind, defaults={"hours_after_detection": values[field]}
        )
    return {DeadlineKind.FIRST: values["first_hours"], DeadlineKind.DETAILS: values["details_hours"]}
