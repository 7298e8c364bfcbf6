"""Look before relaying by hand: the relay form shows the relay's send preview (`alerts.preview`) and writes
nothing; only the preview's token relays, and a note, marking or audience changed in between sends nothing
and shows the new preview."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Alert, Recipient
from ceptoar.alerts.preview import StalePreview
from ceptoar.alerts.services import publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.sharing.models import Tlp
from tests.alerts.pages import published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FORM = {
    "note": "全会員へ\r\n至急",
    "tlp": Tlp.AMBER,
    "ceptoars": ["banks"],
    "organisations": "",
    "people": "",
}


def test_the_relay_preview_writes_nothing_and_is_what_the_relay_writes(demo_user):
    original = published(demo_user("demo-hub"))
    ministry = demo_user("demo-ministry")
    spec = AudienceSpec(ceptoars=["banks"])
    before = Alert.objects.count()
    preview = publication.preview_relay(original, ministry, note="至急", audience=spec, tlp=Tlp.AMBER)
    assert Alert.objects.count() == before and preview.delivered >= 1
    with pytest.raises(StalePreview):
        publication.relay(
            original, ministry, note="別の注記", audience=spec, tlp=Tlp.AMBER, confirm=preview.token
        )
    assert Alert.objects.count() == before
    child = publication.relay(
        original, ministry, note="至急", audience=spec, tlp=Tlp.AMBER, confirm=preview.token
    )
    recipients = set(Recipient.objects.filter(alert=child).values_list("organisation_id", flat=True))
    assert recipients == preview.reach.delivered_ids


def test_relay_shows_the_preview_and_only_its_confirmation_relays(client_as, demo_user):
    original = published(demo_user("demo-hub"))
    url = reverse("alerts:relay", args=[original.pk])
    ministry = client_as("demo-ministry")
    response = ministry.post(url, FORM)
    content = response.content.decode()
    assert response.status_code == 200 and 'id="preview-counts"' in content
    assert "Check before relaying" in content and "全会員へ<br>至急" in content
    token = response.context["preview"].token
    assert f'action="{url}"' in content and f'name="token" value="{token}"' in content
    assert '<input type="hidden" name="ceptoars" value="banks">' in content
    assert not Alert.objects.filter(parent=original).exists()

    # No token previews again; a made-up token, or another audience than the one previewed, sends nothing.
    assert ministry.post(url, FORM).status_code == 200
    assert ministry.post(url, {**FORM, "token": "0" * 40}).status_code == 409
    stale = ministry.post(url, {**FORM, "ceptoars": ["banks", "securities"], "token": token})
    assert stale.status_code == 409 and 'id="stale-preview"' in stale.content.decode()
    assert stale.context["preview"].token != token
    assert not Alert.objects.filter(parent=original).exists()

    # The preview's button, with the line breaks as a browser may send a hidden field's.
    response = ministry.post(url, {**FORM, "note": "全会員へ\n至急", "token": token})
    child = Alert.objects.get(parent=original)
    assert response.status_code == 302 and response["Location"] == reverse("alerts:detail", args=[child.pk])
    assert child.relay_note == "全会員へ\n至急" and child.origin_organisation.code == "fsa"
