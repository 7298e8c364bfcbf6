"""Bad input on the reporter's pages: a clear message on the field concerned (naming the line or the file),
what was valid still saved, and nothing else changed."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ceptoar.registry.models import Organisation
from ceptoar.reports.forms.reports import parse_observables
from ceptoar.reports.models import HopLevel, Report, ReportAttachment, ReportHop, ReportVersion, TriageStatus
from ceptoar.reports.services.attachments import add_attachment
from ceptoar.reports.services.drafts import start_follow_up
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of
from tests.reports.pages import form_data, submitted_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_and_media(english, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def member_client(client_as):
    return client_as("demo-member")


@pytest.fixture
def report(member_client) -> Report:
    member_client.post(reverse("reports:new"))
    report = Report.objects.latest("pk")
    # A first save with good values, to see that bad ones later do not overwrite them.
    member_client.post(reverse("reports:edit", args=[report.pk]), form_data())
    return report


def _errors_of(page: str, name: str) -> list[str]:
    """The error messages shown on one field (its errors span, on the page or in an autosave answer)."""
    match = re.search(
        rf'<span class="field-errors" id="errors-{re.escape(name)}"[^>]*>((?:<span class="field-error">[^<]*</span>)*)</span>',
        page,
    )
    assert match is not None, f"no error place for {name}"
    return [html.unescape(m) for m in re.findall(r'<span class="field-error">([^<]*)</span>', match.group(1))]


def _autosave(client, report, **overrides):
    return client.post(
        reverse("reports:autosave", args=[report.pk]), form_data(**overrides), headers={"HX-Request": "true"}
    )


# -- autosave and draft saving ---------------------------------------------------------------------


def test_autosave_with_a_malformed_date_saves_the_rest_and_marks_the_date(member_client, report):
    before = draft_of(report).occurred_at
    response = _autosave(
        member_client, report, occurred_at="2025-13-45T99:00", title="New title", description="More"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "except the fields marked in red" in html
    assert _errors_of(html, "occurred_at") == ["Enter a date and time, e.g. 2025-04-01 09:30."]
    assert _errors_of(html, "title") == []
    draft = draft_of(report)
    assert draft.title == "New title" and draft.description == "More"
    assert draft.occurred_at == before  # the bad value did not overwrite the good one


def test_save_draft_with_a_malformed_date_shows_it_on_the_field_and_keeps_what_was_typed(
    member_client, report
):
    response = member_client.post(
        reverse("reports:edit", args=[report.pk]), form_data(detected_at="yesterday", title="Kept title")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert _errors_of(html, "detected_at") == ["Enter a date and time, e.g. 2025-04-01 09:30."]
    assert 'value="yesterday"' in html  # shown as typed, to correct
    assert "Everything else has been saved." in html
    assert draft_of(report).title == "Kept title"


def test_observable_errors_name_each_bad_line(member_client, report):
    text = "ipv4-addr: 203.0.113.5\nipv4-addr: 203.0.113.999\nip: 10.0.0.1\njust some text\nurl: https://ok.example/x"
    response = _autosave(member_client, report, observables=text, countermeasures="Blocked at the edge")
    errors = _errors_of(response.content.decode(), "observables")
    assert errors == [
        "Line 2: “203.0.113.999” is not an IPv4 address.",
        "Line 3: unknown type “ip”. Use one of: ipv4-addr, ipv6-addr, domain-name, url, email-addr, file:md5, "
        "file:sha1, file:sha256, file:sha512.",
        "Line 4: write “type: value”, e.g. “ipv4-addr: 203.0.113.5”.",
    ]
    draft = draft_of(report)
    assert draft.countermeasures == "Blocked at the edge"
    assert draft.observables == [  # as last saved, not half of the new lines
        {"type": "ipv4-addr", "value": "203.0.113.5"},
        {"type": "domain-name", "value": "attacker.example"},
    ]


def test_parse_observables_accepts_the_usual_types_and_defanged_values():
    sha256 = "a" * 64
    assert parse_observables(
        "ipv4-addr: 203.0.113.5\n"
        "ipv6-addr: 2001:db8::1\n"
        "domain-name: Evil.Example\n"
        "url: hxxps://evil[.]example/login\n"
        f"file:sha256: {sha256.upper()}\n"
        "email-addr: attacker@evil.example\n"
        "# a comment\n\n"
        "ipv4-addr: 203.0.113.5\n"
    ) == [
        {"type": "ipv4-addr", "value": "203.0.113.5"},
        {"type": "ipv6-addr", "value": "2001:db8::1"},
        {"type": "domain-name", "value": "evil.example"},
        {"type": "url", "value": "https://evil.example/login"},
        {"type": "file:sha256", "value": sha256},
        {"type": "email-addr", "value": "attacker@evil.example"},
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("file:sha256: abc", "Line 1: “abc” is not a SHA256 hash (64 hexadecimal characters)."),
        ("domain-name: not a domain", "Line 1: “not a domain” is not a domain name."),
        (
            "url: javascript:alert(1)",
            "Line 1: “javascript:alert(1)” is not a URL (http://, https:// or ftp://).",
        ),
        ("email-addr: nobody", "Line 1: “nobody” is not an e-mail address."),
        ("ipv4-addr:", "Line 1: the value after “ipv4-addr:” is missing."),
    ],
)
def test_parse_observables_refuses_bad_values_with_the_line(line, message):
    with pytest.raises(ValidationError) as caught:
        parse_observables(line)
    assert caught.value.messages == [message]


def test_a_service_row_without_a_name_keeps_the_stored_rows(member_client, report):
    rows = [{"name": "", "people_affected": "300"}]
    response = member_client.post(
        reverse("reports:edit", args=[report.pk]), form_data(services_rows=rows, title="Still saved")
    )
    assert response.status_code == 400
    assert _errors_of(response.content.decode(), "services-0-name") == [
        "Name the service (or tick “remove”)."
    ]
    draft = draft_of(report)
    assert draft.title == "Still saved"
    assert list(draft.affected_services.values_list("name", flat=True)) == ["Internet banking"]


def test_negative_or_non_numeric_impact_is_refused_on_the_cell(member_client, report):
    rows = [{"name": "Internet banking", "people_affected": "-5", "duration_minutes": "ninety"}]
    html = _autosave(member_client, report, services_rows=rows).content.decode()
    assert _errors_of(html, "services-0-people_affected") == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert _errors_of(html, "services-0-duration_minutes") == ["Enter a whole number."]
    assert draft_of(report).affected_services.get().people_affected == 1200


def test_a_tampered_choice_is_refused_on_its_field(member_client, report):
    html = _autosave(
        member_client, report, event_type="earthquake", causes=["intentional.dos", "x.y"]
    ).content.decode()
    assert _errors_of(html, "event_type") == [
        "Select a valid choice. earthquake is not one of the available choices."
    ]
    assert _errors_of(html, "causes") == ["Select a valid choice. x.y is not one of the available choices."]
    draft = draft_of(report)
    assert draft.event_type == "unavailability" and draft.causes == ["intentional.dos"]


def test_narrowing_consent_below_a_reached_hop_is_refused_and_the_rest_saved(
    member_client, report, demo_user
):
    member = demo_user("demo-member")
    submit(member, draft_of(report))
    ReportHop.objects.create(
        report=report,
        organisation=Organisation.objects.get(code="fsa"),
        level=HopLevel.MINISTRY,
        sent_by=member,
    )
    Report.objects.filter(pk=report.pk).update(scope="ministry")
    member_client.post(reverse("reports:follow_up", args=[report.pk]))
    html = _autosave(member_client, report, scope="secretariat", title="Follow-up title").content.decode()
    errors = _errors_of(html, "scope")
    assert len(errors) == 1 and "cannot be narrowed" in errors[0] and "金融庁" in errors[0]
    report.refresh_from_db()
    assert report.scope == "ministry" and draft_of(report).title == "Follow-up title"


# -- sending ---------------------------------------------------------------------------------------


def test_recovered_before_it_occurred_is_shown_on_recovered_at_and_nothing_is_sent(member_client, report):
    data = form_data(recovered_at="2020-01-01T00:00", incident_status="recovered", title="As typed")
    response = member_client.post(reverse("reports:submit", args=[report.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert _errors_of(html, "recovered_at") == ["It cannot have been recovered before it occurred."]
    assert "The report has not been sent." in html
    report.refresh_from_db()
    draft = draft_of(report)
    assert report.status == TriageStatus.DRAFT and not report.hops.exists()
    assert draft is not None and draft.submitted_at is None
    assert draft.title == "As typed" and draft.recovered_at is not None  # the draft stays as typed


def test_a_missing_event_type_and_description_are_shown_on_their_fields(member_client, report):
    data = form_data(description="")
    del data["event_type"]
    html = member_client.post(reverse("reports:submit", args=[report.pk]), data).content.decode()
    assert _errors_of(html, "event_type") == ["Choose the event type."]
    assert _errors_of(html, "description") == ["Describe what happened."]
    assert draft_of(report).event_type == ""  # saved as typed: no event type
    assert Report.objects.get(pk=report.pk).status == TriageStatus.DRAFT


def test_a_time_in_the_future_is_refused(member_client, report):
    html = member_client.post(
        reverse("reports:submit", args=[report.pk]), form_data(detected_at="2099-01-01T09:00")
    ).content.decode()
    assert "This time is in the future." in _errors_of(html, "detected_at")


def test_a_malformed_value_blocks_sending(member_client, report):
    response = member_client.post(reverse("reports:submit", args=[report.pk]), form_data(occurred_at="soon"))
    assert response.status_code == 400
    assert Report.objects.get(pk=report.pk).status == TriageStatus.DRAFT


def test_sending_twice_does_not_make_a_second_version(member_client, report):
    url = reverse("reports:submit", args=[report.pk])
    assert member_client.post(url, form_data()).status_code == 302
    again = member_client.post(url, form_data(title="Changed after sending"), follow=True)
    assert "has no draft" in again.content.decode()
    assert report.versions.count() == 1 and report.versions.get().title == form_data()["title"]


# -- files -----------------------------------------------------------------------------------------


def test_an_oversized_file_is_named_on_the_attachment_field_and_the_draft_kept(
    member_client, report, settings
):
    settings.CEPTOAR_ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("capture.pdf", b"%PDF-" + b"x" * 2000, content_type="application/pdf")
    response = member_client.post(
        reverse("reports:edit", args=[report.pk]), form_data(attachments=[big], title="Title with a big file")
    )
    assert response.status_code == 400
    errors = _errors_of(response.content.decode(), "attachments")
    assert errors == ["capture.pdf is 2,005 bytes; attachments may be at most 1,024 bytes."]
    assert not ReportAttachment.objects.filter(report=report).exists()
    assert draft_of(report).title == "Title with a big file"


def test_a_forbidden_file_is_refused_and_the_report_not_sent(member_client, report):
    program = SimpleUploadedFile("invoice.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    disguised = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00", content_type="application/pdf")
    good = SimpleUploadedFile("log.txt", b"ok", content_type="text/plain")
    response = member_client.post(
        reverse("reports:submit", args=[report.pk]), form_data(attachments=[program, disguised, good])
    )
    assert response.status_code == 400
    errors = _errors_of(response.content.decode(), "attachments")
    assert len(errors) == 2
    assert errors[0].startswith("invoice.exe: files of type .exe may not be attached.")
    assert errors[1] == "invoice.pdf does not contain what its name says (.pdf)."
    assert list(report.attachments.values_list("name", flat=True)) == ["log.txt"]
    assert Report.objects.get(pk=report.pk).status == TriageStatus.DRAFT


def test_removing_a_file_of_another_report_does_nothing(member_client, report, demo_user):
    other = submitted_report(demo_user("demo-member2"))
    theirs = add_attachment(
        demo_user("demo-member2"), start_follow_up(demo_user("demo-member2"), other), "x.txt", b"x"
    )
    response = member_client.post(
        reverse("reports:edit", args=[report.pk]), form_data(remove_attachment=str(theirs.pk))
    )
    assert response.status_code == 400
    assert _errors_of(response.content.decode(), "attachments") == ["That file is no longer attached."]
    assert ReportAttachment.objects.filter(pk=theirs.pk).exists()


# -- forged requests ---------------------------------------------------------------------------------


def test_a_forged_follow_up_to_another_organisations_report_creates_nothing(client_as, demo_user):
    report = submitted_report(demo_user("demo-member"))
    versions = ReportVersion.objects.count()
    # Another member cannot even see it.
    assert client_as("demo-member2").post(reverse("reports:follow_up", args=[report.pk])).status_code == 404
    # The secretariat sees it but cannot add to it.
    response = client_as("demo-secretariat").post(reverse("reports:follow_up", args=[report.pk]), follow=True)
    assert f"Report {report.reference} belongs to another organisation; you cannot add to it." in (
        response.content.decode()
    )
    assert ReportVersion.objects.count() == versions


def test_a_follow_up_to_a_closed_report_creates_nothing(client_as, demo_user):
    report = submitted_report(demo_user("demo-member"))
    Report.objects.filter(pk=report.pk).update(status=TriageStatus.CLOSED)
    response = client_as("demo-member").post(reverse("reports:follow_up", args=[report.pk]), follow=True)
    assert (
        f"Report {report.reference} is closed; no follow-up can be added to it." in response.content.decode()
    )
    assert report.versions.count() == 1


def test_another_organisation_cannot_edit_autosave_or_send(client_as, report):
    versions_before = list(report.versions.values_list("pk", "title", "saved_at"))
    for user in ("demo-member2", "demo-water"):
        client = client_as(user)
        assert client.get(reverse("reports:edit", args=[report.pk])).status_code == 404
        assert (
            client.post(reverse("reports:autosave", args=[report.pk]), form_data(title="X")).status_code
            == 404
        )
        assert (
            client.post(reverse("reports:submit", args=[report.pk]), form_data(title="X")).status_code == 404
        )
    assert list(report.versions.values_list("pk", "title", "saved_at")) == versions_before


def test_the_analyst_of_the_same_organisation_cannot_write(client_as, report):
    client = client_as("demo-analyst")
    response = client.post(
        reverse("reports:autosave", args=[report.pk]), form_data(title="Analyst"), follow=True
    )
    assert "Only your own organisation&#x27;s open reports can be changed here." in response.content.decode()
    assert draft_of(report).title == form_data()["title"]


def test_a_report_to_a_ceptoar_the_member_does_not_belong_to_is_refused(client_as):
    water = Organisation.objects.ceptoars().exclude(code="banks").first()
    count = Report.objects.count()
    response = client_as("demo-member").post(reverse("reports:new"), {"ceptoar": water.pk})
    assert response.status_code == 400 and Report.objects.count() == count
    assert "Choose one of the CEPTOARs your organisation belongs to." in response.content.decode()


def test_someone_who_does_not_report_cannot_start_a_report(client_as):
    count = Report.objects.count()
    assert client_as("demo-secretariat").post(reverse("reports:new")).status_code == 403
    assert client_as("demo-hub").get(reverse("reports:new")).status_code == 403
    assert Report.objects.count() == count
