"""The analysis-partner pages: the consent on the report form, the secretariat's forward page, the partner's
inbox, forwarded report and analysis form, and the secretariat's returned analyses and sharing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ceptoar.alerts.models import Alert
from ceptoar.reports.models import AnalysisForward, AnalysisStatus, PartnerAnalysis, Report
from ceptoar.reports.services.analysis import do_forward_for_analysis, do_submit_analysis
from ceptoar.reports.services.comments import add_comment
from ceptoar.reports.services.drafts import start_report
from tests.reports.analysis_support import (
    CEPTOAR,
    REPORT_TITLE,
    analysis_agreement,
    organisation,
    sent_report,
    world,
)
from tests.reports.pages import form_data
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def switch_user(client):
    """Log out, keeping the English of the `english` fixture (logging out clears the client's cookies)."""
    client.logout()
    client.cookies["ceptoar_language"] = "en"


def test_the_report_form_offers_the_consent_in_plain_words_and_saves_it(client):
    w = world()
    report = start_report(w.reporter, organisation(CEPTOAR))
    sign_in(client, w.reporter)
    html = client.get(reverse("reports:edit", args=[report.pk])).content.decode()
    assert 'name="analysis_consent"' in html
    assert "analysis partner" in html and "without anonymising it" in html
    assert "Your attached files, the comments" in html

    response = client.post(reverse("reports:edit", args=[report.pk]), form_data(analysis_consent="on"))
    assert response.status_code == 302
    assert Report.objects.get(pk=report.pk).analysis_consent
    # Unticked, it is withdrawn.
    client.post(reverse("reports:edit", args=[report.pk]), form_data())
    assert not Report.objects.get(pk=report.pk).analysis_consent


def test_the_secretariat_forwards_from_the_page_and_the_partner_reads_only_the_forward(client):
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    add_comment(w.secretariat, report, "山田さんへ折り返しお願いします")

    sign_in(client, w.secretariat)
    assert reverse("reports:analysis_inbox") not in client.get(reverse("home")).content.decode()
    detail = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert reverse("reports:analysis_forward_new", args=[report.pk]) in detail
    page = client.get(reverse("reports:analysis_forward_new", args=[report.pk]))
    assert page.status_code == 200 and w.partner.name in page.content.decode()
    response = client.post(
        reverse("reports:analysis_forward_new", args=[report.pk]),
        {"partner": str(w.partner.pk), "tlp": "amber", "note": "分析依頼"},
    )
    assert response.status_code == 302
    forward = AnalysisForward.objects.get(report=report, partner=w.partner)

    switch_user(client)
    sign_in(client, w.analyst)
    # The header leads the partner to its inbox.
    assert reverse("reports:analysis_inbox") in client.get(reverse("home")).content.decode()
    inbox = client.get(reverse("reports:analysis_inbox")).content.decode()
    assert report.reference in inbox
    # The report's own page sends the partner to the forward; its files and comments stay closed.
    response = client.get(reverse("reports:detail", args=[report.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:analysis_forward", args=[forward.pk])
    assert client.get(reverse("reports:attachment", args=[report.pk, 1])).status_code == 404
    assert report.reference not in client.get(reverse("reports:received")).content.decode()
    html = client.get(reverse("reports:analysis_forward", args=[forward.pk])).content.decode()
    assert REPORT_TITLE in html and "分析依頼" in html and "監視端末が応答せず" in html
    assert "山田さん" not in html
    assert w.reporter.username not in html


def test_forwarding_without_consent_from_the_page_names_the_consent_and_writes_nothing(client):
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=False, triaged_by=w.secretariat)
    sign_in(client, w.secretariat)
    page = client.get(reverse("reports:analysis_forward_new", args=[report.pk])).content.decode()
    assert "has not consented" in page
    response = client.post(
        reverse("reports:analysis_forward_new", args=[report.pk]),
        {"partner": str(w.partner.pk), "tlp": "amber"},
    )
    assert response.status_code == 400
    assert "consent to forwarding for analysis" in response.content.decode()
    assert not AnalysisForward.objects.exists()


def test_the_partner_returns_an_analysis_and_the_secretariat_shares_it(client):
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    forward = do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    url = reverse("reports:analysis_forward", args=[forward.pk])

    sign_in(client, w.analyst)
    bad = client.post(url, {"forwards": [str(forward.pk)], "title": "", "text": "本文", "tlp": "red"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="field-title"' in html and "This field is required" in html and "red is not one of" in html
    assert not PartnerAnalysis.objects.exists()

    response = client.post(
        url,
        {
            "forwards": [str(forward.pk)],
            "title": "分析結果の要旨",
            "text": "電源ユニット不良が疑われる。",
            "tlp": "amber",
            "attachments": SimpleUploadedFile("memo.txt", "メモ".encode(), content_type="text/plain"),
        },
    )
    assert response.status_code == 302
    analysis = PartnerAnalysis.objects.get()
    assert analysis.attachments.count() == 1
    assert client.get(reverse("reports:analysis_share", args=[analysis.pk])).status_code == 405
    assert (
        client.post(
            reverse("reports:analysis_share", args=[analysis.pk]),
            {"title": "x", "body": "x", "tlp": "amber", "severity": "medium"},
        ).status_code
        == 403
    )

    switch_user(client)
    sign_in(client, w.secretariat)
    returned = client.get(reverse("reports:analysis_returned")).content.decode()
    assert "分析結果の要旨" in returned
    detail = client.get(reverse("reports:analysis_detail", args=[analysis.pk])).content.decode()
    assert "Share with members as 分析結果" in detail and report.reference in detail
    attachment = analysis.attachments.get()
    download = client.get(reverse("reports:analysis_attachment", args=[analysis.pk, attachment.pk]))
    assert download.status_code == 200

    lower = client.post(
        reverse("reports:analysis_share", args=[analysis.pk]),
        {"title": "分析結果の要旨", "body": "本文", "tlp": "green", "severity": "medium"},
    )
    assert lower.status_code == 400 and "share it as that or higher" in lower.content.decode()
    assert not Alert.objects.filter(title__startswith="【分析結果】").exists()

    share = {"title": "分析結果の要旨", "body": "本文（会員向け）", "tlp": "amber", "severity": "medium"}
    preview = client.post(reverse("reports:analysis_share", args=[analysis.pk]), share)
    # First the send preview: the members of the CEPTOAR, nothing sent yet.
    assert preview.status_code == 200 and "Check before publishing" in preview.content.decode()
    assert not Alert.objects.filter(title__startswith="【分析結果】").exists()
    token = preview.context["preview"].token
    shared = client.post(reverse("reports:analysis_share", args=[analysis.pk]), {**share, "token": token})
    analysis.refresh_from_db()
    assert analysis.status == AnalysisStatus.SHARED
    assert shared.status_code == 302 and shared["Location"] == reverse(
        "alerts:detail", args=[analysis.result_alert.pk]
    )
    assert analysis.result_alert.body == "本文（会員向け）"


def test_the_returned_page_is_for_secretariats_and_pages_of_others_answer_404(client):
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    forward = do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    analysis = do_submit_analysis(w.analyst, [forward], title="分析", text="本文", tlp="amber")
    sign_in(client, w.reporter)
    assert client.get(reverse("reports:analysis_returned")).status_code == 403
    assert client.get(reverse("reports:analysis_detail", args=[analysis.pk])).status_code == 404
    assert client.get(reverse("reports:analysis_forward_new", args=[report.pk])).status_code == 403
    # The reporter sees where its report went.
    assert client.get(reverse("reports:analysis_forward", args=[forward.pk])).status_code == 200


def test_under_an_agreement_that_anonymises_originators_the_partner_is_not_told_who_reported(client):
    w = world()
    analysis_agreement(originator="anonymised")
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    forward = do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    assert not forward.originator_named
    sign_in(client, w.analyst)
    html = client.get(reverse("reports:analysis_forward", args=[forward.pk])).content.decode()
    assert "Not named (the agreement anonymises originators)" in html
    assert report.organisation.name not in html
    switch_user(client)
    sign_in(client, w.secretariat)
    html = client.get(reverse("reports:analysis_forward", args=[forward.pk])).content.decode()
    assert report.organisation.name in html
