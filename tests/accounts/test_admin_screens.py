"""What the demo's staff accounts find in the admin, and what nobody but a superuser may open."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

pytestmark = pytest.mark.django_db


def test_secretariat_keeps_its_members_in_the_admin_but_sees_no_other_ceptoars_contacts(client_as):
    from ceptoar.registry.models import Contact

    client = client_as("demo-secretariat")
    assert client.get("/admin/registry/contact/").status_code == 200
    own = Contact.objects.filter(organisation__code="banks-0042").first()
    other = Contact.objects.filter(organisation__code="gas-0001").first()
    assert client.get(f"/admin/registry/contact/{own.pk}/change/").status_code == 200
    assert client.get(f"/admin/registry/contact/{other.pk}/change/").status_code in (302, 404)


def test_auditor_reads_but_cannot_change(client_as):
    from ceptoar.registry.models import Contact

    client = client_as("demo-auditor")
    contact = Contact.objects.filter(organisation__code="gas-0001").first()
    response = client.get(f"/admin/registry/contact/{contact.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content


@pytest.mark.parametrize("path", ["/admin/account/emailaddress/", "/admin/mfa/authenticator/"])
def test_allauth_screens_are_for_superusers_only(client_as, demo_user, path):
    user = demo_user("demo-hub")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["account", "mfa"]))
    response = client_as("demo-hub").get(path)
    assert response.status_code == 403
