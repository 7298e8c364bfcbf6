"""Keeping points of contact on the site: add, edit, deactivate, who may, and what bad input does."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from ceptoar.registry import queries
from ceptoar.registry.models import POC_ROLES, Contact, ContactRole, Organisation
from ceptoar.registry.services import contacts as contact_services

LONG_AGO = datetime.date(2020, 4, 1)


def snapshot(code: str) -> list[tuple]:
    """Every contact of an organisation (active or not) with its channels, for before/after comparison."""
    return [
        (
            c.pk,
            c.name,
            c.kind,
            c.title,
            c.role,
            c.availability,
            c.hours_note,
            c.position,
            c.is_active,
            c.last_verified_on,
            [(ch.pk, ch.kind, ch.value, ch.position) for ch in c.channels.order_by("position", "id")],
        )
        for c in Contact.objects.filter(organisation__code=code).order_by("pk")
    ]


def contact_of(code: str, role: str = ContactRole.PRIMARY) -> Contact:
    return (
        Contact.objects.filter(organisation__code=code, role=role, is_active=True)
        .order_by("position")
        .first()
    )


def fields_of(contact: Contact, **changes) -> dict:
    data = {
        name: getattr(contact, name)
        for name in ("name", "kind", "title", "role", "availability", "hours_note", "position")
    }
    data.update(changes)
    return data


def existing_rows(contact: Contact) -> list[dict]:
    return [
        {"id": ch.pk, "kind": ch.kind, "value": ch.value, "ORDER": i}
        for i, ch in enumerate(contact.channels.order_by("position", "id"), 1)
    ]


def post_data(fields: dict, rows: list[dict], initial: int, blank_rows: int = 3) -> dict:
    """What the contact form posts: the contact fields, then the channel formset (existing rows first)."""
    data = {name: "" if value is None else str(value) for name, value in fields.items()}
    rows = rows + [{} for _ in range(blank_rows)]
    data.update(
        {
            "channels-TOTAL_FORMS": str(len(rows)),
            "channels-INITIAL_FORMS": str(initial),
            "channels-MIN_NUM_FORMS": "0",
            "channels-MAX_NUM_FORMS": "1000",
        }
    )
    for i, row in enumerate(rows):
        for key in ("id", "kind", "value", "ORDER"):
            data[f"channels-{i}-{key}"] = str(row.get(key, ""))
        if row.get("DELETE"):
            data[f"channels-{i}-DELETE"] = "on"
    return data


def edit_url(contact: Contact) -> str:
    return reverse("registry:contact_edit", args=[contact.pk])


def add_url(code: str) -> str:
    return reverse("registry:contact_add", args=[code])


def section(page: str, element_id: str, end: str) -> str:
    """The HTML from the element with this id up to the first `end` after it."""
    start = page.index(f'id="{element_id}"')
    return page[start : page.index(end, start)]


NEW_CONTACT = {
    "name": "山田 花子",
    "kind": "person",
    "title": "情報システム部 係長",
    "role": ContactRole.BACKUP,
    "availability": "business_hours",
    "hours_note": "平日 9:00–17:30",
    "position": 7,
}

EDITORS = [("demo-member", "banks-0001"), ("demo-secretariat", "banks-0002")]


# -- add / edit / deactivate ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "code"), EDITORS)
def test_an_editor_adds_a_contact_with_ordered_channels(client_as, username, code):
    client = client_as(username)
    assert client.get(add_url(code)).status_code == 200
    rows = [
        {"kind": "email", "value": "h-yamada@example.jp", "ORDER": 2},
        {"kind": "mobile", "value": "090-1234-5678", "ORDER": 1},
    ]
    response = client.post(add_url(code), post_data(NEW_CONTACT, rows, initial=0))

    assert response.status_code == 302
    contact = Contact.objects.get(organisation__code=code, name="山田 花子")
    assert response["Location"].endswith(f"#contact-{contact.pk}")
    assert (contact.role, contact.title, contact.position, contact.is_active) == (
        ContactRole.BACKUP,
        "情報システム部 係長",
        7,
        True,
    )
    assert contact.last_verified_on == timezone.localdate()
    channels = list(contact.channels.order_by("position").values_list("kind", "value", "position"))
    assert channels == [("mobile", "090-1234-5678", 1), ("email", "h-yamada@example.jp", 2)]


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "code"), EDITORS)
def test_an_editor_reorders_changes_and_removes_channels(client_as, username, code):
    contact = contact_of(code)
    Contact.objects.filter(pk=contact.pk).update(last_verified_on=LONG_AGO)
    rows = existing_rows(contact)
    assert len(rows) >= 2
    first, second = rows[0], rows[1]
    # Swap the first two, give the second a new number, remove the rest.
    first["ORDER"], second["ORDER"] = 2, 1
    second["value"] = "03-9999-0000" if second["kind"] != "email" else "new-address@example.jp"
    for row in rows[2:]:
        row["DELETE"] = True

    response = client_as(username).post(
        edit_url(contact),
        post_data(fields_of(contact, hours_note="平日 8:30–18:00"), rows, initial=len(rows)),
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.hours_note == "平日 8:30–18:00"
    assert contact.last_verified_on == timezone.localdate()
    after = list(contact.channels.order_by("position").values_list("pk", "value", "position"))
    # Rows are updated in place (same ids), in the new order; removed rows are gone.
    assert after == [(second["id"], second["value"], 1), (first["id"], first["value"], 2)]


@pytest.mark.django_db
@pytest.mark.parametrize(("username", "code"), EDITORS)
def test_an_editor_deactivates_a_contact_which_is_kept_for_the_record(client_as, username, code):
    contact = contact_of(code, ContactRole.BACKUP)
    client = client_as(username)
    confirm = client.get(reverse("registry:contact_deactivate", args=[contact.pk]))
    assert confirm.status_code == 200 and contact.name in confirm.content.decode()

    response = client.post(reverse("registry:contact_deactivate", args=[contact.pk]))

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.is_active is False
    assert contact.channels.exists()  # history kept: neither the contact nor its channels are deleted
    page = client.get(reverse("registry:organisation_detail", args=[code])).content.decode()
    assert f'id="contact-{contact.pk}"' not in page
    # A deactivated contact cannot be edited any more.
    assert client.get(edit_url(contact)).status_code == 404


# -- who may ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "code"), [("demo-member", "banks-0002"), ("demo-analyst", "banks-0001")]
)
def test_no_form_and_no_change_for_those_who_may_not_edit(client_as, username, code):
    client = client_as(username)
    contact = contact_of(code)
    before = snapshot(code)
    fields = fields_of(contact, name="乗っ取り")
    rows = [{"kind": "email", "value": "attacker@example.com", "ORDER": 1}]
    requests = [
        ("get", add_url(code), None),
        ("post", add_url(code), post_data(fields, rows, initial=0)),
        ("get", edit_url(contact), None),
        ("post", edit_url(contact), post_data(fields, rows, initial=0)),
        ("get", reverse("registry:contact_deactivate", args=[contact.pk]), None),
        ("post", reverse("registry:contact_deactivate", args=[contact.pk]), None),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert response.status_code == 403, (method, url)
        assert 'name="channels-TOTAL_FORMS"' not in response.content.decode()
    assert snapshot(code) == before


# -- bad input -------------------------------------------------------------------------------------


def _bad_email(rows):
    rows[0].update(kind="email", value="yamada.example.jp")
    return rows[0]["value"], "channel-row-0", "is not an e-mail address"


def _phone_with_letters(rows):
    rows[0].update(kind="phone", value="03-12AB-5678")
    return rows[0]["value"], "channel-row-0", "is not a telephone number"


def _webhook_not_a_url(rows):
    rows[1].update(kind="webhook", value="hooks example jp/notify")
    return rows[1]["value"], "channel-row-1", "is not an http(s) URL"


@pytest.mark.django_db
@pytest.mark.parametrize("spoil", [_bad_email, _phone_with_letters, _webhook_not_a_url])
def test_a_bad_channel_is_shown_on_its_row_and_nothing_is_saved(english, client_as, spoil):
    client = client_as("demo-member")
    contact = contact_of("banks-0001")
    before = snapshot("banks-0001")
    rows = existing_rows(contact)
    typed, row_id, message = spoil(rows)
    # A valid change in the same submission must not be saved either.
    data = post_data(fields_of(contact, title="変更されてはならない"), rows, initial=len(rows))

    response = client.post(edit_url(contact), data)

    assert response.status_code == 400
    page = response.content.decode()
    row = section(page, row_id, "</tr>")
    assert message in row and 'class="field-error"' in row
    assert f'value="{typed}"' in row  # what the person typed is kept
    assert "変更されてはならない" in page
    assert snapshot("banks-0001") == before


@pytest.mark.django_db
def test_a_primary_poc_without_any_channel_is_refused(english, client_as):
    contact = contact_of("banks-0001")
    before = snapshot("banks-0001")
    rows = existing_rows(contact)
    for row in rows:
        row["DELETE"] = True

    response = client_as("demo-member").post(
        edit_url(contact), post_data(fields_of(contact), rows, initial=len(rows))
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "needs at least one channel" in section(page, "channels-error", "</p>")
    assert snapshot("banks-0001") == before


@pytest.mark.django_db
def test_a_new_primary_poc_without_a_channel_is_refused(english, client_as):
    before = snapshot("banks-0001")
    fields = dict(NEW_CONTACT, role=ContactRole.PRIMARY)

    response = client_as("demo-member").post(add_url("banks-0001"), post_data(fields, [], initial=0))

    assert response.status_code == 400
    assert "needs at least one channel" in response.content.decode()
    assert snapshot("banks-0001") == before


@pytest.mark.django_db
def test_a_blank_name_is_shown_next_to_the_name_and_nothing_is_saved(english, client_as):
    contact = contact_of("banks-0001")
    before = snapshot("banks-0001")
    rows = existing_rows(contact)
    rows[0].update(kind="email", value="changed@example.jp")
    rows[1].update(kind="phone", value="call-me")

    response = client_as("demo-member").post(
        edit_url(contact), post_data(fields_of(contact, name="   "), rows, initial=len(rows))
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in section(page, "field-name", "</div>")
    assert 'value="changed@example.jp"' in section(page, "channel-row-0", "</tr>")
    assert "field-error" not in section(page, "channel-row-0", "</tr>")
    # Every problem is reported in one round, not the channels only after the name is fixed.
    assert "call-me is not a telephone number" in section(page, "channel-row-1", "</tr>")
    assert snapshot("banks-0001") == before


@pytest.mark.django_db
def test_the_service_writes_nothing_when_one_channel_is_bad():
    organisation = Organisation.objects.get(code="banks-0001")
    contact = contact_of("banks-0001")
    before = snapshot("banks-0001")
    channels = [
        contact_services.ChannelInput("email", "fine@example.jp"),
        contact_services.ChannelInput("phone", "not a number"),
    ]
    with pytest.raises(contact_services.ContactChangeRefused) as refused:
        contact_services.save_contact(organisation, contact, fields_of(contact, name="別名"), channels)
    assert list(refused.value.channel_errors) == [1]
    assert "value" in refused.value.channel_errors[1]
    assert snapshot("banks-0001") == before


# -- the last emergency POC ------------------------------------------------------------------------


@pytest.fixture
def only_one_poc():
    """banks-0001 with exactly one emergency POC (its primary): other primaries and 24/7 desks are set aside."""
    contact = contact_of("banks-0001")
    Contact.objects.filter(organisation=contact.organisation, role__in=POC_ROLES).exclude(
        pk=contact.pk
    ).update(is_active=False)
    assert not queries.organisations_lacking_poc(
        Organisation.objects.filter(pk=contact.organisation_id)
    ).exists()
    return contact


@pytest.mark.django_db
def test_the_last_emergency_poc_cannot_be_deactivated(english, client_as, only_one_poc):
    before = snapshot("banks-0001")

    response = client_as("demo-member").post(reverse("registry:contact_deactivate", args=[only_one_poc.pk]))

    assert response.status_code == 409
    assert "must keep at least one active primary POC or 24/7 desk" in response.content.decode()
    assert snapshot("banks-0001") == before


@pytest.mark.django_db
def test_the_last_emergency_poc_cannot_be_demoted(english, client_as, only_one_poc):
    before = snapshot("banks-0001")
    rows = existing_rows(only_one_poc)
    rows[0]["value"] = "changed@example.jp" if rows[0]["kind"] == "email" else "03-1111-2222"

    response = client_as("demo-secretariat").post(
        edit_url(only_one_poc),
        post_data(fields_of(only_one_poc, role=ContactRole.BACKUP), rows, initial=len(rows)),
    )

    assert response.status_code == 400
    assert "must keep at least one active primary POC" in section(
        response.content.decode(), "field-role", "</div>"
    )
    # The channel change was written before the check and must have been undone with everything else.
    assert snapshot("banks-0001") == before


@pytest.mark.django_db
def test_a_poc_may_be_deactivated_once_another_one_is_in_place(client_as, only_one_poc):
    client = client_as("demo-member")
    rows = [{"kind": "phone", "value": "03-5555-0101", "ORDER": 1}]
    desk = dict(NEW_CONTACT, name="24時間監視センター", kind="role_mailbox", role=ContactRole.DESK_24X7)
    assert client.post(add_url("banks-0001"), post_data(desk, rows, initial=0)).status_code == 302

    response = client.post(reverse("registry:contact_deactivate", args=[only_one_poc.pk]))

    assert response.status_code == 302
    only_one_poc.refresh_from_db()
    assert only_one_poc.is_active is False


# -- the organisation page --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "code", "shown"),
    [
        ("demo-member", "banks-0001", True),
        ("demo-secretariat", "banks-0002", True),
        ("demo-analyst", "banks-0001", False),
        ("demo-member", "banks", False),
    ],
)
def test_edit_links_are_shown_only_to_editors(client_as, username, code, shown):
    page = client_as(username).get(reverse("registry:organisation_detail", args=[code])).content.decode()
    contacts = Contact.objects.filter(organisation__code=code, is_active=True)
    assert contacts.count() >= 2
    # Whoever gets here may read the contacts; only editors get the links.
    assert all(f'id="contact-{c.pk}"' in page for c in contacts)
    edit_links = set(re.findall(r'href="(/[^"]*/contacts/\d+/edit/)"', page))
    assert edit_links == ({edit_url(c) for c in contacts} if shown else set())
    assert (f'href="{add_url(code)}"' in page) is shown
