"""A report's versions as the pages read them: its open draft, the latest version sent, and the label
of a version (第1報, 第2報 …, 最終報)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ceptoar.reports.models import Report, ReportVersion, Stage


def draft_of(report: Report) -> ReportVersion | None:
    return report.versions.filter(submitted_at=None).first()


def latest_submitted(report: Report) -> ReportVersion | None:
    return report.versions.exclude(submitted_at=None).order_by("-number").first()


def version_label(version: ReportVersion) -> str:
    """第1報, 第2報 …, 最終報 in the reader's language."""
    if version.stage == Stage.FINAL:
        return _("Final report")
    return _("Report no. %(number)d") % {"number": version.number}
