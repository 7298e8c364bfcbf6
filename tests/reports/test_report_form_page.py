"""The reporter's pages: the list, starting a report, the one-page form (saved without and with JavaScript),
sending the first report, and the report's page with its files."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ceptoar.registry.models import Membership, Organisation
from ceptoar.reports.models import Report, ReportHop, ReportVersion, Stage, TriageStatus
from ceptoar.reports.services.attachments import add_attachment
from ceptoar.reports.services.drafts import start_follow_up
from ceptoar.reports.versions import draft_of
from tests.reports.pages import form_data, submitted_report

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n"


@pytest.fixture(autouse=True)
def english_and_media(english, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _start(client) -> Report:
    response = client.post(reverse("reports:new"))
    report = Report.objects.latest("pk")
    assert response.status_code == 302 and response.url == reverse("reports:edit", args=[report.pk])
    return report


def test_list_shows_my_organisations_reports_and_the_new_report_button(client_as, demo_user):
    member = demo_user("demo-member")
    mine = submitted_report(member, title="Phishing wave against our customers")
    other = submitted_report(demo_user("demo-member2"), title="Not ours")
    html = client_as("demo-member").get(reverse("reports:list")).content.decode()
    assert mine.reference in html and "Phishing wave against our customers" in html
    assert "Report no. 1" in html and "New" in html  # latest version label and triage status
    assert other.reference not in html and "Not ours" not in html
    assert 'id="new-report"' in html and f'action="{reverse("reports:new")}"' in html

    # The analyst of the same organisation reads the list but does not report.
    analyst = client_as("demo-analyst").get(reverse("reports:list")).content.decode()
    assert mine.reference in analyst and 'id="new-report"' not in analyst


def test_new_report_with_one_ceptoar_starts_a_draft_and_opens_the_form(client_as, demo_user):
    client = client_as("demo-member")
    report = _start(client)
    assert report.organisation == demo_user("demo-member").organisation
    assert report.ceptoar.code == "banks" and report.status == TriageStatus.DRAFT
    assert report.versions.get().is_draft
    # A GET never creates anything: it only shows the choice.
    count = Report.objects.count()
    page = client.get(reverse("reports:new"))
    assert page.status_code == 200 and Report.objects.count() == count
    assert "Banks CEPTOAR" in page.content.decode()  # the choice, named in English here


def test_new_report_asks_which_ceptoar_when_there_are_several(client_as, demo_user):
    member = demo_user("demo-member")
    second = Organisation.objects.ceptoars().exclude(code="banks").order_by("code").first()
    Membership.objects.create(ceptoar=second, member=member.organisation, unit="organisation")
    client = client_as("demo-member")
    count = Report.objects.count()
    refused = client.post(reverse("reports:new"))
    assert refused.status_code == 400 and Report.objects.count() == count
    assert "This field is required." in refused.content.decode()
    page = client.get(reverse("reports:new")).content.decode()
    assert second.display_name in page and "Banks CEPTOAR" in page
    response = client.post(reverse("reports:new"), {"ceptoar": second.pk})
    report = Report.objects.latest("pk")
    assert response.status_code == 302 and report.ceptoar == second


def test_the_form_has_every_part_on_one_page(client_as):
    client = client_as("demo-member")
    report = _start(client)
    html = client.get(reverse("reports:edit", args=[report.pk])).content.decode()
    for label in (
        "Precursor or near miss",
        "Leak",
        "Destruction",
        "Unavailability",
        "Malware",
        "Malicious code",
    ):
        assert label in html
    # Causes are grouped under their class; several may be ticked.
    assert "<legend>Intentional (cyber attack)</legend>" in html
    assert "<legend>Environmental (disaster)</legend>" in html
    assert html.count('type="checkbox" name="causes"') == 20
    assert html.count('type="radio" name="event_type"') == 8
    assert html.count('type="datetime-local"') == 3
    assert (
        'name="services-0-people_affected"' in html and 'name="services-0-continuity_level_breached"' in html
    )
    assert 'name="add_service"' in html and 'type="file" name="attachments"' in html
    assert "ipv4-addr: 203.0.113.5" in html  # the observables example
    # Consent in plain words, and that anonymised cases are a separate question.
    assert "Only the secretariat of the CEPTOAR you report to reads your report." in html
    assert "Anonymised failure cases made from it are a separate question" in html
    # The two big buttons; "Save draft" first so that Enter never sends.
    assert html.index(">Save draft</button>") < html.index(">Send</button>")
    assert f'formaction="{reverse("reports:submit", args=[report.pk])}"' in html
    # Autosave with htmx, from our own static files; the first report has no "send as" choice.
    assert f'hx-post="{reverse("reports:autosave", args=[report.pk])}"' in html
    assert 'hx-trigger="change, input delay:2s"' in html
    assert '<script src="/static/django_htmx/htmx' in html and 'name="stage"' not in html
    assert "core/reports.css" in html


def test_save_draft_without_javascript_keeps_everything(client_as):
    client = client_as("demo-member")
    report = _start(client)
    data = form_data(
        causes=["intentional.dos", "intentional.vulnerability_exploited"],
        scope="ministry",
        services_rows=[
            {"name": "Internet banking", "people_affected": "1200", "duration_minutes": "90"},
            {"name": "ATM network", "continuity_level_breached": "on"},
        ],
        action="draft",
    )
    response = client.post(reverse("reports:edit", args=[report.pk]), data)
    assert response.status_code == 302 and response.url == reverse("reports:edit", args=[report.pk])
    draft = draft_of(report)
    assert draft.title == data["title"] and draft.event_type == "unavailability"
    assert draft.causes == ["intentional.dos", "intentional.vulnerability_exploited"]
    assert draft.observables == [
        {"type": "ipv4-addr", "value": "203.0.113.5"},
        {"type": "domain-name", "value": "attacker.example"},
    ]
    # The typed Japan time is kept exactly.
    assert (
        draft.occurred_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%dT%H:%M") == data["occurred_at"]
    )
    rows = list(draft.affected_services.values_list("name", "people_affected", "continuity_level_breached"))
    assert rows == [("Internet banking", 1200, False), ("ATM network", None, True)]
    report.refresh_from_db()
    assert report.scope == "ministry" and report.status == TriageStatus.DRAFT
    assert not report.hops.exists()
    page = client.get(response.url).content.decode()
    assert "Draft saved at" in page and 'value="Internet banking"' in page and "ATM network" in page
    assert 'value="ministry" id="id_scope_1" required checked' in page


def test_autosave_saves_and_answers_with_the_time_only(client_as):
    client = client_as("demo-member")
    report = _start(client)
    response = client.post(
        reverse("reports:autosave", args=[report.pk]),
        form_data(title="Typed so far", description="", services_rows=[]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<span id="autosave-status"') and "Saved at " in html
    assert "<html" not in html and "except the fields" not in html
    # Each field's error place is refreshed (emptied here) out of band.
    assert '<span class="field-errors" id="errors-title" hx-swap-oob="true"' in html
    draft = draft_of(report)
    assert draft.title == "Typed so far" and draft.description == ""
    assert report.versions.count() == 1  # saving never makes a new version


def test_autosave_is_post_only(client_as):
    client = client_as("demo-member")
    report = _start(client)
    assert client.get(reverse("reports:autosave", args=[report.pk])).status_code == 405


def test_add_a_service_row_works_without_javascript_and_with_htmx(client_as):
    client = client_as("demo-member")
    report = _start(client)
    url = reverse("reports:edit", args=[report.pk])
    page = client.post(url, form_data(add_service="1")).content.decode()
    assert 'name="services-TOTAL_FORMS" value="2"' in page and 'name="services-1-name"' in page
    assert draft_of(report).affected_services.count() == 1  # what was typed is saved meanwhile
    htmx = client.post(url, form_data(add_service="1"), headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and 'id="services"' in htmx.content.decode()


def test_a_service_row_can_be_removed(client_as):
    client = client_as("demo-member")
    report = _start(client)
    url = reverse("reports:edit", args=[report.pk])
    rows = [{"name": "Internet banking"}, {"name": "ATM network"}]
    client.post(url, form_data(services_rows=rows))
    client.post(
        url, form_data(services_rows=[{"name": "Internet banking"}, {"name": "ATM network", "DELETE": "on"}])
    )
    assert list(draft_of(report).affected_services.values_list("name", flat=True)) == ["Internet banking"]


def test_send_the_first_report(client_as, demo_user):
    client = client_as("demo-member")
    report = _start(client)
    response = client.post(reverse("reports:submit", args=[report.pk]), form_data())
    assert response.status_code == 302 and response.url == reverse("reports:detail", args=[report.pk])
    report.refresh_from_db()
    version = report.versions.get()
    assert version.submitted_at is not None and version.stage == Stage.FIRST
    assert report.status == TriageStatus.NEW and report.title == form_data()["title"]
    assert ReportHop.objects.filter(report=report, organisation__code="banks").exists()
    page = client.get(response.url).content.decode()
    assert f"Report no. 1 of {report.reference} has been sent to 銀行等CEPTOAR." in page
    assert "Mass access from many addresses" in page and "203.0.113.5" in page
    assert "DDoS or other mass access" in page and "Internet banking" in page
    assert 'id="follow-up"' in page  # the reporter may now send a follow-up
    assert draft_of(report) is None


def test_attachments_are_kept_and_downloaded_by_those_who_may_see_the_report(client_as):
    client = client_as("demo-member")
    report = _start(client)
    upload = SimpleUploadedFile("firewall-log.pdf", PDF, content_type="application/pdf")
    response = client.post(reverse("reports:submit", args=[report.pk]), form_data(attachments=[upload]))
    assert response.status_code == 302
    attachment = report.attachments.get()
    assert attachment.name == "firewall-log.pdf" and attachment.version.number == 1
    url = reverse("reports:attachment", args=[report.pk, attachment.pk])
    detail = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert url in detail

    secretariat = client_as("demo-secretariat")
    download = secretariat.get(url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert client_as("demo-member2").get(url).status_code == 404
    assert client_as("demo-ministry").get(url).status_code == 404  # consent: secretariat only


def test_a_file_in_a_follow_up_draft_stays_with_the_reporter(client_as, demo_user):
    member = demo_user("demo-member")
    report = submitted_report(member)
    draft = start_follow_up(member, report)
    attachment = add_attachment(member, draft, "notes.txt", b"still investigating")
    url = reverse("reports:attachment", args=[report.pk, attachment.pk])
    assert client_as("demo-member").get(url).status_code == 200
    secretariat = client_as("demo-secretariat")
    assert secretariat.get(url).status_code == 404
    assert "notes.txt" not in secretariat.get(reverse("reports:detail", args=[report.pk])).content.decode()


def test_a_file_can_be_removed_from_the_draft(client_as, demo_user):
    member = demo_user("demo-member")
    client = client_as("demo-member")
    report = _start(client)
    attachment = add_attachment(member, draft_of(report), "notes.txt", b"draft notes")
    page = client.get(reverse("reports:edit", args=[report.pk])).content.decode()
    assert f'name="remove_attachment" value="{attachment.pk}"' in page
    client.post(reverse("reports:edit", args=[report.pk]), form_data(remove_attachment=str(attachment.pk)))
    assert not report.attachments.exists()


def test_detail_is_shown_to_whom_the_policy_allows_and_404_to_others(client_as, demo_user):
    report = submitted_report(demo_user("demo-member"), title="Seen by the secretariat only")
    url = reverse("reports:detail", args=[report.pk])
    page = client_as("demo-secretariat").get(url)
    assert page.status_code == 200 and "Seen by the secretariat only" in page.content.decode()
    assert 'id="follow-up"' not in page.content.decode()  # only the reporter adds to it
    for outsider in ("demo-member2", "demo-water", "demo-ministry", "demo-hub"):
        assert client_as(outsider).get(url).status_code == 404, outsider
    assert client_as("demo-member2").get(reverse("reports:detail", args=[999999])).status_code == 404


def test_a_draft_is_seen_only_by_its_organisation(client_as, demo_user):
    client = client_as("demo-member")
    report = _start(client)
    client.post(reverse("reports:edit", args=[report.pk]), form_data(title="Only a draft"))
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert "Not sent yet" in page and reverse("reports:edit", args=[report.pk]) in page
    assert client_as("demo-secretariat").get(reverse("reports:detail", args=[report.pk])).status_code == 404
    assert ReportVersion.objects.filter(report=report).count() == 1
