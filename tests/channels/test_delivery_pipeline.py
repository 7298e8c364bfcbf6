"""Publishing writes deliveries and their tasks atomically; the worker sends them to real servers."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ceptoar.alerts.models import Recipient
from ceptoar.channels.models import BrokenChannel, Delivery, DeliveryKind, DeliveryStatus
from ceptoar.channels.services.broken import broken_channels_for
from ceptoar.channels.services.sweeper import sweep_stale
from ceptoar.registry.models import POC_ROLES, ChannelKind, ContactChannel, Organisation

from .helpers import StallingMailBox, add_channel, mail_parts, publish, run_due_tasks, travel_past_backoff

pytestmark = pytest.mark.django_db


def test_publish_writes_deliveries_and_tasks_with_the_alert(demo_user):
    alert = publish(demo_user("demo-hub"))
    recipients = Recipient.objects.filter(alert=alert)
    assert recipients.exists()
    deliveries = Delivery.objects.filter(alert=alert)
    emails = deliveries.filter(kind=DeliveryKind.EMAIL)
    assert emails.exists() and all(d.status == DeliveryStatus.PENDING for d in emails)
    # One e-mail delivery per e-mail channel of each recipient's active primary and 24/7 contacts.
    expected = ContactChannel.objects.filter(
        kind=ChannelKind.EMAIL,
        contact__is_active=True,
        contact__role__in=POC_ROLES,
        contact__organisation__in=recipients.values("organisation"),
    )
    assert sorted(emails.values_list("channel_id", flat=True)) == sorted(
        expected.values_list("pk", flat=True)
    )
    assert all(d.address == d.channel.value and d.contact_id == d.channel.contact_id for d in emails)
    # The portal inbox is the recipient row itself: no delivery row stands for it.
    assert set(deliveries.values_list("kind", flat=True)) <= {k.value for k in DeliveryKind}
    queued = [task.args_kwargs["args"][0] for task in DBTaskResult.objects.filter(status="READY")]
    assert sorted(i for ids in queued for i in ids) == sorted(emails.values_list("pk", flat=True))


def test_rolled_back_publish_leaves_no_delivery_and_no_task(demo_user):
    user = demo_user("demo-hub")
    before = (Delivery.objects.count(), DBTaskResult.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(user)
        assert Delivery.objects.count() > before[0]
        raise RuntimeError("publisher fails after publishing")
    assert (Delivery.objects.count(), DBTaskResult.objects.count()) == before


def test_every_email_sent_once_with_japanese_subject_and_marking(demo_user, smtp_server):
    alert = publish(demo_user("demo-hub"), tlp="amber")
    expected = set(Delivery.objects.filter(alert=alert, kind="email").values_list("address", flat=True))
    assert run_due_tasks() >= 1
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(expected)
    message = smtp_server.messages[0]
    # Python folds a long encoded subject onto a continuation line, which decodes with a leading space.
    assert str(message["Subject"]).strip() == "[TLP:AMBER] ガス供給システムへの攻撃の兆候"
    text, html = mail_parts(message)
    assert text.startswith("[TLP:AMBER]")
    assert "不審な通信を確認しました" in text and "不審な通信を確認しました" in html
    assert f"/alerts/{alert.pk}/" in text and f"/alerts/{alert.pk}/" in html
    ids = set(Delivery.objects.filter(alert=alert, kind="email").values_list("pk", flat=True))
    assert {m["Message-ID"] for m in smtp_server.messages} == {f"<delivery-{i}@127.0.0.1>" for i in ids}
    assert not Delivery.objects.filter(alert=alert).exclude(status=DeliveryStatus.SENT).exists()

    # Idempotent: the same tasks run again, and the sweeper finds nothing half done.
    for task in DBTaskResult.objects.filter(status="SUCCESSFUL"):
        task.status = "READY"
        task.save()
    run_due_tasks()
    assert sweep_stale(lease_seconds=1) == 0
    assert len(smtp_server.messages) == len(expected)


def test_red_alert_mail_is_a_notice_without_title_or_body(demo_user, smtp_server):
    alert = publish(demo_user("demo-hub"), tlp="red", people=["demo-member"])
    run_due_tasks()
    assert [m["To"] for m in smtp_server.messages] == [demo_user("demo-member").email]
    message = smtp_server.messages[0]
    text, html = mail_parts(message)
    raw = message.as_string() + text + html
    assert "ガス供給" not in raw and "不審な通信" not in raw
    assert str(message["Subject"]).strip().startswith("[TLP:RED]")
    assert f"/alerts/{alert.pk}/" in text and f"/alerts/{alert.pk}/" in html


def test_smtp_down_is_retried_then_sent(demo_user, smtp_down):
    alert = publish(demo_user("demo-hub"))
    run_due_tasks()
    emails = Delivery.objects.filter(alert=alert, kind="email")
    assert all(d.status == DeliveryStatus.RETRYING and d.last_error for d in emails)
    first = emails.first()
    assert first.next_attempt_at is not None and first.attempts == 1
    # Not due yet: nothing runs.
    assert run_due_tasks() == 0
    smtp_down.start()
    travel_past_backoff()
    run_due_tasks()
    assert all(d.status == DeliveryStatus.SENT and d.attempts == 2 for d in emails.all())
    assert len(smtp_down.messages) == emails.count()


def test_refused_mailbox_is_permanent_and_marks_the_channel_broken(demo_user, smtp_server):
    channel = add_channel("meti", ChannelKind.EMAIL, "nosuch@meti.example.jp")
    alert = publish(demo_user("demo-hub"))
    run_due_tasks()
    refused = Delivery.objects.get(alert=alert, channel=channel)
    assert refused.status == DeliveryStatus.FAILED_PERMANENT and "550" in refused.last_error
    assert list(broken_channels_for(Organisation.objects.filter(code="meti"))) == [
        BrokenChannel.objects.get(channel=channel)
    ]
    # The others in the batch went out regardless.
    assert Delivery.objects.filter(alert=alert, kind="email", status=DeliveryStatus.SENT).exists()


def test_webhook_is_signed_and_carries_idempotency_key(demo_user, webhook_receiver, smtp_server):
    channel = add_channel("meti", ChannelKind.WEBHOOK, webhook_receiver.url("/ok"))
    alert = publish(demo_user("demo-hub"), tlp="amber")
    run_due_tasks()
    delivery = Delivery.objects.get(alert=alert, channel=channel)
    assert delivery.status == DeliveryStatus.SENT
    [request] = [r for r in webhook_receiver.requests if r["path"] == "/ok"]
    expected = hmac.new(b"test-webhook-secret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Ceptoar-Signature"] == f"sha256={expected}"
    assert request["headers"]["Idempotency-Key"] == str(delivery.pk)
    payload = webhook_receiver.bodies("/ok")[0]
    assert payload["delivery_id"] == delivery.pk
    assert payload["alert"]["title"] == alert.title and payload["alert"]["tlp"] == "amber"
    assert payload["alert"]["url"].endswith(f"/alerts/{alert.pk}/")


def test_webhook_500_retries_with_backoff_then_succeeds(demo_user, webhook_receiver, smtp_server):
    channel = add_channel("meti", ChannelKind.WEBHOOK, webhook_receiver.url("/fail-then-ok"))
    alert = publish(demo_user("demo-hub"))
    run_due_tasks()
    delivery = Delivery.objects.get(alert=alert, channel=channel)
    assert delivery.status == DeliveryStatus.RETRYING and "500" in delivery.last_error
    wait = (delivery.next_attempt_at - delivery.claimed_at if delivery.claimed_at else None) or (
        delivery.next_attempt_at - alert.published_at
    )
    assert 29 <= wait.total_seconds() <= 40  # base 30 s, up to 20 % jitter
    travel_past_backoff()
    run_due_tasks()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert webhook_receiver.hits["/fail-then-ok"] == 2


def test_webhook_400_is_permanent_and_broken(demo_user, webhook_receiver, smtp_server):
    channel = add_channel("meti", ChannelKind.WEBHOOK, webhook_receiver.url("/400"))
    alert = publish(demo_user("demo-hub"))
    run_due_tasks()
    delivery = Delivery.objects.get(alert=alert, channel=channel)
    assert delivery.status == DeliveryStatus.FAILED_PERMANENT and "400" in delivery.last_error
    assert BrokenChannel.objects.filter(channel=channel, cleared_at__isnull=True).exists()


def test_hanging_and_garbage_webhooks_fail_transiently_without_holding_up_the_batch(
    demo_user, webhook_receiver, smtp_server
):
    hang = add_channel("meti", ChannelKind.WEBHOOK, webhook_receiver.url("/hang"))
    garbage = add_channel("meti", ChannelKind.WEBHOOK, webhook_receiver.url("/garbage"))
    alert = publish(demo_user("demo-hub"))
    started = time.monotonic()
    run_due_tasks()
    assert time.monotonic() - started < 4  # timeout is 1 s; the hanging receiver sleeps 3 s
    for channel in (hang, garbage):
        delivery = Delivery.objects.get(alert=alert, channel=channel)
        assert delivery.status == DeliveryStatus.RETRYING and delivery.last_error
    assert "timed out" in Delivery.objects.get(alert=alert, channel=hang).last_error
    emails = Delivery.objects.filter(alert=alert, kind="email")
    assert all(d.status == DeliveryStatus.SENT for d in emails)
    assert len(smtp_server.messages) == emails.count()


def test_sweeper_returns_a_dead_workers_deliveries(demo_user, smtp_server):
    alert = publish(demo_user("demo-hub"))
    DBTaskResult.objects.all().delete()  # the worker died with its task
    from datetime import timedelta

    from django.utils import timezone

    Delivery.objects.filter(alert=alert, kind="email").update(
        status=DeliveryStatus.SENDING, claimed_by="dead", claimed_at=timezone.now() - timedelta(hours=1)
    )
    count = Delivery.objects.filter(alert=alert, kind="email").count()
    assert sweep_stale(lease_seconds=60) == count
    run_due_tasks()
    assert Delivery.objects.filter(alert=alert, kind="email", status=DeliveryStatus.SENT).count() == count
    assert len(smtp_server.messages) == count


def send_losing_a_row(user, settings, *, lose_when_preparing: int) -> tuple[list[int], int, dict]:
    """Send a batch of six e-mails, renewing the lease whenever the batch looks; while it prepares the
    message numbered `lose_when_preparing` (from 0), the sweeper hands the fourth row to another worker.
    Returns the ids, the lost one and the batch's outcome."""
    from ceptoar.channels.services import sending as services

    alert = publish(user, ceptoars=["banks"])
    ids = list(
        Delivery.objects.filter(alert=alert, kind=DeliveryKind.EMAIL)
        .order_by("pk")
        .values_list("pk", flat=True)[:6]
    )
    settings.CEPTOAR_DELIVERY_LEASE_S = 0
    taken = ids[3]
    real_channel_for = services._channel_for

    def channel_for(kind):
        channel = real_channel_for(kind)
        prepare = channel.prepare

        def prepare_then_lose_a_row(outgoing):
            if outgoing.delivery_id == ids[lose_when_preparing]:
                Delivery.objects.filter(pk=taken).update(claimed_by="other-worker")
            return prepare(outgoing)

        channel.prepare = prepare_then_lose_a_row
        return channel

    services._channel_for = channel_for
    try:
        outcome = services.send_batch(ids, worker_id="slow-worker")
    finally:
        services._channel_for = real_channel_for
    taken_row = Delivery.objects.get(pk=taken)
    assert (taken_row.claimed_by, taken_row.status) == ("other-worker", DeliveryStatus.SENDING)
    return ids, taken, outcome


def test_a_slow_batch_keeps_its_claim_and_skips_what_the_sweeper_took(demo_user, smtp_server, settings):
    """A batch slower than a third of the lease renews its claim; a row the sweeper gave to another
    worker meanwhile is left to that worker, so nothing is sent twice."""
    ids, taken, outcome = send_losing_a_row(demo_user("demo-secretariat"), settings, lose_when_preparing=1)
    assert outcome["sent"] == 5
    sent_ids = {int(m["Message-ID"].split("-")[1].split("@")[0]) for m in smtp_server.messages}
    assert sent_ids == set(ids) - {taken}


def test_a_prepared_message_whose_row_the_sweeper_took_is_not_sent(demo_user, smtp_port, settings):
    """Messages are prepared ahead of the sending thread: a row lost to the sweeper after its message was
    prepared (all six are, before the slow server answers the first) is left to the other worker too."""
    from aiosmtpd.controller import Controller

    from ceptoar.channels.services.sending import _SendingThread

    mailbox = StallingMailBox(stall_at=1, pause=_SendingThread.MAX_WAIT_S * 6)
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        ids, taken, outcome = send_losing_a_row(
            demo_user("demo-secretariat"), settings, lose_when_preparing=5
        )
    finally:
        controller.stop()
    assert outcome["sent"] == 5 and mailbox.accepted == 5
    sent = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENT).values_list("pk", flat=True)
    assert set(sent) == set(ids) - {taken}


def test_a_claim_locks_delivery_rows_only(demo_user):
    """Locking the alert's row with its deliveries made a second worker, claiming another batch of the
    same alert at the same moment, skip all of it — and leave it pending for good."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ceptoar.channels.services.sending import claim

    alert = publish(demo_user("demo-secretariat"), ceptoars=["banks"])
    ids = list(
        Delivery.objects.filter(alert=alert, status=DeliveryStatus.PENDING).values_list("pk", flat=True)[:5]
    )
    with CaptureQueriesContext(connection) as queries:
        assert len(claim(ids, "worker-a")) == 5
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update_skip_locked:
        assert len(locking) == 1
        assert 'FOR UPDATE OF "channels_delivery" SKIP LOCKED' in locking[0]
        assert "alerts_alert" not in locking[0]
    else:
        assert locking == []  # SQLite: the conditional update alone decides


def test_a_channel_that_works_again_is_no_longer_shown_broken(demo_user, smtp_server):
    alert = publish(demo_user("demo-secretariat"), ceptoars=["banks"])
    delivery = Delivery.objects.filter(alert=alert, kind=DeliveryKind.EMAIL).order_by("pk").first()
    other = Delivery.objects.filter(alert=alert, kind=DeliveryKind.EMAIL).order_by("pk")[1]
    BrokenChannel.objects.create(channel_id=delivery.channel_id, reason="550 earlier")
    from ceptoar.channels.services.sending import send_batch

    assert send_batch([delivery.pk, other.pk])["sent"] == 2
    assert BrokenChannel.objects.get(channel_id=delivery.channel_id).cleared_at is not None
    assert not BrokenChannel.objects.filter(channel_id=other.channel_id).exists()


def test_each_message_of_a_batch_carries_its_own_address_id_and_acknowledgement_link(demo_user, smtp_server):
    """The message is built once per alert and each delivery's parts substituted: check every part of
    every message against its own delivery, and that nothing of the first recipient leaks into the others."""
    import re

    from ceptoar.alerts.links import delivery_for_token

    alert = publish(
        demo_user("demo-secretariat"), ceptoars=["banks"], body="詳細: 不正送金の手口を確認しました。"
    )
    deliveries = {
        d.pk: d for d in Delivery.objects.filter(alert=alert, kind=DeliveryKind.EMAIL).order_by("pk")[:40]
    }
    from ceptoar.channels.services.sending import send_batch

    assert send_batch(list(deliveries))["sent"] == 40
    assert len(smtp_server.messages) == 40
    for message, envelope in zip(smtp_server.messages, smtp_server.mailbox.envelopes, strict=True):
        delivery_id = int(message["Message-ID"].split("-")[1].split("@")[0])
        delivery = deliveries[delivery_id]
        assert message["To"] == delivery.address
        assert envelope.rcpt_tos == [delivery.address]
        assert str(message["Subject"]).strip() == "[TLP:GREEN] ガス供給システムへの攻撃の兆候"
        text, html = mail_parts(message)
        assert "不正送金の手口を確認しました" in text and "不正送金の手口を確認しました" in html
        tokens = re.findall(r"/alerts/ack/(\S+)/", text)
        assert len(tokens) == 1
        assert delivery_for_token(tokens[0]).pk == delivery_id
        # The HTML part carries the same link (as the address of its anchor and as its words), no other.
        html_tokens = re.findall(r"/alerts/ack/([^/\s\"<]+)/", html)
        assert html_tokens and set(html_tokens) == {tokens[0]}
        assert message["Date"]


def test_the_sweeper_gives_a_task_to_deliveries_whose_task_died_with_its_worker(demo_user, smtp_server):
    """A worker killed after taking a send task and before claiming its deliveries leaves the task row
    running and the deliveries pending: the sweeper enqueues them again once a lease has passed."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import TaskResultStatus

    alert = publish(demo_user("demo-hub"))
    emails = Delivery.objects.filter(alert=alert, kind="email")
    count = emails.count()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=an_hour_ago, worker_ids=["dead"])
    assert sweep_stale(lease_seconds=60) == 0  # just published: their task may still come
    Delivery.objects.filter(alert=alert).update(created_at=an_hour_ago)

    assert sweep_stale(lease_seconds=60) == Delivery.objects.filter(alert=alert).count()
    assert sweep_stale(lease_seconds=60) == 0  # covered now by the task just enqueued
    run_due_tasks()
    assert emails.filter(status=DeliveryStatus.SENT).count() == count
    assert len(smtp_server.messages) == count


def test_the_sweeper_leaves_deliveries_a_live_task_will_take(demo_user, smtp_server):
    from datetime import timedelta

    from django.utils import timezone

    alert = publish(demo_user("demo-hub"))
    Delivery.objects.filter(alert=alert).update(created_at=timezone.now() - timedelta(hours=1))
    tasks = DBTaskResult.objects.count()
    assert sweep_stale(lease_seconds=60) == 0  # their task waits in the queue
    assert DBTaskResult.objects.count() == tasks
