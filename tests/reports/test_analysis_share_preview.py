"""Look before sharing a returned analysis with the members: the share form shows the alert's send preview
(`alerts.preview`) and writes nothing; only the preview's token publishes, and text or marking changed in
between sends nothing and shows the new preview."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from ceptoar.alerts.models import Alert, AlertAttachment, Recipient
from ceptoar.alerts.preview import StalePreview
from ceptoar.reports.models import AnalysisStatus
from ceptoar.reports.services.analysis import (
    do_forward_for_analysis,
    do_share_analysis_result,
    do_submit_analysis,
    preview_share,
)
from tests.reports.analysis_support import analysis_agreement, sent_report, world
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SHARE = {"title": "分析結果の要旨", "body": "一行目\r\n二行目", "tlp": "amber", "severity": "medium"}


def returned_analysis():
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    forward = do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    analysis = do_submit_analysis(
        w.analyst,
        [forward],
        title="原因分析",
        text="電源ユニット不良が疑われる。",
        tlp="amber",
        attachments=[("analysis.txt", "分析メモ".encode())],
    )
    return w, analysis


def shared_results() -> int:
    return Alert.objects.filter(title__startswith="【分析結果】").count()


def test_the_preview_writes_nothing_and_its_token_publishes_with_the_files():
    w, analysis = returned_analysis()
    attachments = AlertAttachment.objects.count()
    preview = preview_share(w.secretariat, analysis, title="要旨", body="本文", tlp="amber")
    assert preview.alert.title == "【分析結果】要旨" and preview.delivered >= 1
    assert shared_results() == 0 and AlertAttachment.objects.count() == attachments
    analysis.refresh_from_db()
    assert analysis.status == AnalysisStatus.RETURNED

    with pytest.raises(StalePreview) as raised:
        do_share_analysis_result(
            w.secretariat, analysis, title="要旨（改）", body="本文", tlp="amber", confirm=preview.token
        )
    assert raised.value.preview.alert.title == "【分析結果】要旨（改）"
    assert shared_results() == 0

    alert = do_share_analysis_result(
        w.secretariat, analysis, title="要旨", body="本文", tlp="amber", confirm=preview.token
    )
    recipients = set(Recipient.objects.filter(alert=alert).values_list("organisation_id", flat=True))
    assert recipients == preview.reach.delivered_ids
    attachment = alert.attachments.get()
    assert attachment.name == "analysis.txt" and default_storage.exists(attachment.file.name)


def test_share_shows_the_preview_and_only_its_confirmation_publishes(client):
    w, analysis = returned_analysis()
    url = reverse("reports:analysis_share", args=[analysis.pk])
    sign_in(client, w.secretariat)
    response = client.post(url, SHARE)
    content = response.content.decode()
    assert response.status_code == 200 and 'id="preview-counts"' in content
    token = response.context["preview"].token
    assert f'action="{url}"' in content and f'name="token" value="{token}"' in content
    assert '<input type="hidden" name="title" value="分析結果の要旨">' in content
    assert reverse("reports:analysis_detail", args=[analysis.pk]) in content
    assert shared_results() == 0

    # No token: the form again previews; a made-up token sends nothing.
    assert client.post(url, SHARE).status_code == 200
    assert client.post(url, {**SHARE, "token": "0" * 40}).status_code == 409
    # Text changed after the preview (the hidden fields edited): nothing sent, the new preview shown.
    stale = client.post(url, {**SHARE, "title": "別の件名", "token": token})
    assert stale.status_code == 409 and 'id="stale-preview"' in stale.content.decode()
    assert "【分析結果】別の件名" in stale.content.decode()
    assert shared_results() == 0

    # The preview's button, with the line breaks as a browser sends a hidden field's.
    response = client.post(url, {**SHARE, "body": "一行目\n二行目", "token": token})
    analysis.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:detail", args=[analysis.result_alert_id])
    assert analysis.status == AnalysisStatus.SHARED and analysis.result_alert.body == "一行目\n二行目"
    assert shared_results() == 1
