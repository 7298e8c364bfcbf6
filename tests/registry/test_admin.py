"""The admin shows and changes only what `ceptoar.accounts.access` allows, whatever model permissions an
account was given, and the models' validation appears as form errors."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from ceptoar.accounts.models import RoleGrant, User
from ceptoar.registry.models import Contact, ContactChannel, Organisation, RulesAcceptance
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


def make_staff_with_every_permission(user: User) -> User:
    """What a careless administrator might do: staff status and every registry and account permission."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["registry", "accounts"]))
    return user


@pytest.fixture
def member_admin(client, demo_user):
    """A test client logged in as the member POC of banks-0001, made staff with every permission."""
    sign_in(client, make_staff_with_every_permission(demo_user("demo-member")))
    return client


@pytest.fixture
def secretariat_admin(client, demo_user):
    sign_in(client, make_staff_with_every_permission(demo_user("demo-secretariat")))
    return client


def contact_of(code: str, role: str = "primary") -> Contact:
    return Contact.objects.filter(organisation__code=code, role=role).order_by("position").first()


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def changelist(client, model: str, **params):
    response = client.get(reverse(f"admin:registry_{model}_changelist"), params)
    assert response.status_code == 200
    return response.context["cl"]


def test_every_registry_and_account_model_is_registered():
    from ceptoar.registry.admin import AccessControlledAdmin

    names = {model.__name__ for model in admin.site._registry}
    assert {
        "Sector",
        "Organisation",
        "CeptoarProfile",
        "Oversight",
        "CouncilSeat",
        "Membership",
        "Contact",
        "ContactChannel",
        "HandlingRules",
        "RulesAcceptance",
        "User",
    } <= names
    ours = [a for m, a in admin.site._registry.items() if m._meta.app_label in ("registry", "accounts")]
    assert all(isinstance(model_admin, AccessControlledAdmin) for model_admin in ours)


# -- reading: a member never sees another member's contacts --------------------------------------------------


def test_contact_changelist_shows_a_member_only_its_own_contacts_and_those_above_it(member_admin):
    cl = changelist(member_admin, "contact")
    codes = set(cl.queryset.values_list("organisation__code", flat=True))
    assert "banks-0001" in codes
    assert codes <= {"banks-0001", "banks"}  # itself and its CEPTOAR, never banks-0002


def test_channel_and_acceptance_changelists_are_filtered_too(member_admin):
    channel_codes = set(
        changelist(member_admin, "contactchannel").queryset.values_list(
            "contact__organisation__code", flat=True
        )
    )
    assert "banks-0001" in channel_codes and channel_codes <= {"banks-0001", "banks"}
    acceptance_codes = set(
        changelist(member_admin, "rulesacceptance").queryset.values_list("organisation__code", flat=True)
    )
    # Its own, and its CEPTOAR's (of the councils' rules), never another member's.
    assert "banks-0001" in acceptance_codes and acceptance_codes <= {"banks-0001", "banks"}


def test_change_pages_of_another_members_contact_and_channel_are_not_found(member_admin):
    other = contact_of("banks-0002")
    channel = other.channels.first()
    for url in (
        change_url(other),
        change_url(channel),
        reverse("admin:registry_contact_history", args=[other.pk]),
        reverse("admin:registry_contact_delete", args=[other.pk]),
        reverse("admin:registry_contactchannel_delete", args=[channel.pk]),
    ):
        assert member_admin.get(url).status_code == 404, url
    assert member_admin.post(change_url(channel), {"value": "x"}).status_code == 404
    assert member_admin.get(change_url(contact_of("banks-0001"))).status_code == 200


def test_admin_search_does_not_find_another_members_contacts(member_admin, client_as):
    other = contact_of("banks-0002")
    email = other.channels.filter(kind="email").first().value
    assert changelist(member_admin, "contact", q="banks-0002").result_count == 0
    assert (
        changelist(member_admin, "contact", q=other.name)
        .queryset.filter(organisation__code="banks-0002")
        .count()
        == 0
    )
    assert changelist(member_admin, "contactchannel", q=email).result_count == 0
    # The same searches find them for the banks secretariat: the filter, not the search, hides them.
    secretariat = make_staff_with_every_permission(User.objects.get(username="demo-secretariat"))
    sign_in(member_admin, secretariat)
    assert changelist(member_admin, "contact", q="banks-0002").result_count >= 2
    assert changelist(member_admin, "contactchannel", q=email).result_count == 1


def autocomplete(client, model_name: str, field_name: str, term: str) -> set[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "registry",
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )
    assert response.status_code == 200
    return {result["id"] for result in response.json()["results"]}


def test_autocomplete_does_not_offer_another_members_contacts(member_admin, secretariat_admin):
    other = contact_of("banks-0002")
    own = contact_of("banks-0001")
    sign_in(member_admin, User.objects.get(username="demo-member"))
    assert str(other.pk) not in autocomplete(member_admin, "contactchannel", "contact", other.name)
    assert str(own.pk) in autocomplete(member_admin, "contactchannel", "contact", own.name)
    # Visible upward (its CEPTOAR's desk) but not the member's to add channels to: not offered either.
    ceptoar_contact = contact_of("banks")
    assert str(ceptoar_contact.pk) not in autocomplete(
        member_admin, "contactchannel", "contact", ceptoar_contact.name
    )

    sign_in(secretariat_admin, User.objects.get(username="demo-secretariat"))
    assert str(other.pk) in autocomplete(secretariat_admin, "contactchannel", "contact", other.name)


def test_organisation_autocomplete_for_a_contact_offers_only_what_the_user_keeps(member_admin):
    offered = autocomplete(member_admin, "contact", "organisation", "banks-000")
    own = Organisation.objects.get(code="banks-0001")
    assert offered == {str(own.pk)}


def test_account_list_of_a_member_shows_no_one_from_another_member(member_admin):
    response = member_admin.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    usernames = set(response.context["cl"].queryset.values_list("username", flat=True))
    assert "demo-member" in usernames and "demo-analyst" in usernames
    assert "demo-member2" not in usernames and "demo-water" not in usernames


def test_a_role_without_admin_use_is_refused_even_with_every_permission(client, demo_user):
    sign_in(client, make_staff_with_every_permission(demo_user("demo-analyst")))
    assert client.get(reverse("admin:registry_contact_changelist")).status_code == 403
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200 and response.context["app_list"] == []


# -- changing: only what the user keeps ----------------------------------------------------------------------


def contact_form_data(contact: Contact, **changes) -> dict:
    data = {
        "organisation": contact.organisation_id,
        "kind": contact.kind,
        "name": contact.name,
        "title": contact.title,
        "role": contact.role,
        "availability": contact.availability,
        "hours_note": contact.hours_note,
        "last_verified_on": contact.last_verified_on.isoformat() if contact.last_verified_on else "",
        "position": contact.position,
        "is_active": "on",
    }
    channels = list(contact.channels.order_by("position", "id"))
    data.update(
        {
            "channels-TOTAL_FORMS": len(channels),
            "channels-INITIAL_FORMS": len(channels),
            "channels-MIN_NUM_FORMS": 0,
            "channels-MAX_NUM_FORMS": 1000,
        }
    )
    for i, channel in enumerate(channels):
        data.update(
            {
                f"channels-{i}-id": channel.pk,
                f"channels-{i}-contact": contact.pk,
                f"channels-{i}-position": channel.position,
                f"channels-{i}-kind": channel.kind,
                f"channels-{i}-value": channel.value,
            }
        )
    data.update(changes)
    return data


def test_member_edits_its_own_contact(member_admin):
    own = contact_of("banks-0001")
    response = member_admin.post(change_url(own), contact_form_data(own, title="情報システム部 部長代理"))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.title == "情報システム部 部長代理"


def test_member_may_read_but_not_change_its_ceptoars_contact(member_admin):
    upward = contact_of("banks")
    assert member_admin.get(change_url(upward)).status_code == 200
    response = member_admin.post(change_url(upward), contact_form_data(upward, name="乗っ取り"))
    assert response.status_code == 403
    upward.refresh_from_db()
    assert upward.name != "乗っ取り"


def test_member_cannot_move_its_contact_to_another_member(member_admin):
    own = contact_of("banks-0001")
    other_org = Organisation.objects.get(code="banks-0002")
    response = member_admin.post(change_url(own), contact_form_data(own, organisation=other_org.pk))
    assert response.status_code == 200
    assert "organisation" in response.context["adminform"].form.errors
    own.refresh_from_db()
    assert own.organisation.code == "banks-0001"


def test_bulk_delete_of_visible_but_not_kept_contacts_is_refused(member_admin):
    upward = contact_of("banks")
    response = member_admin.post(
        reverse("admin:registry_contact_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [upward.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 403
    assert Contact.objects.filter(pk=upward.pk).exists()


def test_mark_verified_action_changes_only_contacts_the_user_keeps(member_admin):
    own, upward = contact_of("banks-0001"), contact_of("banks")
    Contact.objects.filter(pk__in=[own.pk, upward.pk]).update(last_verified_on=None)
    member_admin.post(
        reverse("admin:registry_contact_changelist"),
        {
            "action": "mark_verified",
            "_selected_action": [own.pk, upward.pk],
        },
    )
    own.refresh_from_db()
    upward.refresh_from_db()
    assert own.last_verified_on is not None
    assert upward.last_verified_on is None


def test_member_cannot_change_the_structure_of_its_own_organisation(member_admin):
    own = Organisation.objects.get(code="banks-0001")
    response = member_admin.get(change_url(own))
    form = response.context["adminform"].form
    assert "name" in form.fields and "kind" not in form.fields and "parent" not in form.fields
    assert member_admin.get(reverse("admin:registry_organisation_add")).status_code == 403


def test_secretariat_offers_only_the_roles_it_may_grant_and_cannot_edit_hub_staff(secretariat_admin):
    member2 = User.objects.get(username="demo-member2")
    response = secretariat_admin.get(change_url(member2))
    assert response.status_code == 200
    role_field = response.context["inline_admin_formsets"][0].formset.empty_form.fields["role"]
    offered = {value for value, _label in role_field.choices if value}
    assert "member_poc" in offered and "hub_staff" not in offered and "auditor" not in offered
    assert "is_superuser" not in response.context["adminform"].form.fields

    hub = User.objects.get(username="demo-hub")
    response = secretariat_admin.post(
        reverse("admin:auth_user_password_change", args=[hub.pk]),
        {"password1": "x-very-long-pass", "password2": "x-very-long-pass"},
    )
    assert response.status_code in (403, 404)
    hub.refresh_from_db()
    assert not hub.check_password("x-very-long-pass")


def test_a_grant_the_secretariat_may_not_make_is_refused(secretariat_admin):
    member2 = User.objects.get(username="demo-member2")
    grant = member2.role_grants.get()
    data = {
        "username": member2.username,
        "organisation": member2.organisation_id,
        "display_name": member2.display_name,
        "email": member2.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "role_grants-TOTAL_FORMS": 2,
        "role_grants-INITIAL_FORMS": 1,
        "role_grants-MIN_NUM_FORMS": 0,
        "role_grants-MAX_NUM_FORMS": 1000,
        "role_grants-0-id": grant.pk,
        "role_grants-0-user": member2.pk,
        "role_grants-0-role": grant.role,
        "role_grants-1-user": member2.pk,
        "role_grants-1-role": "hub_staff",
    }
    response = secretariat_admin.post(change_url(member2), data)
    assert response.status_code == 200
    assert not RoleGrant.objects.filter(user=member2, role="hub_staff").exists()


# -- the models' validation shows as form errors -------------------------------------------------------------


def test_invalid_email_on_the_channel_form_is_a_field_error_and_nothing_is_saved(member_admin):
    channel = contact_of("banks-0001").channels.filter(kind="email").first()
    before = channel.value
    data = {"contact": channel.contact_id, "kind": "email", "value": "foo@", "position": channel.position}
    response = member_admin.post(change_url(channel), data)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["value"]
    channel.refresh_from_db()
    assert channel.value == before

    response = member_admin.post(change_url(channel), {**data, "value": "new-poc@banks-0001.example.jp"})
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.value == "new-poc@banks-0001.example.jp"


def test_invalid_channel_in_the_contact_form_saves_neither_contact_nor_channels(member_admin):
    own = contact_of("banks-0001")
    channels_before = list(own.channels.order_by("position").values_list("kind", "value"))
    response = member_admin.post(
        change_url(own), contact_form_data(own, title="変更しない", **{"channels-0-value": "03-"})
    )
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "value" in formset.errors[0]
    own.refresh_from_db()
    assert own.title != "変更しない"
    assert list(own.channels.order_by("position").values_list("kind", "value")) == channels_before


def test_subgroup_without_parent_is_a_form_error_for_the_hub(client, demo_user):
    sign_in(client, make_staff_with_every_permission(demo_user("demo-hub")))
    before = Organisation.objects.count()
    response = client.post(
        reverse("admin:registry_organisation_add"),
        {
            "code": "banks-sg9",
            "name": "SG9",
            "kind": "subgroup",
            "sector": "",
            "parent": "",
        },
    )
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    assert Organisation.objects.count() == before


def test_acceptance_admin_refuses_rules_of_another_ceptoar(member_admin):
    water_rules = Organisation.objects.get(code="water").handling_rules.first()
    own = Organisation.objects.get(code="banks-0001")
    response = member_admin.post(
        reverse("admin:registry_rulesacceptance_add"),
        {
            "organisation": own.pk,
            "rules": water_rules.pk,
            "accepted_on": "2025-05-01",
            "accepted_by_name": "x",
        },
    )
    assert response.status_code == 200
    assert "rules" in response.context["adminform"].form.errors
    assert not RulesAcceptance.objects.filter(organisation=own, rules=water_rules).exists()


def test_channel_admin_changelist_query_count_does_not_grow_with_rows(
    member_admin, django_assert_max_num_queries
):
    sign_in(member_admin, make_staff_with_every_permission(User.objects.get(username="demo-secretariat")))
    with django_assert_max_num_queries(25):
        response = member_admin.get(reverse("admin:registry_contactchannel_changelist"))
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 100


# -- the emergency-POC rule of the contact pages holds in the admin too --------------------------------------


def only_poc_of_banks_0001() -> Contact:
    """Leave banks-0001 with exactly one emergency POC (its primary) and return it."""
    Contact.objects.filter(organisation__code="banks-0001", role="desk_24x7").update(is_active=False)
    primary = contact_of("banks-0001")
    assert primary.is_active and primary.channels.exists()
    return primary


def test_deactivating_the_last_emergency_poc_in_the_admin_is_undone(member_admin):
    primary = only_poc_of_banks_0001()
    data = contact_form_data(primary, title="最後の窓口")
    del data["is_active"]
    response = member_admin.post(change_url(primary), data, follow=True)
    primary.refresh_from_db()
    assert primary.is_active and primary.title != "最後の窓口"
    assert any("POC" in str(message) for message in response.context["messages"])


def test_deleting_the_last_channel_or_the_last_poc_in_the_admin_is_undone(member_admin):
    primary = only_poc_of_banks_0001()
    channels = list(primary.channels.all())
    ContactChannel.objects.filter(pk__in=[c.pk for c in channels[1:]]).delete()
    member_admin.post(reverse("admin:registry_contactchannel_delete", args=[channels[0].pk]), {"post": "yes"})
    assert ContactChannel.objects.filter(pk=channels[0].pk).exists()
    member_admin.post(reverse("admin:registry_contact_delete", args=[primary.pk]), {"post": "yes"})
    assert Contact.objects.filter(pk=primary.pk).exists()


def test_a_primary_poc_without_channels_is_a_form_error(member_admin):
    own = contact_of("banks-0001")
    data = contact_form_data(own)
    for i in range(own.channels.count()):
        data[f"channels-{i}-DELETE"] = "on"
    response = member_admin.post(change_url(own), data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert own.channels.exists()
