"""Who sees and who may verify points of contact on the registry pages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from ceptoar.registry import queries
from ceptoar.registry.models import Contact, ContactChannel, ContactRole, Membership, Organisation
from ceptoar.registry.services.verification import mark_contact_verified


def detail(client, code: str) -> str:
    response = client.get(reverse("registry:organisation_detail", args=[code]))
    assert response.status_code == 200
    return response.content.decode()


def contact_strings(code: str) -> list[str]:
    """Every name and channel value (e-mail, phone, mobile, fax …) of an organisation's contacts."""
    contacts = Contact.objects.filter(organisation__code=code, is_active=True)
    values = list(ContactChannel.objects.filter(contact__in=contacts).values_list("value", flat=True))
    names = [name for name in contacts.values_list("name", flat=True) if name != "情報セキュリティ窓口"]
    assert names and values
    return names + values


@pytest.mark.django_db
def test_member_sees_none_of_another_members_contacts(english, client_as):
    page = detail(client_as("demo-member"), "banks-0002")
    leaked = [value for value in contact_strings("banks-0002") if value in page]
    assert leaked == []
    assert "You may not see this organisation&#x27;s points of contact" in page or (
        "You may not see this organisation's points of contact" in page
    )
    assert "Acceptance by this organisation" not in page
    assert reverse("registry:contact_verify", args=[1]).rsplit("/1/", 1)[0] not in page


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["demo-secretariat", "demo-hub", "demo-auditor", "demo-member2"])
def test_secretariat_hub_and_the_member_itself_see_every_contact(client_as, username):
    page = detail(client_as(username), "banks-0002")
    missing = [value for value in contact_strings("banks-0002") if value not in page]
    assert missing == []


@pytest.mark.django_db
def test_another_sectors_member_and_ministry_see_no_bank_member_contacts(client_as):
    for username in ("demo-water", "demo-ministry"):
        page = detail(client_as(username), "banks-0001")
        assert [v for v in contact_strings("banks-0001") if v in page] == [], username


@pytest.mark.django_db
def test_member_sees_its_ceptoars_contacts(client_as):
    page = detail(client_as("demo-member"), "banks")
    assert all(value in page for value in contact_strings("banks"))


@pytest.mark.django_db
def test_channels_are_shown_in_their_order(client_as):
    contact = Contact.objects.filter(organisation__code="banks-0001", role=ContactRole.PRIMARY).first()
    values = list(contact.channels.order_by("position").values_list("value", flat=True))
    page = detail(client_as("demo-member"), "banks-0001")
    positions = [page.index(value) for value in values]
    assert positions == sorted(positions)


@pytest.mark.django_db
def test_stale_contacts_are_highlighted(client_as):
    contact = Contact.objects.filter(organisation__code="banks-0001").first()
    contact.last_verified_on = timezone.localdate() - datetime.timedelta(days=400)
    contact.save()
    fresh = Contact.objects.filter(organisation__code="banks-0001").exclude(pk=contact.pk).first()
    mark_contact_verified(fresh)
    page = detail(client_as("demo-member"), "banks-0001")
    assert f'<tr id="contact-{contact.pk}" class="stale">' in page
    assert f'<tr id="contact-{fresh.pk}">' in page


# -- verifying ---------------------------------------------------------------------------------


def verify(client, contact: Contact):
    return client.post(reverse("registry:contact_verify", args=[contact.pk]))


@pytest.mark.django_db
def test_member_cannot_verify_another_organisations_contact(client_as):
    contact = Contact.objects.filter(organisation__code="banks-0002").first()
    before = contact.last_verified_on
    contact.last_verified_on = before - datetime.timedelta(days=1)
    contact.save()
    response = verify(client_as("demo-member"), contact)
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.last_verified_on == before - datetime.timedelta(days=1)


@pytest.mark.django_db
def test_member_verifies_its_own_contact_and_returns_to_the_page(client_as):
    contact = Contact.objects.filter(organisation__code="banks-0001").first()
    contact.last_verified_on = datetime.date(2020, 1, 1)
    contact.save()
    client = client_as("demo-member")
    page = detail(client, "banks-0001")
    assert reverse("registry:contact_verify", args=[contact.pk]) in page

    response = verify(client, contact)
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"{reverse('registry:organisation_detail', args=['banks-0001'])}#contact-{contact.pk}"
    )
    contact.refresh_from_db()
    assert contact.last_verified_on == timezone.localdate()


@pytest.mark.django_db
def test_secretariat_verifies_a_members_contact_but_an_analyst_may_not(client_as):
    contact = Contact.objects.filter(organisation__code="banks-0002").first()
    contact.last_verified_on = datetime.date(2020, 1, 1)
    contact.save()
    assert verify(client_as("demo-analyst"), contact).status_code == 403
    assert reverse("registry:contact_verify", args=[contact.pk]) not in detail(
        client_as("demo-analyst"), "banks-0001"
    )
    assert verify(client_as("demo-secretariat"), contact).status_code == 302
    contact.refresh_from_db()
    assert contact.last_verified_on == timezone.localdate()


@pytest.mark.django_db
def test_verify_needs_post(client_as):
    contact = Contact.objects.filter(organisation__code="banks-0001").first()
    assert (
        client_as("demo-member").get(reverse("registry:contact_verify", args=[contact.pk])).status_code == 405
    )


# -- freshness scope -----------------------------------------------------------------------------


@pytest.fixture
def neglected_banks():
    """banks-0001 and banks-0002 each with a stale contact, no emergency POC, and no current rules."""
    today = timezone.localdate()
    for code in ("banks-0001", "banks-0002"):
        organisation = Organisation.objects.get(code=code)
        organisation.contacts.update(last_verified_on=today - datetime.timedelta(days=1000))
        organisation.contacts.filter(role__in=[ContactRole.PRIMARY, ContactRole.DESK_24X7]).update(
            is_active=False
        )
        membership = Membership.objects.get(member=organisation, ceptoar__code="banks")
        queries.current_rules(membership.ceptoar).acceptances.filter(organisation=organisation).delete()


def freshness_codes(response) -> dict[str, set[str]]:
    context = response.context
    return {
        "stale": {c.organisation.code for c in context["stale_page"].paginator.object_list},
        "lacking": {o.code for o in context["lacking_page"].paginator.object_list},
        "rules": {m.member.code for m in context["rules_page"].paginator.object_list},
    }


@pytest.mark.django_db
def test_freshness_for_a_member_poc_lists_only_its_own_organisation(client_as, neglected_banks):
    response = client_as("demo-member").get(reverse("registry:freshness"))
    assert response.status_code == 200
    codes = freshness_codes(response)
    assert codes == {"stale": {"banks-0001"}, "lacking": {"banks-0001"}, "rules": {"banks-0001"}}
    page = response.content.decode()
    assert "banks-0002" not in page
    other_names = Contact.objects.filter(organisation__code="banks-0002").values_list("name", flat=True)
    assert not [name for name in other_names if name in page and name != "情報セキュリティ窓口"]


@pytest.mark.django_db
def test_freshness_for_the_secretariat_covers_its_members(client_as, neglected_banks):
    codes = freshness_codes(client_as("demo-secretariat").get(reverse("registry:freshness")))
    for kind in ("stale", "lacking", "rules"):
        assert {"banks-0001", "banks-0002"} <= codes[kind], kind
    assert all(
        code == "banks" or code.startswith("banks-") or code == "zenginkyo-systems" for code in codes["stale"]
    )
    # Other sectors' members are not the banks' secretariat's business.
    assert not any(code.startswith("water-") for code in codes["stale"] | codes["rules"])


@pytest.mark.django_db
def test_freshness_for_the_hub_covers_every_sector(client_as):
    codes = freshness_codes(client_as("demo-hub").get(reverse("registry:freshness")))
    prefixes = {code.split("-")[0] for code in codes["stale"]}
    assert {"banks", "water", "local"} <= prefixes
