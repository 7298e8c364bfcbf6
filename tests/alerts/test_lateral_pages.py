"""The compose and relay pages under agreements: a lateral sender is offered what its agreements allow, a
send beyond them is refused naming the agreement, whom an alert only reaches on the portal is said before it
is published, and a ministry cannot tick a CEPTOAR it does not oversee."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.agreements import flows
from ceptoar.agreements.models import FlowKind
from ceptoar.alerts.models import Alert, Status
from ceptoar.alerts.services import drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.sharing.models import Tlp
from tests.agreements.helpers import in_force, staff_of, term
from tests.alerts.pages import compose_data, row_counts
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def english_without_mfa(english, settings):
    settings.CEPTOAR_MFA_REQUIRED = False  # the staff made here have no authenticator


def org(code: str) -> Organisation:
    return Organisation.objects.get(code=code)


def test_a_ceptoar_is_offered_its_own_and_its_agreed_receivers_with_the_terms(client_as):
    agreement = in_force(["banks", "electricity"], [term("banks", "electricity", may_relay=False)])
    response = client_as("demo-secretariat").get(reverse("alerts:new"))
    form = response.context["form"]
    # Its own CEPTOAR, and those its agreements let it send alerts to (the demo's finance liaison ones too).
    agreed = flows.receivers(org("banks").pk, FlowKind.ALERT).filter(kind=OrganisationKind.CEPTOAR)
    expected = {"banks", *agreed.values_list("code", flat=True)}
    assert "electricity" in expected
    assert set(form.fields["ceptoars"].queryset.values_list("code", flat=True)) == expected
    html = response.content.decode()
    assert agreement.title in html and "up to TLP:AMBER" in html and "it may not relay" in html


def test_a_ceptoar_ticking_one_without_an_agreement_is_refused_naming_it(client_as):
    response = client_as("demo-secretariat").post(
        reverse("alerts:new"), compose_data(sectors=[], ceptoars=["gas"])
    )
    assert response.status_code == 400
    assert "No agreement in force lets your organisation send alerts to “gas”." in response.content.decode()


def test_a_ceptoar_naming_another_sectors_member_is_refused_with_the_missing_agreement(client_as):
    before = row_counts()
    response = client_as("demo-secretariat").post(
        reverse("alerts:new"), compose_data(sectors=[], organisations="gas-0001")
    )
    assert response.status_code == 400 and row_counts() == before
    assert response.context["form"].audience_errors == [
        f"No agreement in force lets {org('banks').name} share with {org('gas').name}."
    ]


def test_publish_first_shows_who_only_sees_it_then_publishes_once_confirmed(client_as):
    hub = client_as("demo-hub")
    response = hub.post(reverse("alerts:new"), compose_data(attachments=[]))
    alert = Alert.objects.get(title=compose_data()["title"])
    assert response.status_code == 302 and response.url == reverse("alerts:submit", args=[alert.pk])
    assert alert.status == Status.DRAFT and not alert.recipients.exists()  # nothing sent yet
    page = hub.get(response.url)
    html = page.content.decode()
    assert "not in any CEPTOAR&#x27;s chain" in html and org("fisc").name in html
    token = page.context["preview"].token
    assert token in html

    response = hub.post(response.url, {"token": token})
    alert.refresh_from_db()
    assert response.status_code == 302 and alert.status == Status.PUBLISHED


def test_the_preview_button_shows_the_reach_and_sends_nothing(client_as):
    before = row_counts()
    response = client_as("demo-secretariat").post(
        reverse("alerts:new"), compose_data(sectors=[], ceptoars=["banks"], action="preview")
    )
    assert response.status_code == 200 and row_counts() == before
    html = response.content.decode()
    assert "Who receives it, and how" in html and "Delivered and tracked" in html


def test_the_ministry_cannot_relay_to_a_ceptoar_it_does_not_oversee(client_as, demo_user):
    hub = demo_user("demo-hub")
    original = publication.submit(
        drafts.create_draft(
            hub,
            title="Community-wide advisory",
            body="",
            category="vulnerability",
            severity="high",
            tlp=Tlp.GREEN,
            audience=AudienceSpec(community=True),
        ),
        hub,
    )
    response = client_as("demo-ministry").post(
        reverse("alerts:relay", args=[original.pk]),
        {"tlp": Tlp.GREEN, "ceptoars": ["banks", "electricity"], "organisations": "", "people": ""},
    )
    assert response.status_code == 400
    assert f"{org('electricity').name} is not overseen by {org('fsa').name}" in response.content.decode()
    assert not Alert.objects.filter(parent=original).exists()


def _lateral(may_relay: bool) -> tuple[Alert, object]:
    agreement = in_force(["banks", "electricity"], [term("banks", "electricity", may_relay=may_relay)])
    banks = staff_of("banks")
    alert = drafts.create_draft(
        banks,
        title="Malware aimed at control-room PCs",
        body="",
        category="malware",
        severity="high",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(ceptoars=["electricity"]),
    )
    return publication.submit(alert, banks), agreement


def test_the_relay_page_refuses_a_relay_the_agreement_does_not_allow(client):
    alert, agreement = _lateral(may_relay=False)
    sign_in(client, staff_of("electricity"))
    response = client.get(reverse("alerts:relay", args=[alert.pk]))
    assert response.status_code == 409
    assert "not relay them further" in response.content.decode()
    response = client.post(
        reverse("alerts:relay", args=[alert.pk]), {"tlp": Tlp.AMBER, "ceptoars": ["electricity"]}
    )
    assert response.status_code == 400 and agreement.title in response.content.decode()
    assert not Alert.objects.filter(parent=alert).exists()


def test_the_relay_page_offers_the_receivers_own_family_when_the_agreement_allows(client):
    alert, _ = _lateral(may_relay=True)
    sign_in(client, staff_of("electricity"))
    response = client.get(reverse("alerts:relay", args=[alert.pk]))
    assert response.status_code == 200
    assert response.context["form"].initial["ceptoars"] == ["electricity"]
    data = {"tlp": Tlp.AMBER, "ceptoars": ["electricity"], "organisations": "", "people": ""}
    preview = client.post(reverse("alerts:relay", args=[alert.pk]), data)
    assert preview.status_code == 200 and not Alert.objects.filter(parent=alert).exists()
    token = preview.context["preview"].token
    response = client.post(reverse("alerts:relay", args=[alert.pk]), {**data, "token": token})
    assert response.status_code == 302
    assert Alert.objects.get(parent=alert).origin_organisation.code == "electricity"


def test_a_drafts_page_says_whom_it_reaches_before_it_is_published(client_as):
    hub = client_as("demo-hub")
    hub.post(reverse("alerts:new"), compose_data(action="draft", title="Draft for finance"))
    alert = Alert.objects.get(title="Draft for finance")
    html = hub.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "Who receives it, and how" in html and "not in any CEPTOAR&#x27;s chain" in html


def test_a_lateral_drafts_page_shows_the_refusal_and_publishing_it_is_refused(client_as, demo_user):
    secretariat = client_as("demo-secretariat")
    alert = drafts.create_draft(
        demo_user("demo-secretariat"),
        title="Draft for the gas sector",
        body="",
        category="malware",
        severity="high",
        tlp=Tlp.GREEN,
        audience=AudienceSpec(ceptoars=["gas"]),
    )
    html = secretariat.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    refusal = f"No agreement in force lets {org('banks').name} share with {org('gas').name}."
    assert "Refused: nothing will be sent" in html and refusal in html
    response = secretariat.post(reverse("alerts:submit", args=[alert.pk]), follow=True)
    assert refusal in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == Status.DRAFT


def test_a_marking_above_what_the_agreement_allows_is_refused_on_the_tlp_field(client_as):
    # The demo's finance liaison agreement lets banks send alerts to securities up to TLP:AMBER.
    before = row_counts()
    response = client_as("demo-secretariat").post(
        reverse("alerts:new"), compose_data(sectors=[], ceptoars=["securities"], tlp=Tlp.AMBER_STRICT)
    )
    assert response.status_code == 400 and row_counts() == before
    assert response.context["form"].errors["tlp"] == [
        f"The agreement with {org('securities').name} allows up to TLP:AMBER."
    ]
    # The same marking to the banks' own members is not the agreement's business.
    own = client_as("demo-secretariat").post(
        reverse("alerts:new"),
        compose_data(sectors=[], ceptoars=["banks"], tlp=Tlp.AMBER_STRICT, action="preview"),
    )
    assert "tlp" not in own.context["form"].errors


def test_a_related_body_is_offered_only_the_markings_its_agreements_allow(client):
    # FISC has no members of its own: it sends only under agreements, here one up to TLP:GREEN.
    in_force(["fisc", "electricity"], [term("fisc", "electricity", highest_tlp="green")])
    fisc = staff_of("fisc")
    sign_in(client, fisc)
    form = client.get(reverse("alerts:new")).context["form"]
    # The demo's FISC agreements let it send alerts to the finance CEPTOARs up to AMBER: the highest of all.
    offered = [value for value, _label in form.fields["tlp"].choices]
    assert offered == [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER]
    response = client.post(
        reverse("alerts:new"),
        compose_data(sectors=[], ceptoars=["electricity"], tlp=Tlp.AMBER, action="preview"),
    )
    assert response.context["form"].errors["tlp"] == [
        f"The agreement with {org('electricity').name} allows up to TLP:GREEN."
    ]
