"""Writing notifications and sending their e-mails.

`do_notify` is called by the areas' services inside their transaction (through `events`, which says who is
told of what). It asks the sharing policy, per person, whether they may see the item, writes one
`Notification` per person, and one `NotificationMail` per address to mail at once, and enqueues the send task
in the same transaction: the task row commits with the rows it sends, or neither does.

Sending (`send_mails`, the task `notifications.tasks.send_notification_mails`) claims each row by a guarded
update (pending or retrying → sending), so two workers never send one row, and a sent row is never claimed
again. An SMTP failure schedules a retry with the delivery pipeline's backoff (`channels.services.sending.
retry_delay`, `CEPTOAR_DELIVERY_MAX_ATTEMPTS`), through the same task backend and SMTP settings; a refused
recipient fails at once. The periodic job `run_due` (worker, "notifications") sends what a lost task left,
returns rows of a worker that died while sending, and writes the daily digests.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import smtplib
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ceptoar.accounts.access import is_active_member
from ceptoar.accounts.models import User
from ceptoar.channels.services.sending import retry_delay
from ceptoar.notifications.models import (
    CLAIMABLE_MAIL_STATUSES,
    DEFAULT_MAIL_CHOICE,
    Event,
    MailChoice,
    MailStatus,
    Notification,
    NotificationMail,
    NotificationPreference,
)
from ceptoar.reports.models import Report
from ceptoar.sharing import policy

logger = logging.getLogger(__name__)

SEND_TASK = "ceptoar.notifications.tasks.send_notification_mails"

# Set while a history is loaded (`portal_only`): its events are told in the portal, never mailed.
_PORTAL_ONLY = contextvars.ContextVar("notifications_portal_only", default=False)


@contextmanager
def portal_only() -> Iterator[None]:
    """Within this block, notifications are written to the portal only: no mail, at once or in a digest.

    For loading a history (the demo's invented past reports and cases): its events happened before
    anyone could have been told, and mailing them at load time would fill every mailbox with news of
    nothing new, and put mails in the queue ahead of the first real alert's."""
    token = _PORTAL_ONLY.set(True)
    try:
        yield
    finally:
        _PORTAL_ONLY.reset(token)


# The digest of the days before goes out with the first run of the job from this hour (local time).
DIGEST_HOUR = 7
# A row left "sending" this long belongs to a worker that died mid-send: it is tried again.
SENDING_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class Notice:
    """One event as people are told of it: what (`event`, `key`), a title without the item's content, and
    where to act (a site path)."""

    event: str
    key: str
    title: str
    url: str
    lead: str = ""


def _may_see(user: User, item) -> bool:
    if item is None:
        return is_active_member(user)
    if isinstance(item, Report):
        # A report's page, files and conversation are for those who hold it (a partner reads the forward).
        return policy.holds_report(user, item)
    return policy.may_see(user, item)


def mail_choices(users: Iterable[User], event: str) -> dict[int, str]:
    """Each person's choice for this kind of event (their setting, or the default)."""
    ids = [user.pk for user in users]
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, event=event).values_list("user_id", "mail")
    )
    return {pk: chosen.get(pk, DEFAULT_MAIL_CHOICE[Event(event)]) for pk in ids}


def preferences_of(user: User) -> dict[str, str]:
    """The person's choice for every kind of event, in one query."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "mail"))
    return {event.value: chosen.get(event.value, DEFAULT_MAIL_CHOICE[event]) for event in Event}


def _absolute(path: str) -> str:
    return f"{settings.CEPTOAR_BASE_URL}{path}"


def _immediate_text(notice: Notice) -> tuple[str, str]:
    # In the installation's language: the mail is written before anyone reads it.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[CEPTOAR] %(title)s") % {"title": notice.title}
        lines = [notice.lead or notice.title, "", _absolute(notice.url), "", _settings_line()]
    return subject, "\n".join(lines)


def _settings_line() -> str:
    return _("Choose which notifications you receive by e-mail: %(url)s") % {
        "url": _absolute(reverse("notifications:settings"))
    }


def do_notify(
    notice: Notice, users: Iterable[User], *, item=None, addresses: Iterable[str] = ()
) -> list[str]:
    """Tell each of `users` who may see `item` (asked of `sharing.policy` per person; without an item, the
    caller has decided who may know) in the portal, and by e-mail as each chose; mail `addresses` (an
    organisation's points of contact, who are not accounts) at once. Must run inside the caller's
    transaction. Returns the addresses mailed at once."""
    told = [user for user in dict.fromkeys(users) if user.is_active and _may_see(user, item)]
    if told:
        Notification.objects.bulk_create(
            [
                Notification(
                    user=user, event=notice.event, key=notice.key, title=notice.title, url=notice.url
                )
                for user in told
            ],
            ignore_conflicts=True,
        )
    if _PORTAL_ONLY.get():
        return []
    choices = mail_choices(told, notice.event)
    rows = {
        row.user_id: row
        for row in Notification.objects.filter(key=notice.key, user__in=told, mail__isnull=True)
    }
    digest = [pk for pk, row in rows.items() if choices[pk] == MailChoice.DIGEST]
    if digest:
        Notification.objects.filter(pk__in=[rows[pk].pk for pk in digest]).update(in_digest=True)
    subject, body = _immediate_text(notice)
    mails: list[NotificationMail] = []
    at_once: dict[int, str] = {}
    for user in told:
        if choices[user.pk] == MailChoice.IMMEDIATE and user.email and user.pk in rows:
            at_once[rows[user.pk].pk] = user.email
            mails.append(
                NotificationMail(
                    key=f"notification:{rows[user.pk].pk}:{user.email.lower()}",
                    address=user.email,
                    user=user,
                    subject=subject,
                    body=body,
                )
            )
    covered = {address.lower() for address in at_once.values()}
    for address in sorted({a.strip() for a in addresses if a and a.strip()}):
        if address.lower() not in covered:
            covered.add(address.lower())
            mails.append(
                NotificationMail(
                    key=f"{notice.key}:{address.lower()}", address=address, subject=subject, body=body
                )
            )
    if not mails:
        return []
    NotificationMail.objects.bulk_create(mails, ignore_conflicts=True)
    written = NotificationMail.objects.filter(key__in=[m.key for m in mails], status=MailStatus.PENDING)
    by_key = dict(written.values_list("key", "pk"))
    for notification_id, address in at_once.items():
        mail_id = by_key.get(f"notification:{notification_id}:{address.lower()}")
        if mail_id is not None:
            Notification.objects.filter(pk=notification_id).update(mail_id=mail_id)
    enqueue(list(by_key.values()))
    return sorted(NotificationMail.objects.filter(pk__in=by_key.values()).values_list("address", flat=True))


def enqueue(mail_ids: list[int], run_after: datetime | None = None) -> None:
    """Hand mails to the send task. Through the database backend the task row is part of the caller's
    transaction, so it is only seen (and run) once that commits."""
    if not mail_ids:
        return
    task = import_string(SEND_TASK)
    (task.using(run_after=run_after) if run_after else task).enqueue(sorted(mail_ids))


# -- sending ----------------------------------------------------------------------------------------


def _claim(mail_ids: list[int]) -> list[NotificationMail]:
    """Take the due rows among `mail_ids` for this run. The status guard is the claim: of two workers
    updating one row, one changes it and the other finds it no longer pending; the token says whose it is."""
    now, token = timezone.now(), uuid.uuid4().hex
    NotificationMail.objects.filter(pk__in=mail_ids, status__in=CLAIMABLE_MAIL_STATUSES).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    ).update(status=MailStatus.SENDING, claimed_at=now, claimed_by=token, attempts=F("attempts") + 1)
    return list(NotificationMail.objects.filter(claimed_by=token, status=MailStatus.SENDING).order_by("pk"))


def _message_id(mail: NotificationMail) -> str:
    # The same for every attempt, so a mail sent again after a crash is recognised as the same message.
    digest = hashlib.sha256(mail.key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<notification.{digest}@{domain}>"


def _message(mail: NotificationMail) -> EmailMessage:
    return EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.address],
        headers={"Message-ID": _message_id(mail), "Auto-Submitted": "auto-generated"},
    )


def _failed(mail: NotificationMail, error: BaseException, *, permanent: bool) -> datetime | None:
    """Record the failure; returns when to try again, or None when it is failed for good."""
    text = f"{type(error).__name__}: {error}"[:2000]
    if permanent or mail.attempts >= settings.CEPTOAR_DELIVERY_MAX_ATTEMPTS:
        NotificationMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).update(
            status=MailStatus.FAILED, last_error=text
        )
        logger.warning("notification mail %s to %s failed for good: %s", mail.pk, mail.address, text)
        return None
    due = timezone.now() + retry_delay(mail.attempts)
    NotificationMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).update(
        status=MailStatus.RETRYING, next_attempt_at=due, last_error=text
    )
    return due


def send_mails(mail_ids: list[int]) -> dict[str, int]:
    """Send the due mails among `mail_ids` over one SMTP connection; each outcome is written at once (a sent
    mark right after the server accepted the message)."""
    mails = _claim(mail_ids)
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    retries: dict[datetime, list[int]] = {}
    if not mails:
        return counts
    try:
        connection = get_connection()
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        for mail in mails:
            due = _failed(mail, error, permanent=False)
            counts["retrying" if due else "failed"] += 1
            if due:
                retries.setdefault(due, []).append(mail.pk)
        _schedule(retries)
        return counts
    try:
        for mail in mails:
            try:
                connection.send_messages([_message(mail)])
            except smtplib.SMTPRecipientsRefused as error:
                _failed(mail, error, permanent=True)
                counts["failed"] += 1
                continue
            except (OSError, smtplib.SMTPException) as error:
                due = _failed(mail, error, permanent=False)
                counts["retrying" if due else "failed"] += 1
                if due:
                    retries.setdefault(due, []).append(mail.pk)
                continue
            NotificationMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).update(
                status=MailStatus.SENT, sent_at=timezone.now(), last_error=""
            )
            counts["sent"] += 1
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            logger.info("notification mails: the SMTP connection did not close cleanly")
    _schedule(retries)
    return counts


def _schedule(retries: dict[datetime, list[int]]) -> None:
    for due, ids in retries.items():
        enqueue(ids, run_after=due)


# -- the periodic job: lost tasks, dead workers, daily digests --------------------------------------


def _digest_text(user: User, notifications: list[Notification], day) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[CEPTOAR] Your notifications (%(count)d) up to %(date)s") % {
            "count": len(notifications),
            "date": day.isoformat(),
        }
        lines = [_("Notifications not yet sent to you by e-mail:"), ""]
        for notification in notifications:
            when = timezone.localtime(notification.created_at).strftime("%Y-%m-%d %H:%M")
            lines += [f"- {when} {notification.title}", f"  {_absolute(notification.url)}"]
        lines += ["", _settings_line()]
    return subject, "\n".join(lines)


def send_digests(now: datetime | None = None) -> int:
    """Write each person's digest: one e-mail per person per day, listing every notification written for
    their digest (their choice for its kind of event at the time) that no e-mail has carried yet, from before
    today's digest hour. Nothing before the hour. Returns how many digests were written."""
    now = timezone.localtime(now or timezone.now())
    if now.hour < DIGEST_HOUR:
        return 0
    cutoff = timezone.make_aware(datetime.combine(now.date(), time(DIGEST_HOUR)))
    waiting = (
        Notification.objects.filter(
            in_digest=True, mail__isnull=True, created_at__lt=cutoff, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id", "created_at", "id")
    )
    per_user: dict[int, list[Notification]] = {}
    for notification in waiting:
        per_user.setdefault(notification.user_id, []).append(notification)
    written = 0
    for user_id, chosen in per_user.items():
        user = chosen[0].user
        key = f"digest:{user_id}:{now.date().isoformat()}"
        if NotificationMail.objects.filter(key=key).exists():
            continue  # today's digest is written; what came since waits for tomorrow's
        subject, body = _digest_text(user, chosen, now.date())
        try:
            with transaction.atomic():
                mail = NotificationMail.objects.create(
                    key=key, address=user.email, user=user, subject=subject, body=body
                )
                Notification.objects.filter(pk__in=[n.pk for n in chosen], mail__isnull=True).update(
                    mail=mail
                )
                enqueue([mail.pk])
        except IntegrityError:
            continue  # another worker wrote this digest at the same moment
        written += 1
    return written


def run_due(now: datetime | None = None) -> int:
    """The worker's periodic job "notifications": give back rows of a worker that died mid-send, send what
    is due and has no task waiting (a lost task), and write the daily digests."""
    now = now or timezone.now()
    stale = NotificationMail.objects.filter(status=MailStatus.SENDING, claimed_at__lt=now - SENDING_LEASE)
    returned = list(stale.values_list("pk", flat=True))
    # Sent again with the same Message-ID: a worker that died between the server's answer and the sent mark
    # is the one case where a mail may arrive twice, and the reader's mail program then shows it once.
    stale.filter(pk__in=returned).update(status=MailStatus.RETRYING, next_attempt_at=None)
    # A task that should have sent these is late by a minute or more: lost with a worker, or never run.
    late = now - timedelta(minutes=1)
    due = returned + list(
        NotificationMail.objects.filter(status__in=CLAIMABLE_MAIL_STATUSES)
        .filter(Q(next_attempt_at__isnull=True, created_at__lte=late) | Q(next_attempt_at__lte=late))
        .values_list("pk", flat=True)[:500]
    )
    sent = send_mails(due)["sent"] if due else 0
    return len(returned) + sent + send_digests(now)


# -- the portal -------------------------------------------------------------------------------------


def do_mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them when no ids are given)."""
    mine = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        mine = mine.filter(pk__in=list(notification_ids))
    return mine.update(read_at=timezone.now())


@transaction.atomic
def do_set_preferences(user: User, choices: dict[str, str]) -> None:
    """Save the person's e-mail choice for each kind of event."""
    wrong = {
        event: mail
        for event, mail in choices.items()
        if event not in Event.values or mail not in MailChoice.values
    }
    if wrong:
        raise ValidationError(
            {event: _("Unknown choice: %(value)s") % {"value": mail} for event, mail in wrong.items()}
        )
    for event, mail in choices.items():
        NotificationPreference.objects.update_or_create(user=user, event=event, defaults={"mail": mail})


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
