"""The access rules for points of contact, one role at a time, against the demo registry."""

from __future__ import annotations

import pytest

from ceptoar.accounts import access
from ceptoar.accounts.models import Role, RoleGrant, User
from ceptoar.registry.models import Membership, Organisation, OrganisationKind

pytestmark = pytest.mark.django_db


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def test_member_sees_itself_and_the_structure_above_it_but_no_other_member(demo_user):
    visible = codes(access.contact_organisations_visible_to(demo_user("demo-member")))
    assert visible == {"banks-0001", "banks"}


def test_member_reached_through_a_relay_hub_sees_that_hub(demo_user):
    via = Membership.objects.get(member__code="water-0001").via.code
    assert codes(access.contact_organisations_visible_to(demo_user("demo-water"))) == {
        "water-0001",
        "water",
        via,
    }


def test_secretariat_sees_every_member_of_its_ceptoar_and_no_member_of_another(demo_user):
    visible = access.contact_organisations_visible_to(demo_user("demo-secretariat"))
    bank_members = Membership.objects.filter(ceptoar__code="banks").values_list("member__code", flat=True)
    assert set(bank_members) <= codes(visible)
    assert not visible.filter(memberships__ceptoar__code="securities").exists()
    assert {"banks", "fsa", "nisc"} <= codes(visible)


def test_secretariat_staff_employed_by_the_secretariat_organisation_serve_its_ceptoar():
    user = User.objects.create_user(
        "zengin-staff", organisation=Organisation.objects.get(code="zenginkyo-systems")
    )
    RoleGrant.objects.create(user=user, role=Role.SECRETARIAT)
    assert codes(access.ceptoars_served_by(user)) == {"banks"}
    assert access.can_view_contacts(user, Organisation.objects.get(code="banks-1738"))


def test_ministry_sees_the_ceptoars_it_oversees_but_not_their_members(demo_user):
    visible = access.contact_organisations_visible_to(demo_user("demo-ministry"))
    assert {"fsa", "banks", "securities", "life-insurance", "non-life-insurance", "nisc"} <= codes(visible)
    assert not visible.filter(kind=OrganisationKind.MEMBER).exists()
    assert "t-ceptoar" not in codes(visible)


def test_hub_and_auditor_see_everything(demo_user):
    total = Organisation.objects.count()
    for username in ("demo-hub", "demo-auditor"):
        assert access.contact_organisations_visible_to(demo_user(username)).count() == total


def test_a_role_held_outside_the_hub_does_not_grant_the_hub_view():
    user = User.objects.create_user("fake-hub", organisation=Organisation.objects.get(code="banks-0005"))
    RoleGrant.objects.create(user=user, role=Role.HUB_STAFF)
    assert codes(access.contact_organisations_visible_to(user)) == {"banks-0005", "banks"}


def test_inactive_and_anonymous_users_see_nothing(demo_user):
    from django.contrib.auth.models import AnonymousUser

    assert not access.contact_organisations_visible_to(AnonymousUser()).exists()
    user = demo_user("demo-hub")
    user.is_active = False
    assert not access.contact_organisations_visible_to(user).exists()


def test_editing_rights(demo_user):
    member = demo_user("demo-member")
    analyst = demo_user("demo-analyst")
    own, other = Organisation.objects.get(code="banks-0001"), Organisation.objects.get(code="banks-0002")
    assert access.can_edit_contacts(member, own)
    assert not access.can_edit_contacts(member, other)
    assert not access.can_edit_contacts(analyst, own)  # analysts read; POCs keep the contacts
    assert access.can_edit_contacts(demo_user("demo-secretariat"), other)
    assert not access.can_edit_contacts(
        demo_user("demo-secretariat"), Organisation.objects.get(code="gas-0001")
    )
    assert not access.can_edit_contacts(demo_user("demo-auditor"), own)  # auditors only read
