"""Look before sending (alerts.preview): the preview's counts are what publication writes, a stale preview
sends nothing, closing needs its confirmation, and the author may take a draft back from approval."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ceptoar.accounts.models import RoleGrant, User
from ceptoar.alerts.models import Alert, Recipient, Status
from ceptoar.alerts.preview import StalePreview, preview_send
from ceptoar.alerts.services import approval, drafts, publication
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.channels.models import Delivery
from ceptoar.escalation.models import FollowUp, FollowUpState
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.sharing import policy
from ceptoar.sharing.models import AuditEntry, Tlp
from tests.alerts.pages import published
from tests.signin import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def draft(author, **overrides) -> Alert:
    fields = {
        "title": "Phishing kit aimed at bank customers",
        "body": "対策を確認してください。",
        "category": "malware",
        "severity": "high",
        "tlp": Tlp.AMBER,
        "audience": AudienceSpec(sectors=["finance"], organisations=["fsa"]),
    }
    fields.update(overrides)
    return drafts.create_draft(author, **fields)


def colleague_of(user, username="second-pair-of-eyes") -> User:
    other = User.objects.create_user(username, organisation=user.organisation)
    RoleGrant.objects.create(user=other, role=user.role_grants.first().role)
    return other


@pytest.mark.parametrize(
    ("sender", "audience", "tlp"),
    [
        # The hub to a sector: the FSA delivered, the CEPTOARs by relay, related bodies visible only.
        ("demo-hub", AudienceSpec(sectors=["finance"], organisations=["fsa"]), Tlp.AMBER),
        # A CEPTOAR to its own members: hundreds delivered at once, each with its contacts' channels.
        ("demo-secretariat", AudienceSpec(ceptoars=["banks"]), Tlp.GREEN),
        # RED: named people only, each sent a notice.
        ("demo-hub", AudienceSpec(people=["demo-member", "demo-secretariat"]), Tlp.RED),
    ],
)
def test_the_preview_counts_are_what_publication_writes(demo_user, sender, audience, tlp):
    author = demo_user(sender)
    alert = draft(author, audience=audience, tlp=tlp)
    preview = preview_send(alert)
    assert not preview.reach.refused
    assert sum(row.delivered for row in preview.rows) == preview.delivered
    assert sum(row.visible_only for row in preview.rows) == preview.visible_only

    publication.submit(alert, author, confirm=preview.token)

    recipients = set(Recipient.objects.filter(alert=alert).values_list("organisation_id", flat=True))
    assert recipients == preview.reach.delivered_ids
    assert Delivery.objects.filter(alert=alert).count() == preview.messages > 0
    # Visible only: the policy lets them see it, and nothing was delivered to them.
    assert not preview.reach.visible_only_ids & recipients
    seeing = set(policy.audience_organisations(alert.audience).values_list("pk", flat=True))
    assert preview.reach.visible_only_ids <= seeing
    if tlp == Tlp.RED:
        assert preview.people.delivered == 2 and not preview.rows


def test_the_hub_preview_splits_by_kind(demo_user):
    preview = preview_send(draft(demo_user("demo-hub")))
    rows = {row.label: row for row in preview.rows}
    assert rows["Ministries"].delivered == 1 and rows["Ministries"].relayed == 0
    assert (
        rows["CEPTOARs"].relayed
        == Organisation.objects.filter(kind=OrganisationKind.CEPTOAR, sector__code="finance").count()
    )
    assert rows["Member operators"].relayed > 100 and rows["Member operators"].delivered == 0
    assert rows["Related bodies"].visible_only >= 1  # FISC: in no CEPTOAR's chain


def test_a_changed_draft_or_audience_is_not_sent_on_the_old_preview(demo_user):
    author = demo_user("demo-hub")
    alert = draft(author)
    token = preview_send(alert).token

    Alert.objects.filter(pk=alert.pk).update(title="Another title")
    with pytest.raises(StalePreview) as stale:
        publication.submit(alert, author, confirm=token)
    assert stale.value.preview.token != token
    alert.refresh_from_db()
    assert alert.status == Status.DRAFT and not Recipient.objects.filter(alert=alert).exists()

    # Whom it reaches changed (one more organisation named): asked again too.
    token = preview_send(alert).token
    alert.audience.organisations.add(Organisation.objects.get(code="banks-0001"))
    with pytest.raises(StalePreview):
        publication.submit(alert, author, confirm=token)
    assert not Delivery.objects.filter(alert=alert).exists()
    publication.submit(alert, author, confirm=preview_send(alert).token)
    alert.refresh_from_db()
    assert alert.status == Status.PUBLISHED


def test_the_approver_confirms_their_own_preview(demo_user):
    author = demo_user("demo-hub")
    alert = publication.submit(draft(author, requires_approval=True), author, confirm=None)
    approver = colleague_of(author)
    token = preview_send(alert).token
    Alert.objects.filter(pk=alert.pk).update(body="changed after the approver looked")
    with pytest.raises(StalePreview):
        approval.approve(alert, approver, confirm=token)
    alert.refresh_from_db()
    assert alert.status == Status.AWAITING_APPROVAL and alert.approved_by is None


# -- the pages --------------------------------------------------------------------------------------


def test_the_preview_page_shows_the_marking_and_counts_and_sends_nothing(client_as, demo_user):
    alert = draft(demo_user("demo-hub"))
    hub = client_as("demo-hub")
    url = reverse("alerts:submit", args=[alert.pk])
    page = hub.get(url)
    html = page.content.decode()
    preview = page.context["preview"]
    assert "Check before publishing" in html and "TLP:AMBER" in html
    assert f'data-total="delivered">{preview.delivered}<' in html
    assert f'data-total="visible_only">{preview.visible_only}<' in html
    assert "Visible on the portal only" in html and "Reached by a relay later" in html
    assert f"Publish to {preview.delivered} organisation" in html
    # A POST without the preview's token shows the preview again and sends nothing.
    assert hub.post(url).status_code == 200
    alert.refresh_from_db()
    assert alert.status == Status.DRAFT


def test_confirming_a_stale_preview_shows_the_new_one(client_as, demo_user):
    alert = draft(demo_user("demo-hub"))
    hub = client_as("demo-hub")
    url = reverse("alerts:submit", args=[alert.pk])
    old = hub.get(url).context["preview"].token
    alert.audience.organisations.add(Organisation.objects.get(code="water-0001"))
    response = hub.post(url, {"token": old})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was sent: the alert or whom it reaches changed since you previewed it" in html
    new = response.context["preview"].token
    assert new != old and new in html
    alert.refresh_from_db()
    assert alert.status == Status.DRAFT and not Recipient.objects.filter(alert=alert).exists()
    assert hub.post(url, {"token": new}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == Status.PUBLISHED


def test_closing_without_confirmation_changes_nothing(client_as, demo_user):
    alert = published(demo_user("demo-hub"))
    pending = FollowUp.objects.filter(recipient__alert=alert, state=FollowUpState.PENDING).count()
    assert pending
    hub = client_as("demo-hub")
    url = reverse("alerts:close", args=[alert.pk])
    for response in (hub.get(url), hub.post(url)):
        assert response.status_code == 200
        assert f"{pending} pending escalation step" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == Status.PUBLISHED
    assert FollowUp.objects.filter(recipient__alert=alert, state=FollowUpState.PENDING).count() == pending

    assert hub.post(url, {"confirm": "close"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == Status.CLOSED
    assert not FollowUp.objects.filter(recipient__alert=alert, state=FollowUpState.PENDING).exists()


def test_the_author_withdraws_a_draft_from_approval(client_as, demo_user, settings):
    settings.CEPTOAR_MFA_REQUIRED = False  # the colleague made here has no authenticator
    author = demo_user("demo-hub")
    alert = publication.submit(draft(author, requires_approval=True), author)
    hub = client_as("demo-hub")
    detail = hub.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert reverse("alerts:withdraw", args=[alert.pk]) in detail

    # Not the colleague who would approve it, nor another organisation.
    colleague = colleague_of(author)
    with pytest.raises(PermissionDenied):
        drafts.withdraw(alert, colleague)
    sign_in(hub, colleague)
    assert (
        reverse("alerts:withdraw", args=[alert.pk])
        not in hub.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    )
    assert hub.post(reverse("alerts:withdraw", args=[alert.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        drafts.withdraw(alert, demo_user("demo-secretariat"))
    alert.refresh_from_db()
    assert alert.status == Status.AWAITING_APPROVAL

    sign_in(hub, author)
    response = hub.post(reverse("alerts:withdraw", args=[alert.pk]), follow=True)
    assert "is a draft again" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == Status.DRAFT
    entry = AuditEntry.objects.get(item_type="alerts.alert", item_id=alert.pk)
    assert entry.action == "withdrawn_from_approval" and entry.user == author
    # Nothing left to approve, and nothing to withdraw twice.
    with pytest.raises(ValidationError):
        approval.approve(alert, colleague)
    with pytest.raises(ValidationError):
        drafts.withdraw(alert, author)
