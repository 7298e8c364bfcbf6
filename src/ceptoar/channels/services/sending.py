"""Sending a batch of deliveries: claim the rows, keep the claim alive (the lease), send each message
through its channel and record every outcome (sent marks in groups; retries with backoff; failing for good
records a broken channel).

Sending happens outside any transaction: a network call never holds a row lock, and every outcome is
written back. A batch that loses its database connection waits for the database and carries on
(`_on_database`). What a message says is written by the composer the channel registry names
(`channels.registry.COMPOSER`); how much of the alert it carries is the sharing policy's answer for the
channel's declared trust.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from ceptoar.alerts.models import Alert
from ceptoar.channels import registry
from ceptoar.channels.base import Channel, Message, PermanentError, PipelinedChannel, TransientError
from ceptoar.channels.models import CLAIMABLE_STATUSES, BrokenChannel, Delivery, DeliveryStatus, FailureCause
from ceptoar.channels.services.queue import enqueue_sends
from ceptoar.sharing import policy
from ceptoar.utilities import reconnect

logger = logging.getLogger(__name__)


def portal_url(alert_id: int) -> str:
    return settings.CEPTOAR_BASE_URL + reverse("alerts:detail", args=[alert_id])


def _channel_for(kind: str) -> Channel:
    return registry.channel_class(kind)()


_SENDING_READS = (
    "alert_id",
    "recipient_id",
    "person_id",
    "channel_id",
    "kind",
    "address",
    "attempts",
    "escalation_step",
)


def claim(delivery_ids: list[int], worker_id: str) -> list[Delivery]:
    """Mark the due, unsent deliveries among `delivery_ids` as ours. Two workers never claim one row:
    PostgreSQL skips rows another worker has locked; elsewhere the update's status guard decides."""
    now = timezone.now()
    due = Delivery.objects.filter(pk__in=delivery_ids, status__in=CLAIMABLE_STATUSES).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # Lock the delivery rows only: the default ordering joins the alert, and locking its row too
            # would make a second worker skip every row of that alert, leaving them pending for good.
            locked = due.order_by().select_for_update(skip_locked=True, of=("self",))
            due = Delivery.objects.filter(pk__in=list(locked.values_list("pk", flat=True)))
        due.filter(status__in=CLAIMABLE_STATUSES).update(
            status=DeliveryStatus.SENDING,
            claimed_by=worker_id,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    claimed = list(
        Delivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.SENDING, claimed_by=worker_id)
        # What sending reads, as columns of the delivery: loading whole rows cost a sixth of a worker's time
        # at benchmark scale, and a channel and a recipient instance per row as much again.
        .only(*_SENDING_READS)
        .annotate(
            # The contact's address now: it may have changed since publication.
            channel_value=F("channel__value"),
            recipient_organisation_id=F("recipient__organisation_id"),
            channel_in_house=F("channel__in_house"),
            channel_broken=Exists(
                BrokenChannel.objects.filter(channel_id=OuterRef("channel_id"), cleared_at__isnull=True)
            ),
        )
        .order_by("pk")
    )
    # A batch is a few alerts' worth of deliveries: each alert is read once, not once per row.
    alerts = Alert.objects.select_related("origin_organisation").in_bulk({d.alert_id for d in claimed})
    for delivery in claimed:
        delivery.alert = alerts[delivery.alert_id]
    return claimed


def _current_address(delivery: Delivery) -> str:
    """Where a claimed delivery goes: its contact channel's address now, or, for a notice to a person,
    the address written with it."""
    return delivery.channel_value if delivery.channel_id is not None else delivery.address


def _bound_organisations(claimed: list[Delivery]) -> set[int]:
    """Recipient organisations of this batch bound by their CEPTOARs' current rules, asked once."""
    return policy.organisations_bound_by_current_rules(
        {
            delivery.recipient_organisation_id
            for delivery in claimed
            if delivery.recipient_id is not None and delivery.alert.tlp in policy.RULES_AUDIENCE_TLPS
        }
    )


def _content_readers(claimed: list[Delivery]) -> dict[int, set[int]]:
    """For each alert of this batch, the recipient organisations its content is for (one query per alert
    marked AMBER+STRICT; none for the others)."""
    recipients: dict[int, set[int]] = defaultdict(set)
    alerts = {}
    for delivery in claimed:
        alerts[delivery.alert_id] = delivery.alert
        if delivery.recipient_id is not None:
            recipients[delivery.alert_id].add(delivery.recipient_organisation_id)
    return {
        alert_id: policy.organisations_reading_content(alert, recipients[alert_id])
        for alert_id, alert in alerts.items()
    }


def _disclosure(
    delivery: Delivery, channel: Channel, bound: set[int], readers: dict[int, set[int]]
) -> policy.Disclosure:
    """How much of the alert this delivery may carry: asked of the sharing policy, never decided here, for
    what the channel declares of itself (`Channel.trust`)."""
    alert = delivery.alert
    if delivery.recipient_id is None:
        # A notice to a named person (RED): the person is who the content is for.
        return policy.outbound_disclosure(alert.tlp, channel.trust, reads_content=True)
    organisation_id = delivery.recipient_organisation_id
    return policy.outbound_disclosure(
        alert.tlp,
        channel.trust,
        reads_content=organisation_id in readers[delivery.alert_id],
        bound=alert.tlp not in policy.RULES_AUDIENCE_TLPS or organisation_id in bound,
        in_house=bool(delivery.channel_in_house),
    )


def retry_delay(attempts: int) -> timedelta:
    base = settings.CEPTOAR_DELIVERY_RETRY_BASE_S * settings.CEPTOAR_DELIVERY_RETRY_FACTOR ** max(
        attempts - 1, 0
    )
    return timedelta(seconds=base * (1 + random.uniform(0, 0.2)))  # noqa: S311 - jitter, not secrecy


def _storable(error_text: str) -> str:
    # Remote peers answer with anything (a NUL byte is refused by PostgreSQL); keep what helps a reader.
    return error_text.replace("\x00", "\\x00")[:2000]


def _finish(delivery: Delivery, worker_id: str, **fields) -> bool:
    """Write an outcome, unless the sweeper has meanwhile given the delivery to another worker."""
    if "last_error" in fields:
        fields["last_error"] = _storable(fields["last_error"])
    return bool(
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_by=worker_id).update(
            claimed_by="", claimed_at=None, **fields
        )
    )


def _record_failed(
    delivery: Delivery, worker_id: str, text: str, cause: str, channel_broken: bool, address: str
) -> None:
    """Failed for good: refused outright, or still failing after the last attempt. Either way the channel
    is recorded as broken when its address is at fault, for the secretariat to see and have corrected."""
    with transaction.atomic():
        if not _finish(
            delivery,
            worker_id,
            status=DeliveryStatus.FAILED_PERMANENT,
            address=address,
            last_error=text,
            cause=cause,
        ):
            return
        already_open = BrokenChannel.objects.filter(channel_id=delivery.channel_id, cleared_at__isnull=True)
        if channel_broken and delivery.channel_id is not None and not already_open.exists():
            BrokenChannel.objects.create(
                channel_id=delivery.channel_id, reason=_storable(text), cause=cause, delivery=delivery
            )


class _Lease:
    """Keeps a batch's claim alive while it is being sent, so that a slow batch (a mail server answering
    slowly) is not swept and sent a second time by another worker; and notices rows it has lost."""

    def __init__(self, worker_id: str, delivery_ids: list[int]) -> None:
        self.worker_id = worker_id
        # Claimed and not yet recorded: prepared messages wait their turn on the sending thread.
        self.unsent = set(delivery_ids)
        self.lost: set[int] = set()
        self.renew_every = settings.CEPTOAR_DELIVERY_LEASE_S / 3
        self.renewed = time.monotonic()

    def holds(self, delivery_id: int) -> bool:
        self.keep()
        return delivery_id not in self.lost

    def done(self, delivery_id: int) -> None:
        self.unsent.discard(delivery_id)

    def keep(self) -> None:
        """Renew the claim if it is due."""
        if time.monotonic() - self.renewed >= self.renew_every:
            self._renew()

    def _renew(self) -> None:
        _on_database(self._renew_now)

    def _renew_now(self) -> None:
        mine = Delivery.objects.filter(
            pk__in=self.unsent, status=DeliveryStatus.SENDING, claimed_by=self.worker_id
        )
        kept = set(mine.values_list("pk", flat=True))
        mine.filter(pk__in=kept).update(claimed_at=timezone.now())
        # In place: the sending thread reads this set before each message.
        self.lost |= self.unsent - kept
        self.renewed = time.monotonic()


class _SentMarks:
    """Marks sent deliveries in groups rather than one statement each, which cost more than the sending.

    What is sent but not yet marked would be sent again (same Message-ID) if the worker died, so the group
    is written as soon as it holds MAX_PENDING messages or is MAX_AGE_S old, and when the batch ends. A
    channel that waits on its server from the batch's thread has the group written before each wait
    (Channel.before_waiting); e-mail waits on a thread of its own, and the batch writes down what came back
    at least every MAX_AGE_S while it does (_SendingThread). Either way a worker killed while it waits on a
    slow or stalled server has nothing unmarked; only a kill inside a run of quick sends can repeat, at
    most, that run.
    """

    MAX_PENDING = 50
    MAX_AGE_S = 0.05

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.pending: list[tuple[int, datetime]] = []
        self.oldest = 0.0

    def add(self, delivery_id: int, sent_at: datetime | None = None) -> None:
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append((delivery_id, sent_at or timezone.now()))
        if len(self.pending) >= self.MAX_PENDING or time.monotonic() - self.oldest >= self.MAX_AGE_S:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            _on_database(self._write)

    def _write(self) -> None:
        # The group is let go only once written: a group whose connection broke is written after reconnecting.
        pending = self.pending
        # One statement per group, each row keeping its own sending time; the status and worker guard is
        # _finish's: a row the sweeper gave to another worker is left to that worker.
        adapt = connection.ops.adapt_datetimefield_value
        table = connection.ops.quote_name(Delivery._meta.db_table)
        whens = " ".join("WHEN %s THEN %s" for _ in pending)
        placeholders = ", ".join("%s" for _ in pending)
        params = [value for delivery_id, sent_at in pending for value in (delivery_id, adapt(sent_at))]
        params += [DeliveryStatus.SENT, *(delivery_id for delivery_id, _ in pending)]
        params += [DeliveryStatus.SENDING, self.worker_id]
        # Only placeholders and the quoted table name are formatted into the statement.
        sql = (
            f"UPDATE {table} SET sent_at = CASE id {whens} END, status = %s, last_error = '', cause = '', "  # noqa: S608
            f"claimed_by = '', claimed_at = NULL WHERE id IN ({placeholders}) AND status = %s AND claimed_by = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        self.pending = []


def _commit_without_waiting_for_disk() -> None:
    """Sent marks are committed every few dozen messages (_SentMarks); on PostgreSQL waiting for each of
    those commits to reach the disk would make the database, not the mail server, set the pace. A worker that
    dies loses nothing by this (the server has the commits); only a crash of the database server itself could
    lose the last fraction of a second of marks, and those deliveries are then sent again with the same
    Message-ID.

    A setting of the connection: a batch that reconnects sets it again (`_on_database`)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


def _on_database(operation, *args, **kwargs):
    """Run one of a batch's database operations; if the connection is lost (a restart, a failover, an idle
    timeout), wait for the database, set the new connection up as the batch's, and run it again. So the batch
    carries on, its claim intact, instead of failing and leaving its rows to the lease.

    Each operation is safe to run twice, as the first run may have reached the database before the answer
    was lost: claiming takes only unclaimed rows and reads back what is ours; outcomes, marks and lease
    renewals are updates guarded by status and worker; a retry scheduled twice has two send tasks, and the
    second finds its rows claimed by the first."""
    return reconnect.retrying(
        lambda: operation(*args, **kwargs), what="A send batch", setup=_commit_without_waiting_for_disk
    )


class _SendingThread:
    """Carries prepared messages to the mail server from a thread of its own, on the batch's one connection,
    while the batch's thread prepares the next messages and records what came back.

    The two threads meet seldom. The batch prepares up to AHEAD messages, then sleeps until the sender is
    down to LOW, or GROUP outcomes are waiting, or MAX_WAIT_S has passed; it then records the outcomes,
    writes down the sent marks, renews the lease and tops up. So when the server is slow or stalls, what it
    accepted is written down within MAX_WAIT_S, while the sending thread waits. Handing over message by
    message, and looking for a slow answer before reading each one, woke the batch's thread for every
    message and took Python's lock from the sending thread just as the server's answer came in.

    Only this thread talks to the mail server and only the batch's thread touches the database. A message
    whose delivery the lease has lost (the sweeper gave it to another worker) is not sent.
    """

    AHEAD = 64
    LOW = 16
    GROUP = _SentMarks.MAX_PENDING
    MAX_WAIT_S = _SentMarks.MAX_AGE_S

    def __init__(self, record, write_down, lease: _Lease) -> None:
        self.record, self.write_down, self.lease = record, write_down, lease
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self.attention = threading.Event()
        self.finished = False
        self.thread = threading.Thread(target=self._run, name="smtp-sender", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        jobs, results, attention, lost = self.jobs, self.results, self.attention, self.lease.lost
        try:
            while (job := jobs.get()) is not None:
                if jobs.qsize() <= self.LOW:
                    attention.set()
                delivery, channel, prepared = job
                if delivery.pk in lost:
                    continue  # the sweeper gave it to another worker: that one sends it
                try:
                    channel.transmit(prepared)
                except BaseException as error:  # noqa: BLE001 - every outcome goes back to the batch
                    results.put((delivery, error, None))
                else:
                    results.put((delivery, None, timezone.now()))
                if results.qsize() >= self.GROUP:
                    attention.set()
        finally:
            self.finished = True
            attention.set()

    def _take_results(self) -> None:
        """Record what has come back and write it down."""
        while True:
            try:
                result = self.results.get_nowait()
            except queue.Empty:
                break
            self.record(*result)
        self.write_down()
        self.lease.keep()

    def _wait(self, done) -> None:
        # The event is cleared before the state is looked at, so no signal between the two is lost.
        while not done():
            self.attention.wait(self.MAX_WAIT_S)
            self.attention.clear()
            self._take_results()

    def submit(self, delivery: Delivery, channel: PipelinedChannel, prepared) -> None:
        self.jobs.put((delivery, channel, prepared))
        if self.jobs.qsize() >= self.AHEAD:
            self._wait(lambda: self.jobs.qsize() <= self.LOW or self.finished)

    def finish(self) -> None:
        """Wait for every queued message and record its outcome."""
        self.jobs.put(None)
        self._wait(lambda: self.finished)
        self.thread.join()
        self._take_results()

    def stop(self) -> None:
        """Send nothing more, but wait for the message in flight and record every outcome."""
        with contextlib.suppress(queue.Empty):
            while True:
                self.jobs.get_nowait()
        self.finish()

    def abandon(self) -> None:
        """The batch failed: send nothing more; what is in flight is left to the sweeper."""
        with contextlib.suppress(queue.Empty):
            while True:
                self.jobs.get_nowait()
        self.jobs.put(None)


def send_batch(delivery_ids: list[int], worker_id: str | None = None) -> dict[str, int]:
    """Send every due delivery among `delivery_ids`, each on its own: one failing never stops the rest."""
    worker_id = worker_id or uuid.uuid4().hex
    _on_database(_commit_without_waiting_for_disk)
    claimed = _on_database(claim, delivery_ids, worker_id)
    outcome = {"sent": 0, "retrying": 0, "failed": 0}
    retries: dict[int, list[int]] = defaultdict(list)
    channels: dict[str, Channel] = {}
    bound = _on_database(_bound_organisations, claimed)
    readers = _on_database(_content_readers, claimed)
    lease = _Lease(worker_id, [delivery.pk for delivery in claimed])
    marks = _SentMarks(worker_id)
    portal_urls: dict[int, str] = {}
    compose = registry.composer()

    def record(delivery: Delivery, error: BaseException | None, sent_at: datetime | None = None) -> None:
        lease.done(delivery.pk)
        address = _current_address(delivery)
        if isinstance(error, PermanentError):
            _on_database(
                _record_failed, delivery, worker_id, str(error), error.cause, error.channel_broken, address
            )
            outcome["failed"] += 1
        elif isinstance(error, Exception):  # anything unforeseen is retried, never dropped
            if isinstance(error, TransientError):
                message, cause, at_fault = str(error), error.cause, error.channel_broken
            else:  # a fault of ours, not of the address
                message, cause, at_fault = f"{type(error).__name__}: {error}", FailureCause.OTHER, False
            if delivery.attempts >= settings.CEPTOAR_DELIVERY_MAX_ATTEMPTS:
                # A receiver that failed every attempt (an hour and more of backoff) is as broken as one that
                # refused outright; a mail relay of ours that was down is not the member's channel's fault.
                text = f"gave up after {delivery.attempts} attempts: {message}"
                _on_database(_record_failed, delivery, worker_id, text, cause, at_fault, address)
                outcome["failed"] += 1
            else:
                _on_database(
                    _finish,
                    delivery,
                    worker_id,
                    status=DeliveryStatus.RETRYING,
                    address=address,
                    last_error=message,
                    cause=cause,
                )
                retries[delivery.attempts].append(delivery.pk)
                outcome["retrying"] += 1
        elif error is not None:
            raise error  # KeyboardInterrupt, SystemExit on the sending thread
        else:
            sent = {"status": DeliveryStatus.SENT, "address": address, "sent_at": sent_at or timezone.now()}
            if delivery.channel_broken:
                _on_database(_record_mended, delivery, worker_id, sent)
            elif address != delivery.address:
                # The contact's address changed since publication: record where it really went.
                _on_database(_finish, delivery, worker_id, last_error="", cause="", **sent)
            else:
                marks.add(delivery.pk, sent_at)
            outcome["sent"] += 1

    sender: _SendingThread | None = None
    try:
        for delivery in claimed:
            if not lease.holds(delivery.pk):
                continue  # the sweeper gave it to another worker: that one sends it
            channel = channels.get(delivery.kind)
            if channel is None:
                channel = channels[delivery.kind] = _channel_for(delivery.kind)
                if isinstance(channel, PipelinedChannel):
                    sender = sender or _SendingThread(record, marks.flush, lease)
                else:
                    channel.before_waiting = marks.flush
            address = _current_address(delivery)
            message = Message(
                delivery_id=delivery.pk,
                address=address,
                content=compose(
                    delivery_id=delivery.pk,
                    address=address,
                    alert=delivery.alert,
                    disclosure=_disclosure(delivery, channel, bound, readers),
                    portal_url=portal_urls.get(delivery.alert_id)
                    or portal_urls.setdefault(delivery.alert_id, portal_url(delivery.alert_id)),
                    escalation_step=delivery.escalation_step,
                ),
            )
            if not isinstance(channel, PipelinedChannel):
                try:
                    channel.send(message)
                except Exception as error:  # noqa: BLE001 - recorded, never dropped
                    record(delivery, error)
                else:
                    record(delivery, None)
                continue
            try:
                prepared = channel.prepare(message)
            except Exception as error:  # noqa: BLE001 - recorded, never dropped
                record(delivery, error)
                continue
            sender.submit(delivery, channel, prepared)
        if sender is not None:
            sender.finish()
            sender = None
    except (OperationalError, InterfaceError) as error:
        # Every database operation above waits for the database when the connection is lost; one that does
        # not (a read added later, say) must not leave the batch's rows to the lease: they go back at once.
        if reconnect.stopping.is_set() or connection.in_atomic_block or not reconnect.connection_lost(error):
            raise
        logger.warning("A send batch lost the database connection; returning its unsent deliveries")
        if sender is not None:
            sender.stop()
            sender = None
        marks.flush()
        outcome["returned"] = _on_database(_give_back, lease, worker_id)
    finally:
        if sender is not None:
            sender.abandon()
        marks.flush()
        for channel in channels.values():
            channel.close()
    _schedule_retries(retries)
    return outcome


def _record_mended(delivery: Delivery, worker_id: str, sent: dict) -> None:
    with transaction.atomic():
        if _finish(delivery, worker_id, last_error="", cause="", **sent):
            # It works again: whatever broke it has been fixed.
            BrokenChannel.objects.filter(channel_id=delivery.channel_id, cleared_at__isnull=True).update(
                cleared_at=timezone.now()
            )


def _give_back(lease: _Lease, worker_id: str) -> int:
    """Return a batch's claimed, unrecorded deliveries to pending, with a send task of their own, rather than
    leave them `sending` until the lease runs out; returns how many. Their claim counted a try that was not
    made, so it is taken back."""
    with transaction.atomic():
        mine = Delivery.objects.filter(
            pk__in=lease.unsent - lease.lost, status=DeliveryStatus.SENDING, claimed_by=worker_id
        )
        ids = list(mine.values_list("pk", flat=True))
        if not ids:
            return 0
        mine.filter(pk__in=ids).update(
            status=DeliveryStatus.PENDING,
            claimed_by="",
            claimed_at=None,
            attempts=F("attempts") - 1,
            last_error="returned at once: the batch lost its database connection",
        )
        enqueue_sends(ids)
    return len(ids)


def _schedule_retries(retries: dict[int, list[int]]) -> None:
    # One task per attempt count: the deliveries in it share one due time, jittered per group.
    for attempts, ids in retries.items():
        _on_database(_schedule, ids, timezone.now() + retry_delay(attempts))


def _schedule(ids: list[int], due: datetime) -> None:
    with transaction.atomic():
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.RETRYING).update(next_attempt_at=due)
        enqueue_sends(ids, run_after=due)
