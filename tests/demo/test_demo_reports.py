"""The demo's reports and cases are written through the real services and respect the reporters' consent."""

from __future__ import annotations

import pytest

from ceptoar.demo.reports import REPORTING_CEPTOARS, load_demo_reports
from ceptoar.reports.models import SCOPE_RANK, Case, CaseStatus, ConsentScope, HopLevel, Report, TriageStatus
from ceptoar.search.services import matching_ids
from ceptoar.sharing import policy

pytestmark = pytest.mark.django_db


def test_demo_reports_fill_the_queue_the_library_and_keep_consent(demo_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    written = load_demo_reports()
    assert written == sum(REPORTING_CEPTOARS.values()) == Report.objects.count()
    assert load_demo_reports() == 0  # loaded once
    assert not Report.objects.filter(status=TriageStatus.DRAFT).exists()
    for report in Report.objects.prefetch_related("hops"):
        for hop in report.hops.all():
            assert SCOPE_RANK[ConsentScope(hop.level)] <= SCOPE_RANK[ConsentScope(report.scope)], report
    assert Report.objects.filter(hops__level=HopLevel.HUB).exists()

    published = Case.objects.filter(status=CaseStatus.PUBLISHED)
    assert published.count() >= 10
    for case in published.select_related("report__organisation"):
        assert case.report.organisation.name not in case.body
    # The banks' members find their CEPTOAR's cases in the library, by a word of the text.
    member = demo_user("demo-member2")
    found = policy.visible_items(member, published.filter(pk__in=matching_ids("case", "停電")))
    banks_cases = published.filter(origin_organisation__code="banks", body__contains="停電")
    assert set(found) >= set(banks_cases)
    assert (
        policy.visible_items(
            demo_user("demo-water"), published.filter(origin_organisation__code="banks")
        ).count()
        == 0
    )
