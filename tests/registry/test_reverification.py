"""A contact flagged for verification again (a drill it did not answer, a wrong number) is due on the
freshness page whatever its last verification date, with the reason, until someone verifies it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ceptoar.registry.models import Contact
from ceptoar.registry.services.verification import flag_for_reverification

pytestmark = pytest.mark.django_db


def test_a_flagged_contact_shows_with_its_reason_until_verified(client_as, english):
    contact = Contact.objects.filter(organisation__code="banks-0001", is_active=True).first()
    Contact.objects.filter(organisation__code="banks-0001").update(last_verified_on=timezone.localdate())
    client = client_as("demo-member")
    page = client.get(reverse("registry:freshness")).content.decode()
    assert "訓練で受領確認なし" not in page
    assert flag_for_reverification(Contact.objects.filter(pk=contact.pk), "訓練で受領確認なし") == 1
    assert flag_for_reverification(Contact.objects.filter(pk=contact.pk), "second reason") == 0
    page = client.get(reverse("registry:freshness")).content.decode()
    assert "To verify again:" in page and "訓練で受領確認なし" in page and "second reason" not in page
    client.post(reverse("registry:contact_verify", args=[contact.pk]))
    contact.refresh_from_db()
    assert contact.reverification_requested_at is None
    page = client.get(reverse("registry:freshness")).content.decode()
    assert "訓練で受領確認なし" not in page
