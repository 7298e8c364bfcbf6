"""Reads of the analysis-partner flow that the pages and services share: which partners a report may be
forwarded to now, and the forwards and analyses waiting at an organisation.

What may flow is `agreements.flows`' answer (the one read of agreements); who may see a forward or an
analysis is `sharing.policy`'s (`visible_forwards`, `visible_partner_analyses`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from ceptoar.agreements import flows
from ceptoar.agreements.models import FlowKind
from ceptoar.registry.models import Organisation
from ceptoar.reports.models import (
    AnalysisForward,
    AnalysisStatus,
    PartnerAnalysis,
    Report,
    analysis_category,
)
from ceptoar.sharing import policy
from ceptoar.sharing.models import TLP_RANK, Tlp

# A forward and an analysis go to organisations, never to named people only: never RED.
ANALYSIS_TLPS = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT)


@dataclass(frozen=True)
class PartnerOption:
    """A partner the report may be forwarded to now, with the markings its agreements allow."""

    organisation: Organisation
    flow: flows.Flow
    already_forwarded: bool

    @property
    def highest_tlp_label(self) -> str:
        return str(Tlp(self.flow.highest_tlp).label)

    @property
    def tlps(self) -> list[str]:
        highest = TLP_RANK[Tlp(self.flow.highest_tlp)]
        return [tlp for tlp in ANALYSIS_TLPS if TLP_RANK[tlp] <= highest]


def report_category(report: Report) -> str:
    return analysis_category(report.event_type)


def partner_options(report: Report) -> list[PartnerOption]:
    """The organisations the report's CEPTOAR has an agreement in force with that covers reports for
    analysis in the report's category (at some TLP), by name."""
    category = report_category(report)
    found = {
        receiver: flow
        for receiver, flow in flows.flows_from(report.ceptoar_id).items()
        if flow.allows(FlowKind.REPORT_FOR_ANALYSIS, category)
    }
    done = set(report.analysis_forwards.values_list("partner_id", flat=True))
    return [
        PartnerOption(
            organisation=organisation, flow=found[organisation.pk], already_forwarded=organisation.pk in done
        )
        for organisation in Organisation.objects.filter(pk__in=found).order_by("name")
    ]


def inbox(user) -> QuerySet[AnalysisForward]:
    """The reports forwarded to the user's organisation for analysis that it may still read, newest first."""
    return (
        policy.visible_forwards(user)
        .filter(partner_id=user.organisation_id)
        .select_related("report", "report__ceptoar", "version")
        .order_by("-forwarded_at", "-id")
    )


def returned_to(user) -> QuerySet[PartnerAnalysis]:
    """Analyses returned to the CEPTOARs whose secretariat the user runs, those not yet shared first."""
    # "returned" sorts before "shared".
    return (
        policy.visible_partner_analyses(user)
        .exclude(partner_id=user.organisation_id)
        .select_related("partner", "ceptoar", "result_alert")
        .order_by("status", "-submitted_at", "-id")
    )


def returned_by(user) -> QuerySet[PartnerAnalysis]:
    """The analyses the user's organisation returned, as a partner."""
    return (
        policy.visible_partner_analyses(user)
        .filter(partner_id=user.organisation_id)
        .select_related("ceptoar")
        .order_by("-submitted_at", "-id")
    )


def is_pending(analysis: PartnerAnalysis) -> bool:
    return analysis.status == AnalysisStatus.RETURNED
