"""Triage operations: forwarding within consent, status changes, the conversation, deadlines and receipt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone, translation

from ceptoar.accounts.models import Role
from ceptoar.registry.models import Organisation
from ceptoar.reports import tracking
from ceptoar.reports.models import ReportComment, ReportHop, ReportingDeadline, Stage
from ceptoar.reports.services.comments import add_comment
from ceptoar.reports.services.deadlines import set_deadlines
from ceptoar.reports.services.drafts import start_follow_up, start_report
from ceptoar.reports.services.receipts import record_receipt
from ceptoar.reports.services.routing import forward
from ceptoar.reports.services.submission import submit
from ceptoar.reports.services.triage import set_status
from tests.reports.test_triage_support import person, secretariat_organisation, send_report

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


# -- forwarding -----------------------------------------------------------------------------------


def test_forward_within_consent_creates_hops_and_marks_forwarded(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"), scope="hub")
    hops = forward(secretariat, report, ["ministry"])
    assert [(hop.level, hop.organisation.code) for hop in hops] == [("ministry", "fsa")]
    report.refresh_from_db()
    assert report.status == "forwarded"
    hop = report.hops.get(level="ministry")
    assert hop.sent_by == secretariat and hop.sent_at is not None and hop.received_at is None
    forward(secretariat, report, ["hub"])
    assert set(report.hops.values_list("level", "organisation__code")) == {
        ("secretariat", "banks"),
        ("ministry", "fsa"),
        ("hub", "nisc"),
    }


def test_forward_beyond_consent_is_refused_naming_the_consent(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"), scope="secretariat")
    with pytest.raises(ValidationError) as excinfo:
        forward(secretariat, report, ["ministry"])
    message = " ".join(_errors(excinfo)["to_levels"])
    assert "Our CEPTOAR's secretariat only" in message and "Sector ministry" in message
    report.refresh_from_db()
    assert report.status == "new"
    assert report.hops.count() == 1

    ministry_scope = send_report(demo_user("demo-member"), scope="ministry")
    # One level beyond the consent spoils the whole request: nothing is sent, not even the allowed level.
    with pytest.raises(ValidationError) as excinfo:
        forward(secretariat, ministry_scope, ["ministry", "hub"])
    assert "The secretariat and our sector ministry" in " ".join(_errors(excinfo)["to_levels"])
    assert ministry_scope.hops.count() == 1


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], "Choose where to forward the report."),
        (["secretariat"], "not to: secretariat"),
        (["elsewhere"], "not to: elsewhere"),
    ],
)
def test_forward_needs_a_known_level(demo_user, levels, expected):
    report = send_report(demo_user("demo-member"), scope="hub")
    with pytest.raises(ValidationError) as excinfo:
        forward(demo_user("demo-secretariat"), report, levels)
    assert expected in " ".join(_errors(excinfo)["to_levels"])
    assert report.hops.count() == 1


def test_forwarding_twice_or_a_closed_report_is_refused(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"), scope="ministry")
    forward(secretariat, report, ["ministry"])
    with pytest.raises(ValidationError) as excinfo:
        forward(secretariat, report, ["ministry"])
    assert "already been forwarded to" in " ".join(_errors(excinfo)["to_levels"])
    assert report.hops.count() == 2
    set_status(secretariat, report, "closed")
    other = send_report(demo_user("demo-member"), scope="ministry")
    set_status(secretariat, other, "closed")
    with pytest.raises(ValidationError) as excinfo:
        forward(secretariat, other, ["ministry"])
    assert "is closed" in " ".join(_errors(excinfo)["to_levels"])
    assert other.hops.count() == 1


@pytest.mark.parametrize("username", ["demo-ministry", "demo-hub", "demo-member", "demo-coordinator"])
def test_only_the_reports_secretariat_forwards(demo_user, username):
    report = send_report(demo_user("demo-member"), scope="hub")
    with pytest.raises(PermissionDenied):
        forward(demo_user(username), report, ["hub"])
    assert report.hops.count() == 1


def test_forward_options_follow_the_consent(demo_user):
    report = send_report(demo_user("demo-member"), scope="ministry")
    options = {option["level"]: option for option in tracking.forward_options(report)}
    assert options["ministry"]["allowed"] and not options["ministry"]["reached"]
    assert [o.code for o in options["ministry"]["organisations"]] == ["fsa"]
    assert not options["hub"]["allowed"]
    forward(demo_user("demo-secretariat"), report, ["ministry"])
    assert {option["level"]: option for option in tracking.forward_options(report)}["ministry"]["reached"]


# -- status ---------------------------------------------------------------------------------------


def test_status_moves_through_allowed_transitions(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"))
    assert set_status(secretariat, report, "triaged").status == "triaged"
    assert set_status(secretariat, report, "closed", comment="Handled, thank you.").status == "closed"
    comment = ReportComment.objects.get(report=report)
    assert comment.body == "Handled, thank you." and not comment.internal
    assert set_status(secretariat, report, "triaged").status == "triaged"


@pytest.mark.parametrize(
    ("start", "wanted", "field", "expected"),
    [
        ("new", "new", "status", "already “New”"),
        ("triaged", "new", "status", "cannot be set to “New”"),
        ("new", "forwarded", "status", "when you forward it"),
        ("new", "draft", "status", "cannot be set to “Draft (not sent)”"),
        ("new", "lost", "status", "Unknown choice: lost"),
        ("closed", "more_information", "status", "cannot be set to “More information needed”"),
        ("new", "more_information", "comment", "Say what information you need"),
    ],
)
def test_refused_status_changes_change_nothing(demo_user, start, wanted, field, expected):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"))
    if start != "new":
        set_status(secretariat, report, start)
    with pytest.raises(ValidationError) as excinfo:
        set_status(secretariat, report, wanted, comment="   " if field == "comment" else "")
    assert expected in " ".join(_errors(excinfo)[field])
    report.refresh_from_db()
    assert report.status == start
    assert not ReportComment.objects.filter(report=report).exists()


def test_more_information_sends_the_comment_and_the_answer_returns_the_report_to_new(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    report = send_report(member)
    set_status(secretariat, report, "more_information", comment="Which systems were affected?")
    assert report.comments.get().body == "Which systems were affected?"
    report.refresh_from_db()
    assert report.status == "more_information"
    add_comment(member, report, "Only the internet banking front end.")
    report.refresh_from_db()
    assert report.status == "new"
    # A follow-up version answers too (the reporter's service does that).
    set_status(secretariat, report, "more_information", comment="And the cause?")
    draft = start_follow_up(member, report)
    submit(member, draft, stage=Stage.FOLLOW_UP)
    report.refresh_from_db()
    assert report.status == "new"


def test_only_the_secretariat_changes_status(demo_user):
    report = send_report(demo_user("demo-member"), scope="hub")
    forward(demo_user("demo-secretariat"), report, ["ministry", "hub"])
    for username in ("demo-ministry", "demo-hub", "demo-member"):
        with pytest.raises(PermissionDenied):
            set_status(demo_user(username), report, "closed")
    report.refresh_from_db()
    assert report.status == "forwarded"


# -- the conversation -----------------------------------------------------------------------------


def test_reporter_and_hops_comment_and_internal_notes_stay_at_the_hops(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    ministry = demo_user("demo-ministry")
    report = send_report(member, scope="ministry")
    add_comment(member, report, "We have more logs if needed.")
    add_comment(secretariat, report, "Thank you; we are looking at it.")
    add_comment(secretariat, report, "Looks like the wave reported by others.", internal=True)

    def bodies(user) -> list[str]:
        return [comment.body for comment in tracking.comments_for(user, report)]

    assert bodies(member) == ["We have more logs if needed.", "Thank you; we are looking at it."]
    assert len(bodies(secretariat)) == 3
    assert bodies(ministry) == []  # not forwarded yet: the ministry does not see the report at all
    with pytest.raises(PermissionDenied):
        add_comment(ministry, report, "Hello")
    forward(secretariat, report, ["ministry"])
    assert len(bodies(ministry)) == 3
    note = add_comment(ministry, report, "FSA is informed.", internal=True)
    assert note.organisation.code == "fsa" and note.internal
    assert "FSA is informed." not in bodies(member)
    assert bodies(demo_user("demo-hub")) == []


def test_refused_comments_store_nothing(demo_user):
    member = demo_user("demo-member")
    report = send_report(member)
    with pytest.raises(ValidationError) as excinfo:
        add_comment(member, report, "Secret", internal=True)
    assert "the reporter cannot write one" in " ".join(_errors(excinfo)["internal"])
    with pytest.raises(ValidationError) as excinfo:
        add_comment(demo_user("demo-secretariat"), report, "   ")
    assert _errors(excinfo)["body"] == ["Write a comment first."]
    with pytest.raises(ValidationError) as excinfo:
        add_comment(member, report, "x" * (tracking.COMMENT_MAX_LENGTH + 1))
    assert "at most" in " ".join(_errors(excinfo)["body"])
    # The member's analyst reads, the point of contact writes; another member neither.
    for username in ("demo-analyst", "demo-member2", "demo-hub", "demo-water"):
        with pytest.raises(PermissionDenied):
            add_comment(demo_user(username), report, "Hello")
    assert not ReportComment.objects.filter(report=report).exists()


def test_comments_on_a_draft_are_refused(demo_user):
    member = demo_user("demo-member")
    report = start_report(member, Organisation.objects.get(code="banks"))
    assert not tracking.can_comment(member, report)
    with pytest.raises(PermissionDenied):
        add_comment(member, report, "Hello")


# -- deadlines ------------------------------------------------------------------------------------


def _by_kind(report, now=None) -> dict:
    return {deadline.kind: deadline for deadline in tracking.deadlines(report, now=now)}


def test_deadlines_use_the_settings_without_rows_of_the_ceptoar(demo_user):
    report = send_report(demo_user("demo-member"), detected_ago=timedelta(hours=2))
    now = timezone.now()
    deadlines = _by_kind(report, now)
    first, details = deadlines["first"], deadlines["details"]
    assert first.hours == 24 and details.hours == 72
    assert first.due_at == report.detected_at + timedelta(hours=24)
    assert first.state == "met" and first.met_at == report.first_submitted_at
    assert details.state == "due" and details.met_at is None
    assert details.delta == report.detected_at + timedelta(hours=72) - now
    with override_settings(CEPTOAR_REPORTING_DEADLINES={"first": 1, "details": 48}):
        deadlines = _by_kind(report, now)
    assert deadlines["first"].state == "met_late"
    assert deadlines["first"].delta == report.first_submitted_at - (report.detected_at + timedelta(hours=1))
    assert deadlines["details"].hours == 48


def test_deadlines_of_the_ceptoar_and_the_final_report(demo_user):
    member = demo_user("demo-member")
    banks = Organisation.objects.get(code="banks")
    ReportingDeadline.objects.create(ceptoar=banks, kind="first", hours_after_detection=6)
    ReportingDeadline.objects.create(ceptoar=banks, kind="details", hours_after_detection=10)
    late = send_report(member, detected_ago=timedelta(hours=12))
    deadlines = _by_kind(late)
    assert deadlines["first"].hours == 6 and deadlines["first"].state == "met_late"
    assert deadlines["details"].state == "overdue"
    assert timedelta(hours=1, minutes=59) < deadlines["details"].delta <= timedelta(hours=2, minutes=1)
    done = send_report(member, detected_ago=timedelta(hours=1), final=True)
    final_at = done.versions.get(stage="final").submitted_at
    deadlines = _by_kind(done)
    assert deadlines["details"].state == "met" and deadlines["details"].met_at == final_at
    # The first final version counts, even if the report has other versions later.
    assert _by_kind(done, now=timezone.now() + timedelta(days=30))["details"].state == "met"


def test_set_deadlines_validates_and_stores_per_ceptoar(demo_user):
    secretariat = demo_user("demo-secretariat")
    banks = Organisation.objects.get(code="banks")
    assert set_deadlines(secretariat, banks, 12, 48) == {"first": 12, "details": 48}
    assert tracking.deadline_hours(banks) == {"first": 12, "details": 48}
    assert tracking.deadline_hours(Organisation.objects.get(code="water")) == {"first": 24, "details": 72}
    for first, details, field, expected in [
        (12, 6, "details_hours", "cannot be due before the first report (12 hours)"),
        (0, 48, "first_hours", "at least 1"),
        (12, -3, "details_hours", "at least 1"),
        ("soon", 48, "first_hours", "whole number"),
        (12, 10**6, "details_hours", "at most"),
    ]:
        with pytest.raises(ValidationError) as excinfo:
            set_deadlines(secretariat, banks, first, details)
        assert expected in " ".join(_errors(excinfo)[field])
    assert tracking.deadline_hours(banks) == {"first": 12, "details": 48}
    with pytest.raises(PermissionDenied):
        set_deadlines(secretariat, Organisation.objects.get(code="water"), 1, 2)
    with pytest.raises(PermissionDenied):
        set_deadlines(demo_user("demo-ministry"), banks, 1, 2)
    assert ReportingDeadline.objects.filter(ceptoar__code="water").count() == 0


# -- receipt --------------------------------------------------------------------------------------


def test_receipt_is_recorded_once_by_the_first_opener(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"))
    record_receipt(demo_user("demo-member"), report)  # the reporter is no hop
    assert report.hops.get().received_at is None
    record_receipt(secretariat, report)
    hop = report.hops.get()
    assert hop.received_by == secretariat and hop.received_at is not None
    colleague = person("banks-secretariat-2", secretariat.organisation, Role.SECRETARIAT)
    record_receipt(colleague, report)
    again = report.hops.get()
    assert again.received_by == secretariat and again.received_at == hop.received_at


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_receipt_costs_one_statement_when_already_received(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"))
    secretariat.roles  # noqa: B018 (roles are not part of the receipt)
    record_receipt(secretariat, report)
    with CaptureQueriesContext(connection) as queries:
        record_receipt(secretariat, report)
    assert len(_statements(queries.captured_queries)) == 1


def test_the_secretariat_organisation_receives_the_ceptoar_hop(demo_user):
    report = send_report(demo_user("demo-member"))
    running = secretariat_organisation(report.ceptoar)
    assert running.pk != report.ceptoar_id
    staff = person("zenginkyo-staff", running, Role.SECRETARIAT)
    record_receipt(staff, report)
    hop = report.hops.get()
    assert hop.received_by == staff


def test_a_failing_receipt_never_fails_the_page(demo_user, monkeypatch):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"))

    def broken(self, **values):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(QuerySet, "update", broken)
    record_receipt(secretariat, report)  # no exception
    monkeypatch.undo()
    # The surrounding transaction is still usable.
    assert ReportHop.objects.filter(report=report, received_at=None).count() == 1
