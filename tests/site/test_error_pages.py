"""A page that is not there, or not for this person, says so in the user's language and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.reports.models import Report
from tests.reports.pages import submitted_report

pytestmark = pytest.mark.django_db


def test_a_follow_up_to_another_members_report_is_a_clear_not_found(client_as, demo_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = submitted_report(demo_user("demo-member"))
    versions = report.versions.count()
    response = client_as("demo-member2").post(reverse("reports:follow_up", args=[report.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "所属組織が閲覧できない内容です" in html and "何も変更されていません" in html
    assert Report.objects.get(pk=report.pk).versions.count() == versions


def test_a_forbidden_page_names_the_reason(client_as, english):
    response = english.get(reverse("reports:triage_queue"))
    assert response.status_code in (302, 403)
    response = client_as("demo-member").get(reverse("reports:statistics"))
    assert response.status_code == 403
    assert "Not allowed" in response.content.decode() and "Nothing was changed." in response.content.decode()
