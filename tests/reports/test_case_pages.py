"""The failure-case pages of the secretariat and the reporter: making a case, the side-by-side review,
approval, publication and withdrawal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.reports.models import Case, CaseStatus, Redaction, RedactionKind
from ceptoar.reports.services.cases import create_case, send_for_approval
from ceptoar.search.models import SearchDocument
from tests.reports.test_case_support import CONTACT_NAME, REPORTER_NAME, submitted_report
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def case(demo_user):
    return create_case(demo_user("demo-secretariat"), submitted_report(demo_user("demo-member")))


def review_url(case):
    return reverse("reports:case_review", args=[case.pk])


def approval_url(case):
    return reverse("reports:case_approval", args=[case.pk])


def test_the_secretariat_makes_a_case_from_a_report_and_lands_on_the_review(client_as, demo_user):
    report = submitted_report(demo_user("demo-member"))
    client = client_as("demo-secretariat")
    response = client.post(reverse("reports:case_create", kwargs={"pk": report.pk}))
    case = Case.objects.get(report=report)
    assert response.status_code == 302 and response["Location"] == review_url(case)
    # Posting again (a double click) opens the same case instead of making a second one.
    again = client.post(reverse("reports:case_create", kwargs={"pk": report.pk}))
    assert again["Location"] == review_url(case)
    assert Case.objects.filter(report=report).count() == 1


@pytest.mark.parametrize("username", ["demo-hub", "demo-member", "demo-water"])
def test_others_cannot_make_a_case(client_as, demo_user, username):
    report = submitted_report(demo_user("demo-member"))
    response = client_as(username).post(reverse("reports:case_create", kwargs={"pk": report.pk}))
    assert response.status_code == 403
    assert not Case.objects.filter(report=report).exists()


def test_the_review_shows_the_original_with_each_redaction_and_the_sanitised_text(client_as, case):
    html = client_as("demo-secretariat").get(review_url(case)).content.decode()
    original = html.split('id="original-text"')[1].split("</div>")[0]
    sanitised = html.split('id="sanitised-text"')[1].split("</div>")[0]
    assert '<mark class="redaction kind-organisation"' in original
    assert f">{REPORTER_NAME}</mark>" in original
    assert "Registered contact&#x27;s name → 甲氏" in original
    assert REPORTER_NAME not in sanitised and CONTACT_NAME not in sanitised
    assert '<span class="replaced">A社</span>の本店で停電が発生し' in sanitised
    assert "Send to the reporter for approval" in html
    assert reverse("reports:case_redaction_toggle", args=[case.pk, case.redactions.first().pk]) in html


def test_a_hub_user_and_a_member_cannot_review(client_as, case):
    for username in ("demo-hub", "demo-member", "demo-water", "demo-ministry"):
        assert client_as(username).get(review_url(case)).status_code == 403


def test_undo_with_htmx_returns_both_panes_updated(client_as, case):
    contact = case.redactions.get(kind=RedactionKind.CONTACT)
    url = reverse("reports:case_redaction_toggle", args=[case.pk, contact.pk])
    response = client_as("demo-secretariat").post(url, {"accepted": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="review-panes"')
    sanitised = html.split('id="sanitised-text"')[1].split("</div>")[0]
    assert CONTACT_NAME in sanitised
    case.refresh_from_db()
    assert CONTACT_NAME in case.body


def test_accept_without_javascript_redirects_back_to_the_review(client_as, case):
    contact = case.redactions.get(kind=RedactionKind.CONTACT)
    client = client_as("demo-secretariat")
    url = reverse("reports:case_redaction_toggle", args=[case.pk, contact.pk])
    client.post(url, {"accepted": "0"})
    response = client.post(url, {"accepted": "1"})
    assert response.status_code == 302 and response["Location"].startswith(review_url(case))
    case.refresh_from_db()
    assert CONTACT_NAME not in case.body


def test_a_manual_redaction_from_the_page_and_a_refused_overlap(client_as, case):
    client = client_as("demo-secretariat")
    url = reverse("reports:case_redaction_add", args=[case.pk])
    response = client.post(url, {"phrase": "本店", "replacement": "〔拠点〕"})
    assert response.status_code == 302
    assert case.redactions.filter(kind=RedactionKind.MANUAL).count() == 2
    count = case.redactions.count()
    refused = client.post(url, {"phrase": "松見銀行の", "replacement": "某"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "No redaction was added" in html
    assert "overlaps" in html
    assert case.redactions.count() == count


def test_editing_fields_on_the_review_page(client_as, case):
    client = client_as("demo-secretariat")
    data = {
        "action": "save",
        "title": "停電の事例",
        "lessons": "点検を。",
        "tlp": "amber",
        "audience": "sector",
    }
    assert client.post(review_url(case), data).status_code == 302
    case.refresh_from_db()
    assert (case.title, case.tlp, list(case.audience.sectors.values_list("code", flat=True))) == (
        "停電の事例",
        "amber",
        ["finance"],
    )
    bad = client.post(review_url(case), {**data, "title": "", "tlp": "red"})
    assert bad.status_code == 400
    assert "This field is required" in bad.content.decode()
    case.refresh_from_db()
    assert case.title == "停電の事例"


def test_approval_flow_with_its_access_checks(client_as, demo_user, case):
    # One test client: each client_as() logs it in as that person.
    assert client_as("demo-secretariat").post(review_url(case), {"action": "send"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL and case.submitted_for_approval_at

    # Another member's POC, a colleague who is not a POC, the hub: no.
    for username in ("demo-member2", "demo-water", "demo-hub"):
        assert client_as(username).get(approval_url(case)).status_code == 403
        assert client_as(username).post(approval_url(case), {"action": "approve"}).status_code == 403
    analyst = client_as("demo-analyst")  # banks-0001, but an analyst, not the POC: may look, not decide
    page = analyst.get(approval_url(case)).content.decode()
    assert 'id="decision"' not in page and "A社の本店" in page
    assert analyst.post(approval_url(case), {"action": "approve"}).status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL

    html = client_as("demo-member").get(approval_url(case)).content.decode()
    assert "A社の本店で停電が発生し" in html.split('id="sanitised-text"')[1]
    assert REPORTER_NAME in html.split('id="original-text"')[1].split("</div>")[0]  # its own, for reference
    # Changes requested without a note: refused on the field, nothing changes.
    refused = client_as("demo-member").post(approval_url(case), {"action": "request_changes", "note": " "})
    assert refused.status_code == 400
    assert "Say what should change" in refused.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_APPROVAL

    client_as("demo-member").post(
        approval_url(case), {"action": "request_changes", "note": "支店名も伏せてください。"}
    )
    case.refresh_from_db()
    assert (case.status, case.reporter_note) == (CaseStatus.CHANGES_REQUESTED, "支店名も伏せてください。")
    assert "支店名も伏せてください。" in client_as("demo-secretariat").get(review_url(case)).content.decode()

    client_as("demo-secretariat").post(review_url(case), {"action": "send"})
    # Publishing before approval is refused.
    assert client_as("demo-secretariat").post(review_url(case), {"action": "publish"}).status_code == 400
    assert client_as("demo-member").post(approval_url(case), {"action": "approve"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert case.reporter_approved_by == demo_user("demo-member") and case.reporter_approved_at


def test_publishing_indexes_and_withdrawing_removes(client_as, demo_user, case):
    client_as("demo-secretariat").post(review_url(case), {"action": "send"})
    client_as("demo-member").post(approval_url(case), {"action": "approve"})
    secretariat = client_as("demo-secretariat")
    response = secretariat.post(review_url(case), {"action": "publish"})
    assert response["Location"] == reverse("reports:case_detail", args=[case.pk])
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED and case.published_at
    document = SearchDocument.objects.get(kind="case", object_id=case.pk)
    assert "停電" in document.normalised_text
    assert "松見銀行" not in document.normalised_text and "渡辺" not in document.normalised_text

    client_as("demo-secretariat").post(review_url(case), {"action": "withdraw"})
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert not SearchDocument.objects.filter(kind="case", object_id=case.pk).exists()
    member = client_as("demo-member2")
    assert member.get(reverse("reports:case_detail", args=[case.pk])).status_code == 404


def test_a_change_after_approval_returns_the_case_to_review(client_as, case):
    client_as("demo-secretariat").post(review_url(case), {"action": "send"})
    client_as("demo-member").post(approval_url(case), {"action": "approve"})
    secretariat = client_as("demo-secretariat")
    html = secretariat.get(review_url(case)).content.decode()
    assert "Reopen for changes" in html and "Publish to the library" in html
    contact = case.redactions.get(kind=RedactionKind.CONTACT)
    toggle = reverse("reports:case_redaction_toggle", args=[case.pk, contact.pk])
    assert secretariat.post(toggle, {"accepted": "0"}).status_code == 400
    assert Redaction.objects.get(pk=contact.pk).accepted
    secretariat.post(review_url(case), {"action": "reopen"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REVIEW and case.reporter_approved_at is None
    assert secretariat.post(toggle, {"accepted": "0"}).status_code == 302


def test_a_refused_toggle_with_htmx_shows_its_message_in_the_panes(client_as, demo_user, case):
    send_for_approval(demo_user("demo-secretariat"), case)
    contact = case.redactions.get(kind=RedactionKind.CONTACT)
    url = reverse("reports:case_redaction_toggle", args=[case.pk, contact.pk])
    response = client_as("demo-secretariat").post(url, {"accepted": "0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps only successful responses
    assert "cannot be changed now" in response.content.decode()
    assert Redaction.objects.get(pk=contact.pk).accepted


def test_the_pages_render_in_japanese_too(client, demo_user, case):
    sign_in(client, demo_user("demo-secretariat"))
    client.cookies["ceptoar_language"] = "ja"
    assert client.get(review_url(case)).status_code == 200
    assert client.get(reverse("reports:library")).status_code == 200
