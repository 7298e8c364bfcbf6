"""Reports forwarded to an analysis partner (分析機関) and the analysis it returns: consent and agreement
checked at the forward, what the partner sees (`sharing.policy`), and the analysis shared with the members
as an alert with its lineage (reports.services.analysis)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from ceptoar.agreements.categories import CATEGORY_VALUES
from ceptoar.agreements.models import Agreement, FlowKind
from ceptoar.agreements.services import lifecycle
from ceptoar.alerts.models import Alert, Status
from ceptoar.notifications.events import poc_addresses
from ceptoar.notifications.models import NotificationMail
from ceptoar.reports import tracking
from ceptoar.reports.models import (
    ANALYSIS_CATEGORY,
    AnalysisForward,
    AnalysisStatus,
    EventType,
    PartnerAnalysis,
    Report,
)
from ceptoar.reports.services.analysis import (
    do_forward_for_analysis,
    do_share_analysis_result,
    do_submit_analysis,
)
from ceptoar.reports.services.comments import add_comment
from ceptoar.reports.services.drafts import DraftContent, save_draft, start_follow_up
from ceptoar.sharing import policy
from tests.agreements.helpers import in_force, staff_of
from tests.reports.analysis_support import (
    CEPTOAR,
    PARTNER,
    PARTNER_ADDRESS,
    REPORT_TITLE,
    analysis_agreement,
    analysis_term,
    make_partner,
    sent_report,
    world,
)

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _notices() -> list[dict]:
    """The link-only e-mails to organisations' points of contact (not accounts), one entry per event as the
    former notice task carried them: {"args": [addresses, subject, body]}. They are notification e-mails now
    (`notifications.events`), one row per address."""
    events: dict[str, dict] = {}
    for mail in NotificationMail.objects.filter(user__isnull=True).order_by("pk"):
        event = mail.key.rpartition(":")[0]
        entry = events.setdefault(event, {"args": [[], mail.subject, mail.body]})
        entry["args"][0].append(mail.address)
    return list(events.values())


def test_every_event_type_maps_to_an_agreement_category():
    assert set(ANALYSIS_CATEGORY) == set(EventType)
    assert set(ANALYSIS_CATEGORY.values()) <= set(CATEGORY_VALUES)


def test_without_consent_the_forward_is_refused_and_the_partner_sees_nothing():
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=False, triaged_by=w.secretariat)
    with pytest.raises(ValidationError) as excinfo:
        do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    message = " ".join(excinfo.value.message_dict["analysis_consent"])
    assert "not consented" in message and "consent to forwarding for analysis" in message
    assert not AnalysisForward.objects.exists()
    assert not policy.visible_reports(w.analyst).filter(pk=report.pk).exists()
    assert _notices() == []


def test_without_an_agreement_the_forward_is_refused_naming_the_missing_agreement():
    w = world()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    with pytest.raises(ValidationError) as excinfo:
        do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    (message,) = excinfo.value.message_dict["partner"]
    assert "No agreement in force" in message and w.partner.name in message
    assert not AnalysisForward.objects.exists()


@pytest.mark.parametrize("end", ["suspend", "revoke", "expire"])
def test_an_agreement_suspended_revoked_or_ended_refuses_the_forward_naming_the_partner_field(end):
    w = world()
    agreement = analysis_agreement()
    user = staff_of(CEPTOAR)
    if end == "suspend":
        lifecycle.do_suspend(agreement, user, w.ceptoar, "見直し中")
    elif end == "revoke":
        lifecycle.do_revoke(agreement, user, w.ceptoar, "解消")
    else:
        Agreement.objects.filter(pk=agreement.pk).update(
            valid_to=timezone.localdate() - datetime.timedelta(days=1)
        )
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    with pytest.raises(ValidationError) as excinfo:
        do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    assert "No agreement in force" in " ".join(excinfo.value.message_dict["partner"])
    assert not AnalysisForward.objects.exists()


def test_an_agreement_that_does_not_cover_the_kind_category_or_tlp_is_named_in_the_refusal():
    w = world()
    in_force([CEPTOAR, PARTNER], [analysis_term(kinds=[FlowKind.ALERT], categories=["malware"])])
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    with pytest.raises(ValidationError) as excinfo:
        do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber_strict")
    (message,) = excinfo.value.message_dict["partner"]
    assert "Incident reports for analysis" in message  # the kind
    assert "IT failure" in message  # the report's category (unavailability → IT failure)
    assert "TLP:AMBER+STRICT" in message
    assert not AnalysisForward.objects.exists()


def test_bad_input_on_the_forward_names_each_field_and_writes_nothing():
    w = world()
    analysis_agreement()
    untriaged = sent_report(w.reporter, consent=True)
    with pytest.raises(ValidationError) as excinfo:
        do_forward_for_analysis(w.secretariat, untriaged, None, tlp="red", note="x" * 2001)
    errors = excinfo.value.message_dict
    assert set(errors) == {"status", "tlp", "note", "partner"}
    assert "triage it first" in errors["status"][0]
    assert not AnalysisForward.objects.exists()
    with pytest.raises(PermissionDenied):
        do_forward_for_analysis(w.analyst, untriaged, w.partner, tlp="amber")


def test_the_partner_sees_exactly_what_was_forwarded_and_returns_an_analysis_shared_as_an_alert():
    w = world()
    agreement = analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    other = sent_report(w.reporter, consent=True, title="別の報告", triaged_by=w.secretariat)
    add_comment(w.secretariat, report, "内部メモ: 担当者は山田", internal=True)
    add_comment(w.secretariat, report, "詳細をお知らせください")

    forward = do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber", note="原因の分析を依頼")
    assert list(forward.agreements.all()) == [agreement]
    assert forward.category == "it_failure" and forward.originator_named
    assert forward.version.title == REPORT_TITLE

    # The partner: exactly the forwarded report, not the other one, not the whole report's page or comments.
    assert list(policy.visible_reports(w.analyst).values_list("pk", flat=True)) == [report.pk]
    assert list(policy.visible_forwards(w.analyst)) == [forward]
    assert not policy.holds_report(w.analyst, report)
    assert not tracking.comments_for(w.analyst, report).exists()
    assert not policy.visible_reports(w.analyst).filter(pk=other.pk).exists()
    # The CEPTOAR and the reporter see the forward too; another CEPTOAR's secretariat does not.
    assert policy.may_see(w.secretariat, forward) and policy.may_see(w.reporter, forward)
    assert not policy.may_see(staff_of("gas"), forward)

    # The partner's POC is told, by a link and nothing of the content.
    (notice,) = _notices()
    addresses, subject, body = notice["args"]
    assert addresses == [PARTNER_ADDRESS]
    assert f"/reports/analysis/forwards/{forward.pk}/" in body
    assert REPORT_TITLE not in body and REPORT_TITLE not in subject and "原因の分析" not in body

    analysis = do_submit_analysis(
        w.analyst,
        [forward],
        title="監視端末停止の原因分析",
        text="同型機の電源ユニット不良が疑われる。",
        tlp="amber",
        attachments=[("analysis.txt", "分析メモ".encode())],
    )
    assert analysis.status == AnalysisStatus.RETURNED and analysis.ceptoar == w.ceptoar
    assert list(analysis.forwards.all()) == [forward]
    assert analysis.attachments.count() == 1
    assert policy.may_see(w.secretariat, analysis) and policy.may_see(w.analyst, analysis)
    assert not policy.may_see(w.reporter, analysis)  # members read it as the alert
    # The CEPTOAR's POCs are told that it came back (by a link).
    returned_notice = _notices()[-1]["args"]
    assert sorted(returned_notice[0]) == sorted(poc_addresses(w.ceptoar)) != []
    assert (
        f"/reports/analysis/{analysis.pk}/" in returned_notice[2] and "電源ユニット" not in returned_notice[2]
    )

    alert = do_share_analysis_result(
        w.secretariat, analysis, title=analysis.title, body=analysis.text, tlp="amber"
    )
    analysis.refresh_from_db()
    assert analysis.status == AnalysisStatus.SHARED and analysis.result_alert == alert
    assert alert.status == Status.PUBLISHED and alert.title == "【分析結果】監視端末停止の原因分析"
    assert alert.category == "it_failure" and alert.tlp == "amber"
    assert list(alert.audience.ceptoars.values_list("code", flat=True)) == [CEPTOAR]
    assert alert.attachments.count() == 1
    # Lineage: from the alert to the analysis and the reports it analysed.
    assert [f.report for f in Alert.objects.get(pk=alert.pk).partner_analysis.forwards.all()] == [report]
    assert alert.recipients.filter(organisation=w.reporter.organisation).exists()
    with pytest.raises(ValidationError) as excinfo:
        do_share_analysis_result(w.secretariat, analysis, title="再送", body="再送", tlp="amber")
    assert "already been shared" in excinfo.value.message_dict["status"][0]


def test_the_partner_loses_sight_when_consent_is_withdrawn_or_the_agreement_is_suspended():
    w = world()
    agreement = analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    do_forward_for_analysis(w.secretariat, report, w.partner, tlp="green")
    assert policy.reports_forwarded_to(w.analyst).filter(pk=report.pk).exists()

    lifecycle.do_suspend(agreement, staff_of(PARTNER), w.partner, "見直し")
    assert not policy.visible_reports(w.analyst).exists()
    assert not policy.visible_forwards(w.analyst).exists()
    lifecycle.do_resume(agreement, staff_of(PARTNER), w.partner)
    assert policy.visible_reports(w.analyst).filter(pk=report.pk).exists()

    follow_up = start_follow_up(w.reporter, report)
    save_draft(w.reporter, follow_up, DraftContent(analysis_consent=False))
    assert not Report.objects.get(pk=report.pk).analysis_consent
    assert not policy.visible_reports(w.analyst).exists()


def test_bad_analysis_input_names_the_field_and_writes_nothing():
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    forward = do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    with pytest.raises(ValidationError) as excinfo:
        do_submit_analysis(
            w.analyst, [forward], title=" ", text="", tlp="red", attachments=[("x.exe", b"MZ")]
        )
    assert set(excinfo.value.message_dict) == {"title", "text", "tlp", "attachments"}
    with pytest.raises(ValidationError) as excinfo:
        do_submit_analysis(w.analyst, [], title="t", text="t", tlp="amber")
    assert "forwards" in excinfo.value.message_dict
    assert not PartnerAnalysis.objects.exists()

    # Another organisation cannot answer for the partner.
    other_partner = make_partner("jahis-analysis", "保健医療福祉情報システム工業会（試験）")
    from tests.reports.test_triage_support import person

    stranger = person("analysis-stranger", other_partner, "member_analyst")
    with pytest.raises(PermissionDenied):
        do_submit_analysis(stranger, [forward], title="t", text="t", tlp="amber")
    assert not PartnerAnalysis.objects.exists()

    analysis = do_submit_analysis(w.analyst, [forward], title="分析", text="本文", tlp="amber")
    with pytest.raises(ValidationError) as excinfo:
        do_share_analysis_result(w.secretariat, analysis, title="", body="本文", tlp="green")
    errors = excinfo.value.message_dict
    assert set(errors) == {"title", "tlp"} and "never" not in errors["tlp"][0]
    assert "TLP:AMBER" in errors["tlp"][0] and "TLP:GREEN" in errors["tlp"][0]
    analysis.refresh_from_db()
    assert analysis.status == AnalysisStatus.RETURNED and analysis.result_alert is None
    assert not Alert.objects.filter(title__startswith="【分析結果】").exists()
    with pytest.raises(PermissionDenied):
        do_share_analysis_result(w.analyst, analysis, title="t", body="t", tlp="amber")


def test_a_report_is_forwarded_once_per_partner():
    w = world()
    analysis_agreement()
    report = sent_report(w.reporter, consent=True, triaged_by=w.secretariat)
    do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    with pytest.raises(ValidationError) as excinfo:
        do_forward_for_analysis(w.secretariat, report, w.partner, tlp="amber")
    assert "already been forwarded" in excinfo.value.message_dict["partner"][0]
    assert AnalysisForward.objects.count() == 1
