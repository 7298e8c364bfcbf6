"""Exercises (情報共有訓練・分野横断的演習): drills of the contact chain, sent through the real alert
pipeline and marked as exercises everywhere they appear."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.models import Category, Severity
from ceptoar.sharing.models import Audience, Tlp

# What every exercise alert carries at the start of its title and body, in both languages: a member's POC
# must never mistake a drill for an incident, whatever language its mail client or the portal shows.
MARK = "【訓練/EXERCISE】"
TITLE_MAX_LENGTH = 300 - len(MARK)


class ExerciseKind(models.TextChoices):
    CEPTOAR_DRILL = "ceptoar_drill", _("CEPTOAR drill")
    CROSS_SECTOR = "cross_sector", _("Cross-sector exercise")


class ExerciseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


class Exercise(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ExerciseKind.choices)
    description = models.TextField(_("purpose and scenario"), blank=True)
    organiser = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="exercises_organised",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    # Who takes part, as an audience names them (sectors, CEPTOARs, organisations). The organisations on
    # the chain between the organiser and them take part as relays (`Participant`).
    participants = models.OneToOneField(
        Audience, verbose_name=_("participants"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=20, choices=ExerciseStatus.choices, default=ExerciseStatus.PLANNED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The measures as they stood when the exercise ended: the after-action report and the next
    # exercise's comparison read these, not figures that later registry edits would change.
    final_measures = models.JSONField(_("final measures"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.name


class ParticipantRole(models.TextChoices):
    ORGANISER = "organiser", _("Organiser")
    PARTICIPANT = "participant", _("Participant")
    RELAY = "relay", _("Relays to participants")


class Participant(models.Model):
    """One organisation an exercise may reach, fixed when the exercise starts. Exercise traffic goes to
    these organisations and no others (`alerts.services` filters each hop's recipients by them)."""

    exercise = models.ForeignKey(
        Exercise, verbose_name=_("exercise"), on_delete=models.CASCADE, related_name="participant_rows"
    )
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=20, choices=ParticipantRole.choices)

    class Meta:
        verbose_name = _("exercise participant")
        verbose_name_plural = _("exercise participants")
        constraints = [
            models.UniqueConstraint(fields=["exercise", "organisation"], name="unique_exercise_participant")
        ]

    def __str__(self) -> str:
        return f"{self.exercise}: {self.organisation}"


class Inject(models.Model):
    """A scheduled exercise message (状況付与): sent as an alert from the organiser when its time comes."""

    exercise = models.ForeignKey(
        Exercise, verbose_name=_("exercise"), on_delete=models.CASCADE, related_name="injects"
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(_("body (Markdown)"), blank=True)
    category = models.CharField(
        _("category"), max_length=30, choices=Category.choices, default=Category.ATTACK_PRECURSOR
    )
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices, default=Severity.HIGH)
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, default=Tlp.GREEN)
    scheduled_at = models.DateTimeField(_("send at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    alert = models.OneToOneField(
        "alerts.Alert",
        verbose_name=_("sent as alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inject",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Why sending failed (the author lost the right to send, say): shown on the exercise page, never retried
    # silently.
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("inject")
        verbose_name_plural = _("injects")
        ordering = ["scheduled_at", "id"]

    def __str__(self) -> str:
        return self.title
