"""What an exercise found, written back to the registry when it ends: the contacts to verify again."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from ceptoar.alerts.models import Recipient
from ceptoar.channels.models import Delivery
from ceptoar.escalation.status import ReceiptStatus, with_status
from ceptoar.exercises import measures
from ceptoar.exercises.models import Exercise
from ceptoar.registry.models import Contact
from ceptoar.registry.services.verification import flag_for_reverification


def flag_findings(exercise: Exercise, now: datetime | None = None) -> int:
    """Flag for verification in the registry: the contacts whose channel proved wrong, and those of every
    organisation that never confirmed receipt. Returns how many contacts were flagged."""
    ids = measures.alert_ids(exercise)
    wrong = {contact.pk for contact, _channel, _cause in measures.wrong_channels(ids)}
    flagged = flag_for_reverification(
        Contact.objects.filter(pk__in=wrong),
        _("Exercise “%(name)s”: an address or number proved wrong") % {"name": exercise.name},
        now,
    )
    silent = with_status(Recipient.objects.filter(alert_id__in=ids)).filter(
        receipt_status__in=[ReceiptStatus.UNREACHABLE, ReceiptStatus.NOT_CONFIRMED]
    )
    tried = Delivery.objects.filter(recipient__in=silent.values("pk"), contact__isnull=False)
    flagged += flag_for_reverification(
        Contact.objects.filter(Q(pk__in=tried.values("contact_id"))),
        _("Exercise “%(name)s”: receipt was never confirmed") % {"name": exercise.name},
        now,
    )
    return flagged
