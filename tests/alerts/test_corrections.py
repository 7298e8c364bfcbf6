"""Corrections (訂正版): a new alert linked to the one it replaces, delivered with receipts to exactly the
organisations that one went to, marked 訂正, made only by the sender's authorised staff."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ceptoar.alerts.messages import subject_marks
from ceptoar.alerts.models import CORRECTION_MARK, Alert, Recipient, Status
from ceptoar.alerts.preview import preview_send
from ceptoar.alerts.services import corrections, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.escalation.models import FollowUp
from ceptoar.registry.models import Organisation
from ceptoar.sharing.models import Tlp
from ceptoar.sharing.policy import Disclosure
from tests.alerts.pages import confirm_send, published

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def correct(alert, user, **fields) -> Alert:
    values = {
        "title": alert.title,
        "body": "影響を受けるバージョンは 2.1〜2.4 です。",
        "severity": "critical",
        "correction_note": "影響範囲を訂正しました。",
    }
    values.update(fields)
    return corrections.create_correction(alert, user, **values)


def recipients(alert) -> set[int]:
    return set(Recipient.objects.filter(alert=alert).values_list("organisation_id", flat=True))


def test_a_correction_reaches_exactly_the_original_recipients_with_receipts(demo_user):
    secretariat = demo_user("demo-secretariat")
    original = published(
        secretariat, tlp=Tlp.GREEN, audience=AudienceSpec(organisations=["banks-0001", "banks-0002"])
    )
    correction = correct(original, secretariat)
    assert correction.status == Status.DRAFT and correction.corrects == original
    assert correction.title == CORRECTION_MARK + original.title and correction.is_correction
    assert (correction.tlp, correction.category) == (original.tlp, original.category)
    assert correction.audience_id != original.audience_id  # a copy: the original's stays as it was
    # Whoever the correction's audience would reach now, it goes only where the original went.
    correction.audience.organisations.add(Organisation.objects.get(code="banks-0003"))

    preview = preview_send(correction)
    assert preview.reach.delivered_ids == recipients(original)
    publication.submit(correction, secretariat, confirm=preview.token)

    assert recipients(correction) == recipients(original) and len(recipients(original)) == 2
    assert Delivery.objects.filter(alert=correction).count() == preview.messages > 0
    assert FollowUp.objects.filter(recipient__alert=correction).count() == 2  # receipts chased


def test_a_correction_is_relayed_down_the_chain_like_the_original(demo_user):
    hub, secretariat = demo_user("demo-hub"), demo_user("demo-secretariat")
    original = published(hub)
    correction = correct(original, hub)
    correction = publication.submit(correction, hub, confirm=preview_send(correction).token)
    assert recipients(correction) == recipients(original)
    relay = publication.relay(correction, secretariat)
    assert relay.title.startswith(CORRECTION_MARK) and relay.root == correction
    # Correcting a correction marks it once.
    again = correct(correction, hub, title=correction.title)
    assert again.title.count(CORRECTION_MARK) == 1


def test_only_the_senders_authorised_staff_correct_an_original_published_alert(demo_user):
    hub = demo_user("demo-hub")
    original = published(hub)
    for other in ("demo-member", "demo-ministry", "demo-secretariat"):
        with pytest.raises(PermissionDenied):
            correct(original, demo_user(other))
    relay = publication.relay(original, demo_user("demo-ministry"))
    with pytest.raises(ValidationError) as refused:
        correct(relay, demo_user("demo-ministry"))
    assert "its originator corrects" in str(refused.value)
    with pytest.raises(ValidationError):
        correct(original, hub, correction_note="  ")
    draft = correct(original, hub)
    with pytest.raises(ValidationError):
        correct(draft, hub)  # not published
    assert Alert.objects.filter(corrects=original).count() == 1


def test_the_pages_link_both_ways_and_mark_the_correction(client_as, demo_user):
    hub_user, secretariat = demo_user("demo-hub"), demo_user("demo-secretariat")
    original = published(hub_user)
    original_relay = publication.relay(original, secretariat)
    hub = client_as("demo-hub")
    detail = hub.get(reverse("alerts:detail", args=[original.pk])).content.decode()
    correct_url = reverse("alerts:correct", args=[original.pk])
    assert correct_url in detail

    form = hub.get(correct_url)
    assert form.status_code == 200 and form.context["form"].initial["title"] == original.title
    response = hub.post(
        correct_url,
        {
            "correction_note": "対象を訂正",
            "title": original.title,
            "body": "訂正後の本文",
            "severity": "high",
            "references": "",
        },
    )
    correction = Alert.objects.get(corrects=original)
    assert response.status_code == 302 and response.url == reverse("alerts:submit", args=[correction.pk])
    preview = hub.get(response.url).content.decode()
    assert "This is a correction (訂正版)" in preview and "対象を訂正" in preview
    confirm_send(hub, response.url)
    correction.refresh_from_db()
    assert correction.status == Status.PUBLISHED

    old_page = hub.get(reverse("alerts:detail", args=[original.pk])).content.decode()
    assert 'id="corrected-by"' in old_page
    assert reverse("alerts:detail", args=[correction.pk]) in old_page
    new_page = hub.get(reverse("alerts:detail", args=[correction.pk])).content.decode()
    assert CORRECTION_MARK in new_page and "対象を訂正" in new_page
    assert reverse("alerts:detail", args=[original.pk]) in new_page.split('id="correction-of"')[1]

    # A member reads the relay of the original: it links to the correction it may see.
    member = client_as("demo-member")
    relay_page = member.get(reverse("alerts:detail", args=[original_relay.pk])).content.decode()
    assert 'id="corrected-by"' in relay_page
    # A member may not correct, nor open the form.
    assert member.get(correct_url).status_code == 403
    assert reverse("alerts:correct", args=[original_relay.pk]) not in relay_page


@pytest.mark.parametrize(
    ("disclosure", "marks"),
    [
        # A subject without the title (an envelope, a notice) says 訂正 by the mark; one with the title already
        # starts with it, and says it once.
        (Disclosure.ENVELOPE, [CORRECTION_MARK]),
        (Disclosure.NOTICE, [CORRECTION_MARK]),
        (Disclosure.HEADLINE, []),
        (Disclosure.FULL, []),
    ],
)
def test_a_correction_says_so_in_every_subject(disclosure, marks):
    correction = Alert(title=f"{CORRECTION_MARK}停電の影響", tlp="amber+strict")
    original = Alert(title="停電の影響", tlp="amber+strict")
    assert subject_marks(SimpleNamespace(alert=correction, disclosure=disclosure)) == marks
    assert subject_marks(SimpleNamespace(alert=original, disclosure=disclosure)) == []
