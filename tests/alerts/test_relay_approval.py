""" "Originator approval needed to relay" as a flow: the relayer asks with the relay it intends, the originator
is notified (the notification mails' send task, on a real SMTP server on loopback) and answers on the alert's page, and the relay goes on a grant,
as the asker's relay, or not at all on a refusal; both steps are recorded."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ceptoar.agreements.services import lifecycle
from ceptoar.alerts.models import Alert, RelayApproval, RelayApprovalStatus
from ceptoar.alerts.services import drafts, publication, relay_approval
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.models import Organisation
from ceptoar.sharing.models import Audience, Tlp
from tests.agreements.helpers import in_force, staff_of, term
from tests.channels import conftest as channel_fixtures
from tests.notifications.helpers import run_notification_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

# The real SMTP server on loopback of the delivery tests.
smtp_port, smtp_server = channel_fixtures.smtp_port, channel_fixtures.smtp_server


def guarded_alert(author, **overrides) -> Alert:
    fields = dict(
        title="Relay only with our approval",
        body="詳細は添付のとおり。",
        category="vulnerability",
        severity="high",
        tlp=Tlp.AMBER,
        audience=AudienceSpec(sectors=["finance"]),
        relay_needs_originator_approval=True,
    )
    fields.update(overrides)
    return publication.submit(drafts.create_draft(author, **fields), author)


def test_grant_sends_the_relay_as_asked_with_its_lineage(
    client_as,
    demo_user,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    hub, ministry = demo_user("demo-hub"), demo_user("demo-ministry")
    alert = guarded_alert(hub)
    with pytest.raises(ValidationError, match="originator must approve"):
        publication.relay(alert, ministry)

    with django_capture_on_commit_callbacks(execute=True):
        request = relay_approval.do_ask(
            alert, ministry, note="金融庁より: 至急確認", audience=AudienceSpec(ceptoars=["banks"])
        )
    assert (request.status, request.asking_organisation.code, request.asked_by) == (
        "pending",
        "fsa",
        ministry,
    )
    assert request.audience_spec["ceptoars"] == ["banks"]
    assert run_notification_tasks()
    # The originator's senders are told; the e-mail names no title (the content stays on the platform).
    told = {a.addr_spec for message in smtp_server.messages for a in message["To"].addresses}
    assert hub.email in told
    assert all("Relay only with our approval" not in m.get_content() for m in smtp_server.messages)
    assert not Alert.objects.filter(parent=alert).exists()  # the relay waits

    with pytest.raises(ValidationError) as error:
        relay_approval.do_ask(alert, ministry)
    assert "parent" in error.value.message_dict  # one open request at a time

    # The originator sees the request on its alert's page and grants it there.
    client = client_as("demo-hub")
    page = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert (
        "金融庁より: 至急確認" in page and reverse("alerts:relay_approval_decide", args=[request.pk]) in page
    )
    sent_before = len(smtp_server.messages)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("alerts:relay_approval_decide", args=[request.pk]), {"decision": "grant", "reason": ""}
        )
    assert response.status_code == 302
    run_notification_tasks()
    request.refresh_from_db()
    child = request.relay
    assert (request.status, request.decided_by) == (RelayApprovalStatus.GRANTED, hub)
    assert request.decided_at is not None
    assert (child.parent, child.root, child.origin_organisation.code) == (alert, alert, "fsa")
    assert (child.author, child.relay_note, child.tlp) == (ministry, "金融庁より: 至急確認", Tlp.AMBER)
    assert list(child.audience.ceptoars.values_list("code", flat=True)) == ["banks"]
    assert child.relay_needs_originator_approval  # the caveat goes on down the chain
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages[sent_before:]] == [ministry.email]


def test_refusal_records_the_reason_and_nothing_is_relayed(demo_user, client_as):
    hub, ministry = demo_user("demo-hub"), demo_user("demo-ministry")
    alert = guarded_alert(hub)
    request = relay_approval.do_ask(alert, ministry)
    with pytest.raises(ValidationError) as error:
        relay_approval.do_refuse(request, hub, reason="   ")
    assert "reason" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == RelayApprovalStatus.PENDING

    refused = relay_approval.do_refuse(request, hub, reason="調整中のため、公表まで待ってください。")
    assert (refused.status, refused.decided_by, refused.relay) == (RelayApprovalStatus.REFUSED, hub, None)
    assert refused.reason == "調整中のため、公表まで待ってください。"
    assert not Alert.objects.filter(parent=alert).exists()
    with pytest.raises(ValidationError):
        publication.relay(alert, ministry)
    with pytest.raises(ValidationError) as error:
        relay_approval.do_grant(refused, hub)
    assert "status" in error.value.message_dict
    # The asker reads the answer on the alert's page.
    page = client_as("demo-ministry").get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "調整中のため、公表まで待ってください。" in page


def test_only_who_may_relay_asks_and_only_the_originator_decides(demo_user):
    hub, ministry = demo_user("demo-hub"), demo_user("demo-ministry")
    alert = guarded_alert(hub)
    with pytest.raises(PermissionDenied):
        relay_approval.do_ask(alert, demo_user("demo-member"))  # members do not relay
    outsider = staff_of("electricity")  # sends alerts, but this one never reached it
    with pytest.raises(PermissionDenied):
        relay_approval.do_ask(alert, outsider)
    assert not RelayApproval.objects.exists()

    request = relay_approval.do_ask(alert, ministry)
    for someone in (ministry, demo_user("demo-secretariat"), demo_user("demo-auditor")):
        with pytest.raises(PermissionDenied):
            relay_approval.do_grant(request, someone)
    request.refresh_from_db()
    assert request.status == RelayApprovalStatus.PENDING and not Alert.objects.filter(parent=alert).exists()


def test_bad_input_names_the_field_and_writes_nothing(demo_user):
    hub, ministry = demo_user("demo-hub"), demo_user("demo-ministry")
    alert = guarded_alert(hub)
    counts = (RelayApproval.objects.count(), Audience.objects.count())
    for kwargs, field in (
        ({"tlp": Tlp.GREEN}, "tlp"),
        ({"audience": AudienceSpec(ceptoars=["no-such-ceptoar"])}, "audience"),
        ({"audience": AudienceSpec(sectors=["electricity"])}, "audience"),
    ):
        with pytest.raises(ValidationError) as error:
            relay_approval.do_ask(alert, ministry, **kwargs)
        assert field in error.value.message_dict, kwargs
    assert (RelayApproval.objects.count(), Audience.objects.count()) == counts

    plain = guarded_alert(hub, relay_needs_originator_approval=False)
    with pytest.raises(ValidationError) as error:
        relay_approval.do_ask(plain, ministry)
    assert "parent" in error.value.message_dict


def test_an_alert_shared_under_an_agreement_is_relayed_only_while_it_is_in_force(demo_user):
    electricity, gas = staff_of("electricity"), staff_of("gas")
    agreement = in_force(
        ["electricity", "gas"], [term("electricity", "gas", categories=["vulnerability"], may_relay=True)]
    )
    alert = guarded_alert(electricity, tlp=Tlp.GREEN, audience=AudienceSpec(ceptoars=["electricity", "gas"]))
    electricity_org = Organisation.objects.get(code="electricity")

    # Asked after the agreement has ended: refused on the item, nothing written.
    lifecycle.do_suspend(agreement, electricity, electricity_org, "見直し中")
    with pytest.raises(ValidationError) as error:
        relay_approval.do_ask(alert, gas)
    assert "no longer in force" in error.value.message_dict["parent"][0]
    assert not RelayApproval.objects.exists()

    # Asked while in force, then the agreement ends before the originator decides: the grant is refused.
    lifecycle.do_resume(agreement, electricity, electricity_org)
    request = relay_approval.do_ask(alert, gas, audience=AudienceSpec(ceptoars=["gas"]))
    lifecycle.do_suspend(agreement, electricity, electricity_org, "見直し中")
    with pytest.raises(ValidationError) as error:
        relay_approval.do_grant(request, electricity)
    assert "parent" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == RelayApprovalStatus.PENDING and request.relay is None


def test_the_ask_page_refuses_bad_input_on_its_field_then_sends_the_request(client_as, demo_user):
    alert = guarded_alert(demo_user("demo-hub"))
    ministry = client_as("demo-ministry")
    detail = ministry.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert reverse("alerts:relay_approval_ask", args=[alert.pk]) in detail
    page = ministry.get(reverse("alerts:relay_approval_ask", args=[alert.pk]))
    assert page.status_code == 200
    data = {"note": "会員へ", "tlp": Tlp.GREEN, "ceptoars": ["banks"]}
    response = ministry.post(reverse("alerts:relay_approval_ask", args=[alert.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["tlp"] and not RelayApproval.objects.exists()

    response = ministry.post(reverse("alerts:relay_approval_ask", args=[alert.pk]), data | {"tlp": Tlp.AMBER})
    assert response.status_code == 302
    request = RelayApproval.objects.get()
    assert (request.note, request.tlp, request.audience_spec["ceptoars"]) == ("会員へ", Tlp.AMBER, ["banks"])
    html = ministry.get(reverse("alerts:relay_approval_ask", args=[alert.pk])).content.decode()
    assert "Your organisation has already asked: Waiting for the originator." in html


def test_refusing_without_a_reason_on_the_page_says_so_and_changes_nothing(client_as, demo_user):
    hub = demo_user("demo-hub")
    alert = guarded_alert(hub)
    request = relay_approval.do_ask(alert, demo_user("demo-ministry"))
    client = client_as("demo-hub")
    url = reverse("alerts:relay_approval_decide", args=[request.pk])
    response = client.post(url, {"decision": "refuse", "reason": ""}, follow=True)
    assert "Say why the relay is refused" in response.content.decode()
    response = client.post(url, {"decision": "maybe"}, follow=True)
    assert "Decision: Choose to grant or to refuse." in response.content.decode()
    request.refresh_from_db()
    assert request.status == RelayApprovalStatus.PENDING and request.decided_by is None
