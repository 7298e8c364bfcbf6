"""The home page: what the registry holds, the user's own organisation, the way to every page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from ceptoar.accounts import access
from ceptoar.registry import queries
from ceptoar.registry.models import Contact, ContactRole, Organisation, OrganisationKind, Sector

DEMO_USERS = [
    "demo-hub",
    "demo-auditor",
    "demo-ministry",
    "demo-secretariat",
    "demo-coordinator",
    "demo-member",
    "demo-analyst",
    "demo-member2",
    "demo-water",
]


def shown_count(page: str, element_id: str) -> int:
    match = re.search(rf'<dd id="{element_id}">([\d,]+)</dd>', page)
    assert match, element_id
    return int(match.group(1).replace(",", ""))


@pytest.mark.django_db
@pytest.mark.parametrize("username", DEMO_USERS)
def test_home_shows_the_registry_and_the_users_organisation(client_as, demo_user, username):
    response = client_as(username).get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    user = demo_user(username)
    assert reverse("registry:organisation_detail", args=[user.organisation.code]) in page
    assert user.organisation.name in page
    assert shown_count(page, "sector-count") == Sector.objects.count() == 10
    assert shown_count(page, "ceptoar-count") == 14
    assert (
        shown_count(page, "member-count") == Organisation.objects.filter(kind=OrganisationKind.MEMBER).count()
    )
    expected = queries.organisations_lacking_poc(access.contact_organisations_visible_to(user)).count()
    assert shown_count(page, "lacking-poc-count") == expected
    for name in ("registry:tree", "registry:organisation_list", "registry:map", "registry:freshness"):
        assert f'href="{reverse(name)}' in page


@pytest.mark.django_db
def test_home_counts_only_visible_organisations_lacking_a_poc(client_as):
    # banks-0002 loses its emergency POC: banks' secretariat sees that, banks-0001's POC does not.
    Contact.objects.filter(
        organisation__code="banks-0002", role__in=[ContactRole.PRIMARY, ContactRole.DESK_24X7]
    ).update(is_active=False)
    secretariat = client_as("demo-secretariat").get(reverse("home")).content.decode()
    member = client_as("demo-member").get(reverse("home")).content.decode()
    assert shown_count(secretariat, "lacking-poc-count") >= 1
    assert shown_count(member, "lacking-poc-count") == 0
