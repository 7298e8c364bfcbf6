"""The demo's agreements (made through the lifecycle, in force) and the admin (read-only, within what the
person may see on the site)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from ceptoar.accounts.models import Role
from ceptoar.agreements import flows
from ceptoar.agreements.models import Agreement, AgreementEvent, AgreementStatus, FlowKind
from ceptoar.demo.agreements import FINANCE_CEPTOARS
from ceptoar.registry.models import Organisation

pytestmark = pytest.mark.django_db

Action = AgreementEvent.Action


def pk_of(code: str) -> int:
    return Organisation.objects.get(code=code).pk


def test_the_finance_liaison_agreement_is_in_force_among_the_four_ceptoars():
    liaison = Agreement.objects.get(code="finance-liaison")
    assert liaison.title == "金融CEPTOAR連絡協議会 情報共有協定"
    assert liaison.status == AgreementStatus.IN_FORCE
    assert set(liaison.parties.values_list("organisation__code", flat=True)) == {
        "finance-council",
        *FINANCE_CEPTOARS,
    }
    assert liaison.terms.count() == 12
    for source in FINANCE_CEPTOARS:
        for receiver in FINANCE_CEPTOARS:
            if source == receiver:
                continue
            found = flows.flow(pk_of(source), pk_of(receiver))
            assert found.agreements == (liaison,)
            assert found.kinds == {FlowKind.ALERT, FlowKind.SITUATION} and found.may_relay
            assert found.highest_tlp == "amber" and found.originator == "named"
            assert found.allows(FlowKind.ALERT, "financial_crime", "amber")
            assert not found.allows(FlowKind.ALERT, "malware", "amber_strict")
    # The history is the lifecycle's: proposed, accepted by each of the five, in force.
    actions = list(liaison.events.values_list("action", flat=True))
    assert actions == [Action.PROPOSED, *[Action.ACCEPTED] * 5, Action.IN_FORCE]
    assert liaison.events.filter(action=Action.ACCEPTED, user__username="demo-securities").exists()


@pytest.mark.parametrize("ceptoar", FINANCE_CEPTOARS)
def test_fisc_analysis_agreements_go_one_way_anonymised_and_come_back_named(ceptoar):
    agreement = Agreement.objects.get(code=f"fisc-analysis-{ceptoar}")
    assert agreement.status == AgreementStatus.IN_FORCE
    to_fisc, from_fisc = flows.flow(pk_of(ceptoar), pk_of("fisc")), flows.flow(pk_of("fisc"), pk_of(ceptoar))
    assert to_fisc.kinds == {FlowKind.REPORT_FOR_ANALYSIS} and not to_fisc.may_relay
    assert to_fisc.originator == "anonymised" and to_fisc.highest_tlp == "amber"
    assert from_fisc.kinds == {FlowKind.ALERT, FlowKind.CASE} and from_fisc.may_relay
    assert from_fisc.originator == "named"


def test_the_demo_logins_of_securities_and_fisc_are_secretariats_with_totp(demo_user):
    for username, code in (("demo-securities", "securities"), ("demo-fisc", "fisc")):
        user = demo_user(username)
        assert user.organisation.code == code and user.has_role(Role.SECRETARIAT)
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_the_admin_lists_only_what_the_person_may_see_and_changes_nothing(client_as):
    client = client_as("demo-secretariat")
    listed = client.get(reverse("admin:agreements_agreement_changelist"))
    assert listed.status_code == 200
    codes = {agreement.code for agreement in listed.context["cl"].result_list}
    assert codes == {"finance-liaison", "fisc-analysis-banks"}
    hidden = Agreement.objects.get(code="fisc-analysis-securities")
    assert client.get(reverse("admin:agreements_agreement_change", args=[hidden.pk])).status_code == 404
    liaison = Agreement.objects.get(code="finance-liaison")
    page = client.get(reverse("admin:agreements_agreement_change", args=[liaison.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    refused = client.post(
        reverse("admin:agreements_agreement_change", args=[liaison.pk]),
        {"title": "書き換え", "status": "revoked"},
    )
    assert refused.status_code == 403
    assert client.get(reverse("admin:agreements_agreement_add")).status_code == 403
    event = liaison.events.first()
    assert client.post(reverse("admin:agreements_agreementevent_delete", args=[event.pk])).status_code == 403
    liaison.refresh_from_db()
    assert (
        liaison.title == "金融CEPTOAR連絡協議会 情報共有協定" and liaison.status == AgreementStatus.IN_FORCE
    )
    assert AgreementEvent.objects.filter(pk=event.pk).exists()
    auditor = client_as("demo-auditor").get(reverse("admin:agreements_agreement_changelist"))
    assert {a.code for a in auditor.context["cl"].result_list} >= {
        "finance-liaison",
        "fisc-analysis-securities",
    }
