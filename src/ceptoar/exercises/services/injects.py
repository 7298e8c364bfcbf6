"""Sending an inject: one alert of its author to the exercise's participants, marked 【訓練/EXERCISE】."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ceptoar.alerts.services import drafts, publication
from ceptoar.exercises import access, participants
from ceptoar.exercises.models import MARK, ExerciseStatus, Inject

logger = logging.getLogger(__name__)


def _marked_body(body: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        notice = _("This is an exercise, not a real incident. Confirm receipt as you would for a real alert.")
    return f"**{MARK}** {notice}\n\n{body.strip()}\n\n**{MARK}**"


def send_inject(inject: Inject, user=None, now: datetime | None = None) -> Inject:
    """Send one inject now, as an alert of its author to the exercise's participants. A failure (the author
    can no longer send alerts, say) is recorded on the inject rather than retried."""
    with transaction.atomic():
        inject = (
            Inject.objects.select_for_update()
            .select_related("exercise__organiser", "created_by")
            .get(pk=inject.pk)
        )
        exercise = inject.exercise
        if user is not None and not access.can_manage(user, exercise):
            raise PermissionDenied(_("Only the organiser sends this exercise's injects."))
        if exercise.status != ExerciseStatus.RUNNING:
            raise ValidationError({"status": _("Injects are sent while the exercise is running.")})
        if inject.alert_id is not None:
            raise ValidationError({"alert": _("This inject has already been sent.")})
        try:
            with transaction.atomic():
                alert = drafts.create_draft(
                    inject.created_by,
                    title=f"{MARK}{inject.title}",
                    body=_marked_body(inject.body),
                    category=inject.category,
                    severity=inject.severity,
                    tlp=inject.tlp,
                    audience=participants.participant_spec(exercise),
                    exercise=exercise,
                )
                alert = publication.submit(alert, inject.created_by)
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            inject.error = " ".join(messages) or _("The inject could not be sent.")
            inject.save(update_fields=["error"])
            logger.warning("Exercise %s: inject %s not sent: %s", exercise.pk, inject.pk, inject.error)
            return inject
        inject.alert, inject.sent_at, inject.error = alert, now or timezone.now(), ""
        inject.save(update_fields=["alert", "sent_at", "error"])
    return inject
