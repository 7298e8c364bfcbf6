"""Situation summaries: drafted, edited and published as an alert that is delivered and tracked like any
other; bad input leaves everything as it was."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ceptoar.accounts.access import ceptoars_overseen_by
from ceptoar.alerts import tracking
from ceptoar.alerts.models import Alert, Category, Recipient, Status
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.analysis import services
from ceptoar.analysis.models import SituationSummary, SummaryStatus
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp

pytestmark = pytest.mark.django_db

NEW = reverse("analysis:summary_new")
BODY = "## 概況\n\n- DDoS が**3件**続いています。\n\n<script>alert(1)</script>"


def edit_url(summary):
    return reverse("analysis:summary_edit", args=[summary.pk])


def publish_url(summary):
    return reverse("analysis:summary_publish", args=[summary.pk])


def draft(user, title="銀行分野の情勢", tlp=Tlp.AMBER) -> SituationSummary:
    return services.create_draft(user, title=title, body=BODY, tlp=tlp)


def snapshot(summary: SituationSummary) -> tuple:
    summary.refresh_from_db()
    return (summary.title, summary.body, summary.tlp, summary.status, summary.published_alert_id)


# -- services ---------------------------------------------------------------------------------------


def test_publish_as_alert_publishes_to_the_ceptoars_members_and_links_the_alert(demo_user):
    secretariat = demo_user("demo-secretariat")
    summary = draft(secretariat, tlp=Tlp.GREEN)
    alert = services.publish_as_alert(secretariat, summary)
    alert.refresh_from_db()
    summary.refresh_from_db()
    assert alert.status == Status.PUBLISHED and alert.published_at is not None
    assert alert.title == "【情勢判断】銀行分野の情勢"
    assert alert.category == Category.OTHER
    assert alert.tlp == Tlp.GREEN
    assert alert.body == summary.body
    assert alert.origin_organisation_id == secretariat.organisation_id and alert.author == secretariat
    assert list(alert.audience.ceptoars.values_list("code", flat=True)) == ["banks"]
    assert not alert.audience.community
    assert summary.status == SummaryStatus.PUBLISHED and summary.published_alert == alert
    # Delivered like any other alert: one recipient row per member of the banks' CEPTOAR.
    recipients = Recipient.objects.filter(alert=alert)
    assert recipients.filter(organisation__code="banks-0001").exists()
    assert recipients.count() > 1000
    # Tracked like any other alert, and read by the members.
    assert tracking.can_track(secretariat, alert)
    assert tracking.summarise(tracking.subtree(alert)).recipients.total == recipients.count()
    assert policy.may_see(demo_user("demo-member"), alert)
    assert not policy.may_see(demo_user("demo-water"), alert)


def test_the_default_audience_of_each_kind_of_reader(demo_user):
    assert services.default_audience(demo_user("demo-secretariat")) == AudienceSpec(ceptoars=["banks"])
    assert services.default_audience(demo_user("demo-coordinator")) == AudienceSpec(ceptoars=["t-ceptoar"])
    fsa = ["banks", "life-insurance", "non-life-insurance", "securities"]
    assert services.default_audience(demo_user("demo-ministry")) == AudienceSpec(ceptoars=fsa)
    assert services.default_audience(demo_user("demo-hub")) == AudienceSpec(community=True)
    assert services.default_audience(demo_user("demo-member")).is_empty()


def test_a_ministry_publishes_to_the_ceptoars_it_oversees(demo_user):
    ministry = demo_user("demo-ministry")
    alert = services.publish_as_alert(ministry, draft(ministry, tlp=Tlp.AMBER_STRICT))
    assert alert.tlp == Tlp.AMBER_STRICT
    overseen = set(ceptoars_overseen_by(ministry).values_list("code", flat=True))
    assert "banks" in overseen
    sent_to = set(Recipient.objects.filter(alert=alert).values_list("organisation__code", flat=True))
    assert sent_to == overseen


def test_a_chosen_audience_and_tlp_are_used(demo_user):
    secretariat = demo_user("demo-secretariat")
    summary = draft(secretariat, tlp=Tlp.CLEAR)
    alert = services.publish_as_alert(secretariat, summary, AudienceSpec(organisations=["banks-0001"]))
    assert alert.tlp == Tlp.CLEAR
    assert list(alert.audience.organisations.values_list("code", flat=True)) == ["banks-0001"]
    assert list(Recipient.objects.filter(alert=alert).values_list("organisation__code", flat=True)) == [
        "banks-0001"
    ]


def test_a_summary_is_published_once(demo_user):
    secretariat = demo_user("demo-secretariat")
    summary = draft(secretariat)
    services.publish_as_alert(secretariat, summary)
    alerts = Alert.objects.count()
    with pytest.raises(ValidationError) as raised:
        services.publish_as_alert(secretariat, summary)
    assert "status" in raised.value.message_dict
    with pytest.raises(ValidationError):
        services.update_draft(secretariat, summary, title="changed", body="changed", tlp=Tlp.GREEN)
    assert Alert.objects.count() == alerts
    assert snapshot(summary)[0] == "銀行分野の情勢"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  ", "body": "b", "tlp": Tlp.AMBER}, "title"),
        ({"title": "t", "body": "", "tlp": Tlp.AMBER}, "body"),
        ({"title": "t", "body": "b", "tlp": Tlp.RED}, "tlp"),
        ({"title": "t", "body": "b", "tlp": "purple"}, "tlp"),
        ({"title": "x" * 400, "body": "b", "tlp": Tlp.AMBER}, "title"),
    ],
)
def test_bad_drafts_are_refused_on_the_field(demo_user, values, field):
    secretariat = demo_user("demo-secretariat")
    summary = draft(secretariat)
    before = snapshot(summary)
    count = SituationSummary.objects.count()
    with pytest.raises(ValidationError) as raised:
        services.create_draft(secretariat, **values)
    assert field in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.update_draft(secretariat, summary, **values)
    assert field in raised.value.message_dict
    assert SituationSummary.objects.count() == count
    assert snapshot(summary) == before


def test_an_empty_or_unknown_audience_changes_nothing(demo_user):
    secretariat = demo_user("demo-secretariat")
    summary = draft(secretariat)
    before, alerts = snapshot(summary), Alert.objects.count()
    for spec in (AudienceSpec(), AudienceSpec(organisations=["no-such-org"])):
        with pytest.raises(ValidationError) as raised:
            services.preview_publication(
                secretariat, summary, title="edited", body="edited", tlp=Tlp.GREEN, audience_spec=spec
            )
        assert "audience" in raised.value.message_dict
    assert snapshot(summary) == before
    assert Alert.objects.count() == alerts


def test_only_its_own_organisations_writers_may_change_or_publish_it(demo_user):
    summary = draft(demo_user("demo-secretariat"))
    before = snapshot(summary)
    for username in ("demo-coordinator", "demo-ministry", "demo-member"):
        user = demo_user(username)
        with pytest.raises(PermissionDenied):
            services.update_draft(user, summary, title="x", body="y", tlp=Tlp.GREEN)
        with pytest.raises(PermissionDenied):
            services.publish_as_alert(user, summary)
    with pytest.raises(PermissionDenied):
        services.create_draft(demo_user("demo-member"), title="x", body="y", tlp=Tlp.GREEN)
    assert snapshot(summary) == before


# -- pages ------------------------------------------------------------------------------------------


def test_write_edit_and_publish_through_the_pages(client_as, english, demo_user):
    client = client_as("demo-secretariat")
    response = client.post(NEW, {"title": "初報", "body": BODY, "tlp": Tlp.AMBER})
    summary = SituationSummary.objects.get(title="初報")
    assert response.status_code == 302 and response["Location"] == edit_url(summary)
    assert summary.organisation.code == "banks" and summary.status == SummaryStatus.DRAFT

    page = client.get(edit_url(summary))
    content = page.content.decode()
    assert page.status_code == 200
    assert "<h2>概況</h2>" in content and "<strong>3件</strong>" in content
    assert "<script>alert(1)</script>" not in content  # rendered sanitised
    # The audience picker starts at the default audience: the banks' CEPTOAR.
    assert re.search(r'<input[^>]*name="ceptoars" value="banks"[^>]*checked', content)
    assert not re.search(r'<input[^>]*name="ceptoars" value="gas"[^>]*checked', content)

    response = client.post(edit_url(summary), {"title": "第2報", "body": "更新", "tlp": Tlp.GREEN})
    assert response.status_code == 302
    assert snapshot(summary)[:3] == ("第2報", "更新", Tlp.GREEN)

    response = client.post(
        publish_url(summary),
        {"title": "第3報", "body": "最終判断", "tlp": Tlp.GREEN, "ceptoars": ["banks"]},
    )
    # First the send preview (the edits saved, nothing sent), then its confirmation publishes.
    assert response.status_code == 200 and summary.published_alert_id is None
    token = response.context["preview"].token
    response = client.post(publish_url(summary), {"token": token, "ceptoars": ["banks"]})
    summary.refresh_from_db()
    alert = summary.published_alert
    assert response.status_code == 302 and response["Location"] == reverse("alerts:detail", args=[alert.pk])
    assert (
        alert.title == "【情勢判断】第3報" and alert.body == "最終判断" and alert.status == Status.PUBLISHED
    )
    # It is among the secretariat's sent alerts, in its situation summaries, and on its tracking page.
    inbox = client.get(reverse("alerts:inbox"), {"ours": "on"}).content.decode()
    assert reverse("alerts:detail", args=[alert.pk]) in inbox and "【情勢判断】第3報" in inbox
    situation = client.get(reverse("analysis:situation"))
    assert f'data-summary="{summary.pk}"' in situation.content.decode()
    assert alert.pk in {row.alert.pk for row in situation.context["situation"].open_alerts}
    assert client.get(reverse("alerts:tracking", args=[alert.pk])).status_code == 200
    # A published summary is shown, not edited.
    shown = client.get(edit_url(summary)).content.decode()
    assert 'name="title"' not in shown and reverse("alerts:detail", args=[alert.pk]) in shown
    assert client.post(edit_url(summary), {"title": "x", "body": "y", "tlp": Tlp.GREEN}).status_code == 403


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": "", "body": "b", "tlp": Tlp.AMBER}, "title", "This field is required."),
        ({"title": "t", "body": "", "tlp": Tlp.AMBER}, "body", "This field is required."),
        (
            {"title": "t", "body": "b", "tlp": Tlp.RED},
            "tlp",
            "choose TLP:CLEAR, GREEN, AMBER or AMBER+STRICT",
        ),
    ],
)
def test_bad_input_on_the_pages_shows_the_error_on_the_field_and_changes_nothing(
    client_as, english, demo_user, values, field, message
):
    client = client_as("demo-secretariat")
    summary = draft(demo_user("demo-secretariat"))
    before, count, alerts = snapshot(summary), SituationSummary.objects.count(), Alert.objects.count()
    for url, data in (
        (NEW, values),
        (edit_url(summary), values),
        (publish_url(summary), {**values, "ceptoars": ["banks"]}),
    ):
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert message in str(response.context["form"].errors[field])
        content = response.content.decode()
        block = content[content.index(f'id="field-{field}"') :]
        assert message.replace("“", "&ldquo;") in block[:3000] or message in block[:3000]
    assert SituationSummary.objects.count() == count
    assert Alert.objects.count() == alerts
    assert snapshot(summary) == before


def test_publishing_to_an_unknown_organisation_keeps_the_draft_as_it_was(client_as, english, demo_user):
    client = client_as("demo-secretariat")
    summary = draft(demo_user("demo-secretariat"))
    before, alerts = snapshot(summary), Alert.objects.count()
    response = client.post(
        publish_url(summary),
        {"title": "edited", "body": "edited", "tlp": Tlp.GREEN, "organisations": "nope-999"},
    )
    assert response.status_code == 400
    assert any("nope-999" in error for error in response.context["form"].audience_errors)
    assert snapshot(summary) == before
    assert Alert.objects.count() == alerts


def test_another_organisations_summary_is_not_found(client_as, demo_user):
    summary = draft(demo_user("demo-secretariat"))
    before = snapshot(summary)
    client = client_as("demo-coordinator")
    assert client.get(edit_url(summary)).status_code == 404
    assert client.post(publish_url(summary), {"title": "t", "body": "b", "tlp": "green"}).status_code == 404
    assert client.post(edit_url(summary), {"title": "t", "body": "b", "tlp": "green"}).status_code == 404
    assert snapshot(summary) == before
    assert client_as("demo-member").post(publish_url(summary), {}).status_code == 403
    assert client_as("demo-secretariat").get(publish_url(summary)).status_code == 405
