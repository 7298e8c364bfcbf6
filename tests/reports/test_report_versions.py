"""Follow-ups and the final report: 第1報, 第2報 … 最終報 sent from the form, and the report's page with the
history of its versions and what changed in each."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ceptoar.reports.forms.reports import REPORT_TIMEZONE
from ceptoar.reports.models import Cause, CauseClass, Report, ReportVersion, Stage
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_follow_up
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of, latest_submitted
from ceptoar.reports.views.reports import version_changes
from tests.reports.pages import form_data, submitted_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_and_media(english, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _jst(moment) -> str:
    return timezone.localtime(moment, REPORT_TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def _follow_up(client, report: Report) -> ReportVersion:
    response = client.post(reverse("reports:follow_up", args=[report.pk]))
    assert response.status_code == 302 and response.url == reverse("reports:edit", args=[report.pk])
    return draft_of(report)


def test_follow_up_then_final_report_from_the_form(client_as, demo_user):
    report = submitted_report(demo_user("demo-member"))
    client = client_as("demo-member")
    draft = _follow_up(client, report)
    assert draft.number == 2 and draft.title == report.title  # starts from what was sent
    assert list(draft.affected_services.values_list("name", flat=True)) == ["Internet banking"]

    page = client.get(reverse("reports:edit", args=[report.pk])).content.decode()
    assert "Report no. 2" in page and 'name="stage"' in page and "Final report" in page
    assert 'value="Internet banking"' in page  # the stored service, in the form
    first = report.versions.get(number=1)
    recovered = timezone.now() - timedelta(minutes=30)
    data = form_data(
        occurred_at=_jst(first.occurred_at),
        detected_at=_jst(first.detected_at),
        recovered_at=_jst(recovered),
        incident_status="recovered",
        stage="follow_up",
    )
    response = client.post(reverse("reports:submit", args=[report.pk]), data, follow=True)
    assert f"Report no. 2 of {report.reference} has been sent" in response.content.decode()
    second = report.versions.get(number=2)
    assert second.stage == Stage.FOLLOW_UP and second.submitted_at is not None

    _follow_up(client, report)
    response = client.post(
        reverse("reports:submit", args=[report.pk]),
        data | {"stage": "final", "countermeasures": "Filtering permanent."},
        follow=True,
    )
    assert f"Final report of {report.reference} has been sent" in response.content.decode()
    report.refresh_from_db()
    assert report.has_final and report.versions.get(number=3).stage == Stage.FINAL

    # After the final report only follow-ups remain possible.
    _follow_up(client, report)
    page = client.get(reverse("reports:edit", args=[report.pk])).content.decode()
    assert 'name="stage" value="final"' not in page and 'name="stage" value="follow_up"' in page


def test_a_second_follow_up_click_opens_the_same_draft(client_as, demo_user):
    report = submitted_report(demo_user("demo-member"))
    client = client_as("demo-member")
    first = _follow_up(client, report)
    again = _follow_up(client, report)
    assert first.pk == again.pk and report.versions.count() == 2
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Continue the draft (Report no. 2)" in page and 'id="follow-up"' not in page


def test_history_lists_every_sent_version_with_what_changed(client_as, demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member, title="Login failures")
    draft = start_follow_up(member, report)
    save_draft(
        member,
        draft,
        DraftContent(
            values={"title": "Login failures (DDoS)", "causes": [Cause.DOS, Cause.VULNERABILITY_EXPLOITED]},
            affected_services=[{"name": "Internet banking", "people_affected": 5000}],
        ),
    )
    submit(member, draft, stage=Stage.FOLLOW_UP)

    # The secretariat reads the page: newest version first, the history with changes.
    page = client_as("demo-secretariat").get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert page.index("Report no. 2, sent") < page.index('id="history"')
    history = page.split('id="history"')[1]
    assert history.index('id="version-2"') < history.index('id="version-1"')
    assert "3 changes" in history  # title, causes, affected services
    changes = history.split('id="version-2"')[1].split('id="version-1"')[0]
    assert "Login failures (DDoS)" in changes and "Exploited vulnerability" in changes
    assert "Internet banking / 5,000 people" in changes  # the affected services, before and now
    assert "Internet banking / 1,200 people / 90 min" in changes
    assert "Login failures" in history.split('id="version-1"')[1]  # the first version is there too


def test_version_changes_names_only_what_changed(demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    draft = start_follow_up(member, report)
    first = report.versions.get(number=1)
    assert version_changes(first, draft) == []  # a follow-up starts as a copy
    assert version_changes(None, first) == []
    save_draft(member, draft, DraftContent(values={"incident_status": "recovered"}))
    draft.refresh_from_db()
    assert version_changes(first, draft) == [{"label": "status", "before": "Ongoing", "after": "Recovered"}]


def test_the_version_partial_renders_from_the_version_alone(demo_user):
    report = submitted_report(
        demo_user("demo-member"),
        causes=[Cause.DOS, Cause.POWER_OUTAGE, Cause.OTHER],
        observables=[{"type": "url", "value": "https://evil.example/"}],
    )
    version = latest_submitted(report)
    html = render_to_string("reports/_version_content.html", {"version": version})
    assert "Intentional (cyber attack): DDoS or other mass access" in html
    assert "Environmental (disaster): Power or communications outage" in html
    assert "Other: Other" in html
    assert "Unavailability" in html and "Internet banking" in html and "1,200" in html
    assert "https://evil.example/" in html
    occurred = timezone.localtime(version.occurred_at, REPORT_TIMEZONE).strftime("%Y-%m-%d %H:%M")
    assert occurred in html  # Japan time


def test_every_cause_is_labelled_with_its_class():
    for code, label in Cause.choices:
        assert Cause.describe(code) == str(label), code
        assert (
            Cause.describe(code, with_class=True) == f"{CauseClass(Cause.class_of(code)).label}: {label}"
        ), code
    assert Cause.describe("made.up", with_class=True) == "made.up"


def test_the_list_shows_the_latest_version_label(client_as, demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    submit(member, start_follow_up(member, report), stage=Stage.FINAL)
    html = client_as("demo-member").get(reverse("reports:list")).content.decode()
    row = re.search(rf"<tr[^>]*>\s*<td[^>]*><a[^>]*>{report.reference}</a>.*?</tr>", html, re.S).group(0)
    assert "Final report" in row


def test_the_secretariat_never_sees_the_unsent_follow_up(client_as, demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member, title="Sent title")
    draft = start_follow_up(member, report)
    save_draft(member, draft, DraftContent(values={"title": "Unsent draft title"}))
    page = client_as("demo-secretariat").get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Sent title" in page and "Unsent draft title" not in page
    own = client_as("demo-member").get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Continue the draft" in own
