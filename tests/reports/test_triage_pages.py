"""The triage queue, the deadlines page, the received list, the POST actions of a report's page, and the
triage panel and conversation tags as the report page renders them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ceptoar.registry.models import Organisation
from ceptoar.reports.models import ReportComment, ReportingDeadline
from ceptoar.reports.services.comments import add_comment
from ceptoar.reports.services.receipts import record_receipt
from ceptoar.reports.services.routing import forward
from ceptoar.reports.services.triage import set_status
from tests.reports.test_triage_support import send_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

QUEUE = "reports:triage_queue"


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _detail(report) -> str:
    return reverse("reports:detail", args=[report.pk])


# -- the queue ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["demo-member", "demo-hub", "demo-ministry", "demo-analyst"])
def test_the_queue_is_for_secretariats(client_as, username):
    assert client_as(username).get(reverse(QUEUE)).status_code == 403


def test_the_queue_puts_overdue_first_then_due_soonest_then_newest(client_as, demo_user):
    member = demo_user("demo-member")
    done_older = send_report(member, title="Final already sent (older)", final=True)
    soon = send_report(member, title="Due soon", detected_ago=timedelta(hours=60))
    later = send_report(member, title="Due later", detected_ago=timedelta(hours=1))
    overdue = send_report(member, title="Long overdue", detected_ago=timedelta(hours=100))
    done_newer = send_report(member, title="Final already sent (newer)", final=True)
    closed = send_report(member, title="Closed one", detected_ago=timedelta(hours=200))
    set_status(demo_user("demo-secretariat"), closed, "closed")

    response = client_as("demo-secretariat").get(reverse(QUEUE))
    assert response.status_code == 200
    html = response.content.decode()
    order = [overdue, soon, later, done_newer, done_older]
    positions = [html.index(report.reference) for report in order]
    assert positions == sorted(positions)
    assert closed.reference not in html  # the default tab holds the open reports
    assert "Overdue by 1 d 4 h" in html or "Overdue by 28 h" in html
    assert "Due in 11 h" in html
    assert "Overdue detailed reports: 1" in html

    html = client_as("demo-secretariat").get(reverse(QUEUE), {"status": "closed"}).content.decode()
    assert closed.reference in html and overdue.reference not in html
    # A closed report is not chased for its deadlines.
    assert "Overdue by" not in html


def test_status_tabs_count_and_filter(client_as, demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    new = send_report(member, title="Still new")
    triaged = send_report(member, title="Looked at")
    set_status(secretariat, triaged, "triaged")
    asked = send_report(member, title="Asked for more")
    set_status(secretariat, asked, "more_information", comment="Which branch?")
    client = client_as("demo-secretariat")
    html = client.get(reverse(QUEUE)).content.decode()
    for label, count in (
        ("Open", 3),
        ("New", 1),
        ("Triaged", 1),
        ("More information needed", 1),
        ("Closed", 0),
    ):
        assert f"{label} ({count})" in html
    html = client.get(reverse(QUEUE), {"status": "more_information"}).content.decode()
    assert asked.reference in html and new.reference not in html and triaged.reference not in html
    response = client.get(reverse(QUEUE), {"status": "lost"})
    assert response.status_code == 400
    assert "There is no status called “lost”." in response.content.decode()


def test_search_by_reference_or_title(client_as, demo_user):
    member = demo_user("demo-member")
    ddos = send_report(member, title="DDoS on the web site")
    mail = send_report(member, title="Phishing mail to staff")
    client = client_as("demo-secretariat")
    html = client.get(reverse(QUEUE), {"q": "phishing"}).content.decode()
    assert mail.reference in html and ddos.reference not in html
    html = client.get(reverse(QUEUE), {"q": ddos.reference}).content.decode()
    assert ddos.reference in html and mail.reference not in html
    html = client.get(reverse(QUEUE), {"q": "nothing like this"}).content.decode()
    assert "No report matches this search." in html


def test_the_queue_holds_only_the_secretariats_own_ceptoar(client_as, demo_user):
    banks = send_report(demo_user("demo-member"), title="Banks report")
    water = send_report(demo_user("demo-water"), title="Water report")
    html = client_as("demo-secretariat").get(reverse(QUEUE)).content.decode()
    assert banks.reference in html and water.reference not in html


def test_the_queue_costs_the_same_for_more_reports(client_as, demo_user):
    member = demo_user("demo-member")
    client = client_as("demo-secretariat")
    send_report(member)
    client.get(reverse(QUEUE))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(QUEUE))
    for _index in range(4):
        send_report(member, final=True)
    with CaptureQueriesContext(connection) as more:
        response = client.get(reverse(QUEUE))
    assert response.content.decode().count("triage-row") == 5
    assert len(more) == len(few)


# -- deadlines page -------------------------------------------------------------------------------


def test_the_deadlines_page_shows_and_saves_the_hours(client_as):
    client = client_as("demo-secretariat")
    url = reverse("reports:deadlines")
    html = client.get(url).content.decode()
    assert 'value="24"' in html and 'value="72"' in html
    response = client.post(url, {"first_hours": "6", "details_hours": "48"})
    assert response.status_code == 302
    assert "Reporting deadlines of" in " ".join(_messages(response))
    rows = dict(
        ReportingDeadline.objects.filter(ceptoar__code="banks").values_list("kind", "hours_after_detection")
    )
    assert rows == {"first": 6, "details": 48}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"first_hours": "48", "details_hours": "24"}, "cannot be due before the first report (48 hours)"),
        ({"first_hours": "0", "details_hours": "24"}, "greater than or equal to 1"),
        ({"first_hours": "", "details_hours": "24"}, "This field is required."),
        ({"first_hours": "six", "details_hours": "24"}, "Enter a whole number."),
    ],
)
def test_bad_deadlines_are_refused_on_the_field(client_as, data, expected):
    response = client_as("demo-secretariat").post(reverse("reports:deadlines"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert expected in html and "field-error" in html
    assert not ReportingDeadline.objects.filter(ceptoar__code="banks").exists()


@pytest.mark.parametrize("username", ["demo-member", "demo-hub", "demo-ministry"])
def test_the_deadlines_page_is_for_secretariats(client_as, username):
    client = client_as(username)
    assert client.get(reverse("reports:deadlines")).status_code == 403
    assert (
        client.post(reverse("reports:deadlines"), {"first_hours": 1, "details_hours": 2}).status_code == 403
    )
    assert not ReportingDeadline.objects.exists()


def test_another_ceptoar_cannot_be_chosen(client_as):
    water = Organisation.objects.get(code="water")
    response = client_as("demo-secretariat").post(
        reverse("reports:deadlines"), {"ceptoar": water.pk, "first_hours": 1, "details_hours": 2}
    )
    assert response.status_code == 404
    assert not ReportingDeadline.objects.exists()


# -- POST actions ---------------------------------------------------------------------------------


def test_comment_posts_and_redirects_to_the_report(client_as, demo_user):
    report = send_report(demo_user("demo-member"))
    client = client_as("demo-secretariat")
    response = client.post(reverse("reports:comment", args=[report.pk]), {"body": "Noted.", "internal": "on"})
    assert response.status_code == 302 and response.url == _detail(report) + "#conversation"
    assert "Comment added." in _messages(response)
    comment = ReportComment.objects.get(report=report)
    assert comment.internal and comment.author.username == "demo-secretariat"


def test_a_refused_comment_is_a_message_and_stores_nothing(client_as, demo_user):
    report = send_report(demo_user("demo-member"))
    response = client_as("demo-member").post(
        reverse("reports:comment", args=[report.pk]), {"body": "Hidden?", "internal": "on"}
    )
    assert response.status_code == 302
    assert any("the reporter cannot write one" in message for message in _messages(response))
    assert not ReportComment.objects.exists()


def test_set_status_posts(client_as, demo_user):
    report = send_report(demo_user("demo-member"))
    client = client_as("demo-secretariat")
    url = reverse("reports:set_status", args=[report.pk])
    response = client.post(url, {"status": "more_information", "comment": ""})
    assert response.status_code == 302 and response.url == _detail(report) + "#triage"
    assert any("Say what information you need" in message for message in _messages(response))
    report.refresh_from_db()
    assert report.status == "new"
    response = client.post(url, {"status": "more_information", "comment": "Which branch?"})
    assert f"Report {report.reference} is now “More information needed”." in _messages(response)
    report.refresh_from_db()
    assert report.status == "more_information"
    assert report.comments.get().body == "Which branch?"


def test_forward_posts_within_consent_only(client_as, demo_user):
    report = send_report(demo_user("demo-member"), scope="ministry")
    client = client_as("demo-secretariat")
    url = reverse("reports:forward", args=[report.pk])
    response = client.post(url, {"to_levels": ["ministry", "hub"]})
    assert response.status_code == 302
    assert any("may not be forwarded to National hub" in message for message in _messages(response))
    assert report.hops.count() == 1
    response = client.post(url, {"to_levels": ["ministry"]})
    assert any("forwarded to" in message and "Sector ministry" in message for message in _messages(response))
    assert set(report.hops.values_list("level", flat=True)) == {"secretariat", "ministry"}


def test_actions_need_post_and_a_report_one_may_see(client_as, demo_user):
    report = send_report(demo_user("demo-member"))
    for name in ("reports:comment", "reports:set_status", "reports:forward"):
        assert client_as("demo-secretariat").get(reverse(name, args=[report.pk])).status_code == 405
        assert client_as("demo-water").post(reverse(name, args=[report.pk]), {"body": "x"}).status_code == 404
    # The ministry sees the report once forwarded but may not triage it.
    scoped = send_report(demo_user("demo-member"), scope="ministry")
    forward(demo_user("demo-secretariat"), scoped, ["ministry"])
    response = client_as("demo-ministry").post(
        reverse("reports:set_status", args=[scoped.pk]), {"status": "closed"}
    )
    assert response.status_code == 403
    scoped.refresh_from_db()
    assert scoped.status == "forwarded"


# -- the received list ----------------------------------------------------------------------------


def test_the_received_list_shows_what_reached_the_organisation(client_as, demo_user):
    forwarded = send_report(demo_user("demo-member"), scope="ministry", title="Forwarded to FSA")
    kept = send_report(demo_user("demo-member"), scope="ministry", title="Kept at the secretariat")
    forward(demo_user("demo-secretariat"), forwarded, ["ministry"])
    html = client_as("demo-ministry").get(reverse("reports:received")).content.decode()
    assert forwarded.reference in html and kept.reference not in html
    html = client_as("demo-member").get(reverse("reports:received")).content.decode()
    assert forwarded.reference not in html  # its own reports are on its own list


# -- the tags the report page renders -------------------------------------------------------------


def _render(tag: str, user, report) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load reports_conversation %}{% " + tag + " report %}").render(
        Context({"request": request, "report": report})
    )


def test_the_triage_panel_for_the_secretariat(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"), scope="ministry")
    html = _render("report_triage_panel", secretariat, report)
    assert "Forward the original" in html and 'name="to_levels" value="ministry"' in html
    assert 'value="hub" disabled' in html
    assert "not within the reporter's consent" in html
    assert reverse("reports:forward", args=[report.pk]) in html
    assert reverse("reports:set_status", args=[report.pk]) in html
    assert '<option value="triaged">Triaged</option>' in html
    assert '<option value="forwarded">' not in html
    assert "First report: Met" in html and "Detailed (final) report: Due in" in html
    assert "not yet opened" in html
    assert reverse("reports:case_create", args=[report.pk]) in html
    assert "Create an anonymised case" in html


def test_the_triage_panel_for_a_ministry_is_the_hop_table(demo_user):
    secretariat = demo_user("demo-secretariat")
    report = send_report(demo_user("demo-member"), scope="ministry")
    forward(secretariat, report, ["ministry"])
    record_receipt(demo_user("demo-ministry"), report)
    html = _render("report_triage_panel", demo_user("demo-ministry"), report)
    assert "Where the report went" in html
    assert "金融庁" in html or "fsa" in html.lower()
    assert "<form" not in html and "Create an anonymised case" not in html
    assert html.count('class="hop hop-') == 2
    assert "not yet opened" in html  # the secretariat has not opened it yet
    # Someone who may not see the report gets nothing at all.
    assert _render("report_triage_panel", demo_user("demo-hub"), report).strip() == ""
    assert _render("report_conversation", demo_user("demo-hub"), report).strip() == ""


def test_the_conversation_shows_each_reader_what_they_may_read(demo_user):
    member, secretariat = demo_user("demo-member"), demo_user("demo-secretariat")
    report = send_report(member)
    add_comment(member, report, "Logs attached in version 2.")
    add_comment(secretariat, report, "Similar to another report this week.", internal=True)
    html = _render("report_conversation", member, report)
    assert "Logs attached in version 2." in html
    assert "Similar to another report" not in html
    assert reverse("reports:comment", args=[report.pk]) in html and 'name="internal"' not in html
    html = _render("report_conversation", secretariat, report)
    assert "Similar to another report" in html and 'name="internal"' in html
    assert "Internal note (not shown to the reporter)" in html
    # The member's analyst reads the conversation but does not write in it.
    html = _render("report_conversation", demo_user("demo-analyst"), report)
    assert "Logs attached in version 2." in html and "<form" not in html
