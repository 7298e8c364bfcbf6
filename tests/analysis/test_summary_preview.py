"""Look before sending a situation summary: “Publish as alert” shows the same send preview as an alert
(`alerts.preview`), writes no alert until its token comes back, and a summary or audience changed in between
sends nothing and shows the new preview."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ceptoar.alerts.models import Alert, Recipient, Status
from ceptoar.alerts.preview import StalePreview
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.analysis import services
from ceptoar.analysis.models import SituationSummary, SummaryStatus
from ceptoar.channels.models import Delivery
from ceptoar.sharing.models import Tlp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def publish_url(summary):
    return reverse("analysis:summary_publish", args=[summary.pk])


def draft(user, title="銀行分野の情勢", tlp=Tlp.GREEN) -> SituationSummary:
    return services.create_draft(user, title=title, body="## 概況\n\nDDoS が続いています。", tlp=tlp)


def fields(summary, **audience) -> dict:
    return {"title": summary.title, "body": summary.body, "tlp": summary.tlp, **audience}


def test_the_preview_writes_no_alert_and_its_counts_are_what_publishing_writes(demo_user):
    secretariat = demo_user("demo-secretariat")
    summary = draft(secretariat)
    alerts = Alert.objects.count()
    preview = services.preview_publication(
        secretariat, summary, title="第2報", body="更新", tlp=Tlp.GREEN, audience_spec=None
    )
    summary.refresh_from_db()
    # The edits are saved (the summary stays a draft); no alert exists until the confirmation.
    assert (summary.title, summary.body, summary.status) == ("第2報", "更新", SummaryStatus.DRAFT)
    assert Alert.objects.count() == alerts
    assert preview.alert.title == "【情勢判断】第2報" and not preview.reach.refused
    assert preview.delivered > 1000 and preview.messages > 0

    alert = services.publish_as_alert(secretariat, summary, confirm=preview.token)
    recipients = set(Recipient.objects.filter(alert=alert).values_list("organisation_id", flat=True))
    assert alert.status == Status.PUBLISHED
    assert recipients == preview.reach.delivered_ids
    assert Delivery.objects.filter(alert=alert).count() == preview.messages


def test_a_summary_or_audience_changed_since_the_preview_sends_nothing(demo_user):
    secretariat = demo_user("demo-secretariat")
    summary = draft(secretariat)
    preview = services.preview_publication(secretariat, summary, **fields(summary), audience_spec=None)
    alerts = Alert.objects.count()
    # Another audience than the one previewed.
    with pytest.raises(StalePreview) as raised:
        services.publish_as_alert(
            secretariat, summary, AudienceSpec(organisations=["banks-0001"]), confirm=preview.token
        )
    assert raised.value.preview.delivered == 1
    # The summary edited (by a colleague, in another tab) since.
    services.update_draft(secretariat, summary, title="差し替え", body=summary.body, tlp=summary.tlp)
    with pytest.raises(StalePreview) as raised:
        services.publish_as_alert(secretariat, summary, confirm=preview.token)
    assert raised.value.preview.alert.title == "【情勢判断】差し替え"
    summary.refresh_from_db()
    assert summary.status == SummaryStatus.DRAFT and summary.published_alert_id is None
    assert Alert.objects.count() == alerts
    # The new preview's token is accepted.
    alert = services.publish_as_alert(secretariat, summary, confirm=raised.value.preview.token)
    assert alert.title == "【情勢判断】差し替え" and alert.status == Status.PUBLISHED


def test_publish_shows_the_preview_and_only_its_confirmation_publishes(client_as, demo_user):
    client = client_as("demo-hub")
    summary = draft(demo_user("demo-hub"), title="全分野の情勢")
    alerts = Alert.objects.count()
    # The hub's default audience is the whole community: one click must not send to all of it.
    response = client.post(publish_url(summary), fields(summary, community="on"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Check before publishing" in content and 'id="preview-counts"' in content
    preview = response.context["preview"]
    assert preview.delivered > 0 and preview.relayed + preview.visible_only > 1000
    assert f'action="{publish_url(summary)}"' in content
    assert f'name="token" value="{preview.token}"' in content
    assert '<input type="hidden" name="community" value="on">' in content
    assert reverse("analysis:summary_edit", args=[summary.pk]) in content
    assert Alert.objects.count() == alerts

    # The preview page's button: the token and the audience it carries.
    response = client.post(publish_url(summary), {"token": preview.token, "community": "on"})
    summary.refresh_from_db()
    alert = summary.published_alert
    assert response.status_code == 302 and response["Location"] == reverse("alerts:detail", args=[alert.pk])
    assert alert.audience.community and alert.status == Status.PUBLISHED
    assert set(Recipient.objects.filter(alert=alert).values_list("organisation_id", flat=True)) == (
        preview.reach.delivered_ids
    )


def test_a_stale_confirmation_sends_nothing_and_shows_the_new_preview(client_as, demo_user):
    client = client_as("demo-secretariat")
    summary = draft(demo_user("demo-secretariat"))
    response = client.post(publish_url(summary), fields(summary, ceptoars=["banks"]))
    token = response.context["preview"].token
    alerts = Alert.objects.count()
    # A colleague edits the summary in another tab before the confirmation.
    response = client.post(
        reverse("analysis:summary_edit", args=[summary.pk]),
        fields(summary, title="差し替え後", ceptoars=["banks"]),
    )
    assert response.status_code == 302
    response = client.post(publish_url(summary), {"token": token, "ceptoars": ["banks"]})
    content = response.content.decode()
    assert response.status_code == 409 and 'id="stale-preview"' in content
    assert "【情勢判断】差し替え後" in content
    assert response.context["preview"].token != token
    assert Alert.objects.count() == alerts
    summary.refresh_from_db()
    assert summary.status == SummaryStatus.DRAFT

    # A token of another audience than the one posted is stale too.
    response = client.post(publish_url(summary), {"token": token, "organisations": "banks-0001"})
    assert response.status_code == 409 and Alert.objects.count() == alerts

    # Confirming the new preview publishes.
    new_token = (
        client.post(publish_url(summary), fields(summary, ceptoars=["banks"])).context["preview"].token
    )
    response = client.post(publish_url(summary), {"token": new_token, "ceptoars": ["banks"]})
    assert response.status_code == 302 and Alert.objects.count() == alerts + 1


def test_without_the_confirmation_nothing_is_sent(client_as, demo_user):
    client = client_as("demo-secretariat")
    summary = draft(demo_user("demo-secretariat"))
    alerts = Alert.objects.count()
    # Posting the edit form again and again previews, never sends; a made-up token sends nothing.
    for _ in range(2):
        assert client.post(publish_url(summary), fields(summary, ceptoars=["banks"])).status_code == 200
    response = client.post(publish_url(summary), {"token": "0" * 40, "ceptoars": ["banks"]})
    assert response.status_code == 409
    assert Alert.objects.count() == alerts
    summary.refresh_from_db()
    assert summary.status == SummaryStatus.DRAFT and summary.published_alert_id is None


def test_an_amber_strict_summary_is_previewed_with_its_title_and_published(client_as, demo_user):
    # AMBER+STRICT: the preview asks the policy whether the sender reads the (not yet written) alert.
    client = client_as("demo-ministry")
    summary = draft(demo_user("demo-ministry"), title="金融分野の限定情報", tlp=Tlp.AMBER_STRICT)
    audience = {"ceptoars": ["banks", "securities"]}
    response = client.post(publish_url(summary), fields(summary, **audience))
    assert response.status_code == 200 and "【情勢判断】金融分野の限定情報" in response.content.decode()
    token = response.context["preview"].token
    # Stale (another audience): the new preview, after the rollback, still shows the sender its title.
    stale = client.post(publish_url(summary), {"token": token, "ceptoars": ["banks"]})
    assert stale.status_code == 409 and "【情勢判断】金融分野の限定情報" in stale.content.decode()
    response = client.post(publish_url(summary), {"token": token, **audience})
    summary.refresh_from_db()
    assert response.status_code == 302 and summary.published_alert.tlp == Tlp.AMBER_STRICT
