"""Workflow notices of the analysis-partner flow: an e-mail to an organisation's points of contact that
something is waiting for them, with a link and nothing else. The content stays on the portal, behind the
sharing policy; the e-mail may pass through servers the platform does not run.

The notice is a background task (django-tasks, database backend) enqueued in the transaction of the change it
announces, so it leaves if and only if the change is committed; `ceptoar worker` sends it."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from ceptoar.registry.models import POC_ROLES, ChannelKind, ContactChannel, Organisation


def poc_addresses(organisation: Organisation) -> list[str]:
    """The e-mail addresses of the organisation's active primary POCs and 24/7 desks (and, for a CEPTOAR,
    of the organisation that runs its secretariat)."""
    organisations = [organisation.pk]
    profile = getattr(organisation, "ceptoar_profile", None) if organisation.kind == "ceptoar" else None
    if profile is not None and profile.secretariat_id:
        organisations.append(profile.secretariat_id)
    rows = ContactChannel.objects.filter(
        contact__organisation_id__in=organisations,
        contact__role__in=POC_ROLES,
        contact__is_active=True,
        kind=ChannelKind.EMAIL,
    ).order_by("contact__organisation_id", "contact__position", "position", "id")
    return list(dict.fromkeys(rows.values_list("value", flat=True)))


@task()
def send_notice(addresses: list[str], subject: str, body: str) -> int:
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)


def enqueue_notice(organisation: Organisation, subject: str, path: str, lead: str) -> list[str]:
    """Tell `organisation`'s POCs, in one e-mail, that something waits at `path` (a site path). `lead` is
    one line saying what, without any of the content. Returns the addresses (none: nothing is sent)."""
    addresses = poc_addresses(organisation)
    if addresses:
        body = f"{lead}\n\n{settings.CEPTOAR_BASE_URL}{path}\n"
        send_notice.enqueue(addresses, subject, body)
    return addresses
