"""Forwarding a submitted report (情報連絡) to its sector ministry and the national hub, never beyond the
reporter's consent: one hop per organisation reached. Errors are ValidationErrors keyed by the form field
concerned, and a refused forwarding leaves everything as it was."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.notifications import events as notify
from ceptoar.registry.models import Organisation
from ceptoar.reports import access
from ceptoar.reports.models import ConsentScope, HopLevel, Report, ReportHop, TriageStatus
from ceptoar.reports.tracking import FORWARD_LEVELS, organisations_at_level, within_consent


def _names(organisations) -> str:
    return ", ".join(str(organisation) for organisation in organisations)


@transaction.atomic
def forward(user, report: Report, to_levels) -> list[ReportHop]:
    """Send the original on to the sector ministry and/or the national hub, never beyond the reporter's
    consent. Creates one hop per organisation reached and marks the report forwarded."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    access.require_triage(user, report)
    levels = list(dict.fromkeys(str(level) for level in to_levels or ()))
    if not levels:
        raise ValidationError({"to_levels": _("Choose where to forward the report.")})
    unknown = [level for level in levels if level not in FORWARD_LEVELS]
    if unknown:
        raise ValidationError(
            {
                "to_levels": _(
                    "A report is forwarded to its sector ministry or the national hub, not to: %(value)s"
                )
                % {"value": ", ".join(unknown)}
            }
        )
    if report.status == TriageStatus.CLOSED:
        raise ValidationError(
            {
                "to_levels": _("Report %(reference)s is closed; reopen it before forwarding it.")
                % {"reference": report.reference}
            }
        )
    beyond = [level for level in levels if not within_consent(level, report.scope)]
    if beyond:
        raise ValidationError(
            {
                "to_levels": _(
                    "The reporter's consent is “%(consent)s”: the report may not be forwarded to %(levels)s."
                )
                % {
                    "consent": ConsentScope(report.scope).label,
                    "levels": ", ".join(str(HopLevel(level).label) for level in beyond),
                }
            }
        )
    already = set(report.hops.values_list("organisation_id", flat=True))
    new_hops: list[ReportHop] = []
    for level in levels:
        targets = list(organisations_at_level(report, level).order_by("code"))
        if not targets:
            raise ValidationError(
                {
                    "to_levels": _("No organisation is registered as %(level)s for %(ceptoar)s.")
                    % {"level": HopLevel(level).label, "ceptoar": report.ceptoar}
                }
            )
        for organisation in targets:
            if organisation.pk not in already:
                already.add(organisation.pk)
                new_hops.append(
                    ReportHop(report=report, organisation=organisation, level=level, sent_by=user)
                )
    if not new_hops:
        reached = Organisation.objects.filter(
            pk__in=report.hops.filter(level__in=levels).values("organisation_id")
        ).order_by("code")
        raise ValidationError(
            {
                "to_levels": _("The report has already been forwarded to %(names)s.")
                % {"names": _names(reached)}
            }
        )
    for hop in new_hops:
        hop.save()
    report.status = TriageStatus.FORWARDED
    report.save(update_fields=["status", "updated_at"])
    notify.report_forwarded(report, new_hops)
    return new_hops
