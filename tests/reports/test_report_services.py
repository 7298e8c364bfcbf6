"""The reporter's services as the report pages use them: saving what is valid of a half-typed form, sending,
follow-ups, files, and the version labels."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from ceptoar.reports.forms.reports import ReportForm, save_typed_draft, services_formset
from ceptoar.reports.models import (
    AffectedService,
    Cause,
    EventType,
    Report,
    ReportHop,
    ReportVersion,
    Stage,
    TriageStatus,
)
from ceptoar.reports.services.attachments import add_attachment, remove_attachment
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_follow_up, start_report
from ceptoar.reports.services.submission import submit
from ceptoar.reports.versions import draft_of, version_label
from tests.reports.pages import form_data, report_values, submitted_report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Assertions below are on the English messages; the Japanese ones are checked by test_translations.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def member(demo_user):
    return demo_user("demo-member")


def _new_draft(member) -> ReportVersion:
    from ceptoar.reports import access

    report = start_report(member, access.ceptoars_reportable_by(member).get())
    return draft_of(report)


def _state(report: Report) -> tuple:
    report.refresh_from_db()
    versions = list(report.versions.order_by("number").values())
    service_rows = list(AffectedService.objects.filter(version__report=report).order_by("pk").values())
    return report.status, report.scope, report.title, versions, service_rows, report.hops.count()


def test_submitted_report_helper_sends_a_first_report(member):
    report = submitted_report(member, title="Helper title")
    assert report.status == TriageStatus.NEW and report.title == "Helper title"
    version = report.versions.get()
    assert version.submitted_at is not None and version.stage == Stage.FIRST
    assert report.hops.get().organisation == report.ceptoar
    assert list(report.cause_rows.values_list("cause", flat=True)) == [Cause.DOS]


def test_save_typed_draft_saves_a_complete_form(member):
    draft = _new_draft(member)
    form = ReportForm(form_data(), report=draft.report)
    formset = services_formset(form_data())
    assert save_typed_draft(member, draft, form, formset) is True
    draft.refresh_from_db()
    assert draft.title == form_data()["title"] and draft.event_type == EventType.UNAVAILABILITY
    assert draft.affected_services.get().people_affected == 1200


def test_save_typed_draft_saves_what_is_valid_and_marks_the_rest(member):
    draft = _new_draft(member)
    data = form_data(occurred_at="not a time", title="Valid title", observables="bogus line")
    form = ReportForm(data, report=draft.report)
    assert save_typed_draft(member, draft, form, services_formset(data)) is False
    assert set(form.errors) == {"occurred_at", "observables"}
    draft.refresh_from_db()
    assert draft.title == "Valid title" and draft.occurred_at is None and draft.observables == []
    assert draft.description == data["description"]


def test_a_refused_submission_changes_nothing(member):
    report = submitted_report(member)
    draft = start_follow_up(member, report)
    save_draft(member, draft, DraftContent(values={"description": ""}))
    before = _state(report)
    with pytest.raises(ValidationError) as caught:
        submit(member, draft, stage=Stage.FOLLOW_UP)
    assert caught.value.message_dict == {"description": ["Describe what happened."]}
    assert _state(report) == before


def test_a_final_report_needs_the_recovery_time_when_recovered(member):
    report = submitted_report(member)
    draft = start_follow_up(member, report)
    save_draft(member, draft, DraftContent(values={"incident_status": "recovered"}))
    with pytest.raises(ValidationError) as caught:
        submit(member, draft, stage=Stage.FINAL)
    assert caught.value.message_dict == {"recovered_at": ["Say when it was recovered."]}
    assert draft_of(report).stage == Stage.FOLLOW_UP  # the refused stage was not stored


def test_follow_up_copies_the_last_sent_version(member):
    report = submitted_report(member, description="First account")
    draft = start_follow_up(member, report)
    first = report.versions.get(number=1)
    assert draft.number == 2 and draft.is_draft and draft.description == "First account"
    assert [(s.name, s.people_affected) for s in draft.affected_services.all()] == [
        (s.name, s.people_affected) for s in first.affected_services.all()
    ]
    assert start_follow_up(member, report).pk == draft.pk


def test_follow_up_refused_for_another_organisation_or_a_closed_report(member, demo_user):
    report = submitted_report(member)
    with pytest.raises(ValidationError):
        start_follow_up(demo_user("demo-member2"), report)
    Report.objects.filter(pk=report.pk).update(status=TriageStatus.CLOSED)
    with pytest.raises(PermissionDenied):
        start_follow_up(member, report)
    assert report.versions.count() == 1


def test_a_sent_version_cannot_be_saved_again(member):
    report = submitted_report(member)
    sent = report.versions.get()
    with pytest.raises(ValidationError):
        save_draft(member, sent, DraftContent(values={"title": "Rewritten"}))
    assert report.versions.get().title == report_values()["title"]


def test_attachment_errors_are_keyed_to_the_attachment_field_and_name_the_file(member, settings):
    draft = _new_draft(member)
    with pytest.raises(ValidationError) as caught:
        add_attachment(member, draft, "dropper.exe", b"MZ\x90")
    assert list(caught.value.message_dict) == ["attachment"]
    assert "dropper.exe" in caught.value.message_dict["attachment"][0]
    assert not draft.attachments.exists()


def test_a_sent_file_stays_with_its_version(member):
    draft = _new_draft(member)
    attachment = add_attachment(member, draft, "log.txt", b"log")
    save_draft(member, draft, DraftContent(values=report_values()))
    submit(member, draft)
    with pytest.raises(ValidationError):
        remove_attachment(member, attachment)
    assert draft.attachments.count() == 1


def test_version_labels():
    with translation.override("en"):
        assert version_label(ReportVersion(number=1, stage=Stage.FIRST)) == "Report no. 1"
        assert version_label(ReportVersion(number=3, stage=Stage.FOLLOW_UP)) == "Report no. 3"
        assert version_label(ReportVersion(number=4, stage=Stage.FINAL)) == "Final report"


def test_the_first_sending_records_the_hop_to_the_ceptoar_only(member):
    report = submitted_report(member, scope="hub")
    assert list(ReportHop.objects.filter(report=report).values_list("level", flat=True)) == ["secretariat"]
