"""The intel area's records (インテリジェンス): observables (観測値) and where they were seen, indicator sets
(指標セット) as shareable items, incidents (インシデント) linking reports, and what came in from STIX and MISP
with its provenance, kept object for object.

Observables are stored once per (type, value), refanged and normalised (`intel.extraction`); a `Sighting` says
which item carries one. Sightings point at the items by explicit keys, so that correlation can filter them by
the visibility policy's own queries (`sharing.policy`), never by a copy of its rules.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ceptoar.sharing.models import Audience, Tlp


class ObservableType(models.TextChoices):
    """The kinds of observable. The names are the STIX 2.1 ones where STIX has one (`intel.stix` maps
    them); file hashes are one kind per algorithm, so that a value's type says how to compare it."""

    IPV4 = "ipv4-addr", _("IPv4 address or range")
    IPV6 = "ipv6-addr", _("IPv6 address or range")
    DOMAIN = "domain-name", _("Domain name")
    URL = "url", _("URL")
    EMAIL = "email-addr", _("E-mail address")
    MD5 = "md5", _("MD5 hash")
    SHA1 = "sha1", _("SHA-1 hash")
    SHA256 = "sha256", _("SHA-256 hash")
    CVE = "cve", _("CVE id")
    FILE_NAME = "file-name", _("File name")
    TECHNIQUE = "attack-technique", _("ATT&CK technique")


def observable_key(type: str, value: str) -> str:
    """The unique key of an observable: a hash, so that long URLs index like short values."""
    return hashlib.sha256(f"{type}\0{value}".encode()).hexdigest()


class Observable(models.Model):
    """One value of one type, stored once however many items carry it."""

    type = models.CharField(_("type"), max_length=20, choices=ObservableType.choices)
    value = models.TextField(_("value"))
    key = models.CharField(_("key"), max_length=64, unique=True, editable=False)
    # The warning list the value is on, if any (`intel.warninglists`): such a value never correlates.
    warning_list = models.CharField(_("warning list"), max_length=60, blank=True, db_index=True)
    first_seen_at = models.DateTimeField(_("first seen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("observable")
        verbose_name_plural = _("observables")
        ordering = ["type", "value"]
        indexes = [models.Index(fields=["type", "key"])]

    def __str__(self) -> str:
        return f"{self.type}: {self.value}"

    def save(self, *args, **kwargs):
        self.key = observable_key(self.type, self.value)
        super().save(*args, **kwargs)


class SightingSource(models.TextChoices):
    EXTRACTED = "extracted", _("Found in the text")
    REPORTED = "reported", _("Entered by the reporter")
    MANUAL = "manual", _("Added by an analyst")
    IMPORTED = "imported", _("Imported")
    CARRIED = "carried", pgettext_lazy("observable source", "Kept from the report")


class Sighting(models.Model):
    """An observable carried by one item: an alert, a report, a failure case or an indicator set. The
    organisation and sector are those of whoever reported or published the item, for the signals ("the
    same value from N organisations in M sectors"); `removed` keeps an analyst's removal, so that the next
    extraction does not bring the value back."""

    observable = models.ForeignKey(
        Observable, verbose_name=_("observable"), on_delete=models.PROTECT, related_name="sightings"
    )
    alert = models.ForeignKey(
        "alerts.Alert",
        verbose_name=_("alert"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    report = models.ForeignKey(
        "reports.Report",
        verbose_name=_("incident report"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    case = models.ForeignKey(
        "reports.Case",
        verbose_name=_("failure case"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    indicator_set = models.ForeignKey(
        "intel.IndicatorSet",
        verbose_name=_("indicator set"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sightings",
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sector = models.ForeignKey(
        "registry.Sector",
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    seen_at = models.DateTimeField(_("seen at"), db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=SightingSource.choices)
    # Where in the item it was found: "body", "attachment:<name>", "observables" …
    context = models.CharField(_("found in"), max_length=200, blank=True)
    removed = models.BooleanField(_("removed by an analyst"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added or changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    ITEM_FIELDS = ("alert", "report", "case", "indicator_set")

    class Meta:
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")
        ordering = ["seen_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(alert__isnull=False, report=None, case=None, indicator_set=None)
                    | Q(alert=None, report__isnull=False, case=None, indicator_set=None)
                    | Q(alert=None, report=None, case__isnull=False, indicator_set=None)
                    | Q(alert=None, report=None, case=None, indicator_set__isnull=False)
                ),
                name="sighting_one_item",
            ),
            models.UniqueConstraint(fields=["observable", "alert"], name="sighting_once_per_alert"),
            models.UniqueConstraint(fields=["observable", "report"], name="sighting_once_per_report"),
            models.UniqueConstraint(fields=["observable", "case"], name="sighting_once_per_case"),
            models.UniqueConstraint(fields=["observable", "indicator_set"], name="sighting_once_per_set"),
        ]
        indexes = [models.Index(fields=["observable", "seen_at"])]

    def __str__(self) -> str:
        return f"{self.observable} @ {self.item_label}"

    @property
    def item_field(self) -> str:
        return next(name for name in self.ITEM_FIELDS if getattr(self, f"{name}_id") is not None)

    @property
    def item_label(self) -> str:
        return f"{self.item_field}:{getattr(self, f'{self.item_field}_id')}"


class IndicatorSetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class IndicatorSet(models.Model):
    """A set of indicators shared as one item (指標セット): made by hand, or from a STIX bundle or MISP event
    that came in. A shareable item of the sharing policy (TLP, audience, origin)."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, default=Tlp.AMBER)
    audience = models.OneToOneField(
        Audience, verbose_name=_("audience"), on_delete=models.PROTECT, related_name="+"
    )
    origin_organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="indicator_sets",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IndicatorSetStatus.choices,
        default=IndicatorSetStatus.DRAFT,
        db_index=True,
    )
    source_import = models.OneToOneField(
        "intel.ExchangeImport",
        verbose_name=_("imported from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicator_set",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("indicator set")
        verbose_name_plural = _("indicator sets")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ExchangeFormat(models.TextChoices):
    STIX = "stix", "STIX 2.1"
    MISP = "misp", "MISP JSON"


class ExchangeImport(models.Model):
    """One file (or TAXII envelope) that came in: who brought it, from where, and when. Its objects are kept
    verbatim (`StixObject`), so that exporting the import again gives back the same objects."""

    format = models.CharField(_("format"), max_length=10, choices=ExchangeFormat.choices)
    file_name = models.CharField(_("file name"), max_length=300, blank=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    # The bundle's id (STIX) or the event's uuid (MISP).
    source_id = models.CharField(_("id in the source"), max_length=100, blank=True)
    # Provenance as the source states it: the creating identity's name, the MISP organisation …
    source_name = models.CharField(_("source"), max_length=300, blank=True)
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("imported by organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    object_count = models.PositiveIntegerField(_("objects"), default=0)
    # What the format holds beside its objects, kept for the way back out (a MISP event's own fields).
    envelope = models.JSONField(_("envelope"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.file_name or self.source_id}"


class StixObject(models.Model):
    """One STIX object as it came in, property for property (custom types and properties included)."""

    source_import = models.ForeignKey(
        ExchangeImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="stix_objects"
    )
    position = models.PositiveIntegerField(_("position in the bundle"))
    stix_id = models.CharField(_("STIX id"), max_length=120, db_index=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    # Timestamps as written, so that versions compare as the source wrote them.
    modified = models.CharField(_("modified"), max_length=40, blank=True)
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, blank=True)
    data = models.JSONField(_("object"))

    class Meta:
        verbose_name = _("STIX object")
        verbose_name_plural = _("STIX objects")
        ordering = ["source_import", "position"]
        constraints = [
            models.UniqueConstraint(fields=["source_import", "position"], name="stix_object_position_unique")
        ]

    def __str__(self) -> str:
        return self.stix_id


class Technique(models.Model):
    """An ATT&CK technique as an imported bundle defines it; reports and cases are tagged with it through an
    observable of type `attack-technique` whose value is the external id (T0886)."""

    external_id = models.CharField(_("ATT&CK id"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=300)
    domain = models.CharField(_("domain"), max_length=50, blank=True)
    tactics = models.JSONField(_("tactics"), default=list, blank=True)
    stix_id = models.CharField(_("STIX id"), max_length=120, blank=True)
    url = models.URLField(_("reference"), blank=True)
    deprecated = models.BooleanField(_("deprecated or revoked"), default=False)
    source_import = models.ForeignKey(
        ExchangeImport,
        verbose_name=_("imported from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="techniques",
    )

    class Meta:
        verbose_name = _("ATT&CK technique")
        verbose_name_plural = _("ATT&CK techniques")
        ordering = ["external_id"]

    def __str__(self) -> str:
        return f"{self.external_id} {self.name}"


class IncidentStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("incident", "Open")
    CLOSED = "closed", pgettext_lazy("incident", "Closed")


class Incident(models.Model):
    """Several reports linked as one incident (インシデント) by a coordinator: by hand, or from a signal. It
    belongs to the organisation that made it; each reader sees only the linked reports it may see."""

    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("kept by"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    # The observable whose signal it was made from, if any.
    from_observable = models.ForeignKey(
        Observable,
        verbose_name=_("made from the signal of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    reports = models.ManyToManyField(
        "reports.Report", verbose_name=_("reports"), through="IncidentReport", related_name="+"
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class IncidentReport(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="links"
    )
    report = models.ForeignKey(
        "reports.Report", verbose_name=_("incident report"), on_delete=models.CASCADE, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report in an incident")
        verbose_name_plural = _("reports in an incident")
        ordering = ["incident", "added_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "report"], name="incident_report_once")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.report_id}"
