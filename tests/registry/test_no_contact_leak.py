"""A member cannot read another member's contacts through any page, download or admin screen.

Sweeps every page a member can reach, plus direct URLs to the other member's contact screens, and
looks for any of the other member's contact names, e-mail addresses or numbers in what comes back."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from ceptoar.registry.models import Contact, ContactChannel

pytestmark = pytest.mark.django_db

OTHER = "banks-0002"


def _secrets() -> set[str]:
    values = set(
        ContactChannel.objects.filter(contact__organisation__code=OTHER).values_list("value", flat=True)
    )
    values |= set(Contact.objects.filter(organisation__code=OTHER).values_list("name", flat=True))
    assert len(values) >= 4
    return values


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(response.content))
        return "\n".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value)
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _pages(other_contact: Contact, other_channel: ContactChannel) -> list[str]:
    return [
        reverse("home"),
        reverse("registry:tree"),
        reverse("registry:organisation_list"),
        reverse("registry:organisation_list") + f"?q={OTHER}",
        reverse("registry:organisation_list") + "?ceptoar=banks",
        reverse("registry:organisation_detail", args=[OTHER]),
        reverse("registry:organisation_detail", args=["banks"]),
        reverse("registry:map"),
        reverse("registry:map_csv"),
        reverse("registry:map_xlsx"),
        reverse("registry:freshness") + "?days=1",
        f"/registry/contacts/{other_contact.pk}/edit/",
        f"/registry/contacts/{other_contact.pk}/deactivate/",
        f"/registry/organisations/{OTHER}/contacts/add/",
        "/admin/",
        "/admin/registry/contact/",
        f"/admin/registry/contact/?q={OTHER}",
        f"/admin/registry/contact/{other_contact.pk}/change/",
        f"/admin/registry/contactchannel/{other_channel.pk}/change/",
        "/admin/registry/contactchannel/",
        "/admin/registry/rulesacceptance/",
        "/admin/accounts/user/",
        "/admin/autocomplete/?app_label=registry&model_name=contact&field_name=contact",
    ]


@pytest.mark.parametrize("staff", [False, True], ids=["member", "member-made-staff-with-all-permissions"])
def test_member_reads_no_contact_of_another_member_anywhere(client_as, demo_user, staff):
    from django.contrib.auth.models import Permission

    if staff:
        user = demo_user("demo-member")
        user.is_staff = True
        user.save()
        user.user_permissions.set(Permission.objects.all())
    client = client_as("demo-member")
    secrets = _secrets()
    other_contact = Contact.objects.filter(organisation__code=OTHER).first()
    other_channel = ContactChannel.objects.filter(contact=other_contact).first()
    fetched = 0
    for path in _pages(other_contact, other_channel):
        response = client.get(path)
        body = _text(response)
        leaked = sorted(value for value in secrets if value in body)
        assert not leaked, f"{path} shows {leaked}"
        fetched += response.status_code == 200
    assert fetched >= 8  # the sweep really read pages, not only refusals
