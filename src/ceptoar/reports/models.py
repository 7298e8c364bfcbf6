"""Incident reports (情報連絡) going up the chain, and the anonymised failure cases (障害事例) made of them.

A report belongs to the member that wrote it. What it says lives in its versions: 第1報, 第2報 … 最終報,
each a full snapshot, so the history of what was known when is kept. The reporter's consent (`scope`) says
how far the original may travel; each hop it reached is a `ReportHop` with its receipt. Only a `Case`, made
from a report by the secretariat, anonymised and approved by the reporter, travels further, under the sharing
policy with its own TLP and audience.

Who may see a report or a case is decided in `ceptoar.sharing.policy`; who may act on one in
`ceptoar.reports.access`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ceptoar.alerts.models import Category
from ceptoar.sharing.models import Audience, Tlp


class EventType(models.TextChoices):
    """The event types of the NISC action plan's IT-failure reporting (exactly one per report)."""

    PRECURSOR = "precursor", _("Precursor or near miss")
    LEAK = "leak", _("Leak")
    DESTRUCTION = "destruction", _("Destruction")
    UNAVAILABILITY = "unavailability", _("Unavailability")
    MALWARE = "malware", _("Malware")
    MALICIOUS_CODE = "malicious_code", _("Malicious code")
    INTRUSION = "intrusion", _("Intrusion")
    OTHER = "other", pgettext_lazy("event type", "Other")


# The agreement category (the alerts' categories, `agreements.categories`) a report's event type is checked
# against when the report is forwarded for analysis. Fixed, one per event type, so that the secretariat
# cannot pick a category to fit an agreement: a leak, a destruction, an outage or an intrusion are IT failures
# (IT障害, the action plan's word for every event it has reported), malicious code is malware, a precursor
# an attack precursor. A report with no event type yet is "other".
ANALYSIS_CATEGORY = {
    EventType.PRECURSOR: Category.ATTACK_PRECURSOR,
    EventType.LEAK: Category.IT_FAILURE,
    EventType.DESTRUCTION: Category.IT_FAILURE,
    EventType.UNAVAILABILITY: Category.IT_FAILURE,
    EventType.MALWARE: Category.MALWARE,
    EventType.MALICIOUS_CODE: Category.MALWARE,
    EventType.INTRUSION: Category.IT_FAILURE,
    EventType.OTHER: Category.OTHER,
}


def analysis_category(event_type: str) -> str:
    return str(ANALYSIS_CATEGORY.get(event_type, Category.OTHER))


class CauseClass(models.TextChoices):
    INTENTIONAL = "intentional", _("Intentional (cyber attack)")
    ACCIDENTAL = "accidental", _("Accidental (accident, failure, mistake)")
    ENVIRONMENTAL = "environmental", _("Environmental (disaster)")
    OTHER = "other", pgettext_lazy("cause class", "Other")


class Cause(models.TextChoices):
    """Sub-causes; the part before the dot is the `CauseClass`. Several may apply to one report."""

    SUSPICIOUS_MAIL = "intentional.suspicious_mail", _("Suspicious e-mail received")
    IMPERSONATION = "intentional.impersonation", _("Impersonation or stolen user IDs")
    DOS = "intentional.dos", _("DDoS or other mass access")
    INFORMATION_THEFT = "intentional.information_theft", _("Theft of information")
    INSIDER = "intentional.insider", _("Insider wrongdoing")
    VULNERABILITY_EXPLOITED = "intentional.vulnerability_exploited", _("Exploited vulnerability")
    INTENTIONAL_OTHER = "intentional.other", _("Other attack")
    OPERATOR_ERROR = "accidental.operator_error", _("Operating mistake")
    MANAGEMENT_ERROR = "accidental.management_error", _("Management mistake")
    CONTRACTOR_ERROR = "accidental.contractor_error", _("Mistake by a contractor")
    HARDWARE_FAILURE = "accidental.hardware_failure", _("Equipment failure")
    SOFTWARE_DEFECT = "accidental.software_defect", _("Software defect")
    SPILLOVER = "accidental.spillover", _("Spill-over from a failure elsewhere")
    ACCIDENTAL_OTHER = "accidental.other", _("Other accident or failure")
    NATURAL_DISASTER = "environmental.natural_disaster", _("Natural disaster")
    POWER_OUTAGE = "environmental.power_outage", _("Power or communications outage")
    PANDEMIC = "environmental.pandemic", _("Epidemic")
    ENVIRONMENTAL_OTHER = "environmental.other", _("Other environmental cause")
    UNKNOWN = "other.unknown", _("Unknown")
    OTHER = "other.other", pgettext_lazy("cause", "Other")

    @staticmethod
    def class_of(code: str) -> str:
        return code.split(".", 1)[0]

    @classmethod
    def describe(cls, code: str, with_class: bool = False) -> str:
        """The label of a stored cause code, with its class first if asked; an unknown code as it is."""
        if code not in cls.values:
            return code
        label = str(cls(code).label)
        if not with_class:
            return label
        return f"{CauseClass(cls.class_of(code)).label}{gettext(': ')}{label}"


class ConsentScope(models.TextChoices):
    """How far the original report may travel (the reporter's choice)."""

    SECRETARIAT = "secretariat", _("Our CEPTOAR's secretariat only")
    MINISTRY = "ministry", _("The secretariat and our sector ministry")
    HUB = "hub", _("The secretariat, our sector ministry and the national hub (NISC)")


# A hop of this level may hold the original only where the consent reaches it (rank ≤ scope rank).
SCOPE_RANK = {ConsentScope.SECRETARIAT: 0, ConsentScope.MINISTRY: 1, ConsentScope.HUB: 2}


class TriageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (not sent)")
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    MORE_INFORMATION = "more_information", _("More information needed")
    FORWARDED = "forwarded", _("Forwarded")
    CLOSED = "closed", _("Closed")


class IncidentStatus(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    CONTAINED = "contained", _("Contained, not yet recovered")
    RECOVERED = "recovered", _("Recovered")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")


class Stage(models.TextChoices):
    """What a submitted version is: the first report, a follow-up, or the final report."""

    FIRST = "first", _("First report")
    FOLLOW_UP = "follow_up", _("Follow-up report")
    FINAL = "final", _("Final report")


class Report(models.Model):
    """One incident as its reporter tells it, through all its versions."""

    reference = models.CharField(_("reference number"), max_length=30, unique=True)
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("reporting organisation"),
        on_delete=models.PROTECT,
        related_name="incident_reports",
    )
    ceptoar = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("reported to (CEPTOAR)"),
        on_delete=models.PROTECT,
        related_name="incident_reports_received",
        limit_choices_to={"kind": "ceptoar"},
    )
    scope = models.CharField(
        _("how far the original may go"),
        max_length=20,
        choices=ConsentScope.choices,
        default=ConsentScope.SECRETARIAT,
    )
    status = models.CharField(
        _("triage status"),
        max_length=20,
        choices=TriageStatus.choices,
        default=TriageStatus.DRAFT,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True, db_index=True)
    # Copied from the newest submitted version, so that queues, filters and statistics are plain queries.
    title = models.CharField(_("title"), max_length=200, blank=True)
    event_type = models.CharField(_("event type"), max_length=30, choices=EventType.choices, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True, db_index=True)
    detected_at = models.DateTimeField(_("detected at"), null=True, blank=True)
    has_final = models.BooleanField(_("final report received"), default=False)
    # The reporter's consent that its secretariat may forward the report, as written, to an analysis partner
    # (分析機関) with which the CEPTOAR has an agreement in force (`AnalysisForward`). Withdrawn, the partner
    # no longer sees what it was forwarded (`sharing.policy.visible_reports`).
    analysis_consent = models.BooleanField(_("consent to forwarding for analysis"), default=False)

    class Meta:
        verbose_name = _("incident report")
        verbose_name_plural = _("incident reports")
        ordering = ["-first_submitted_at", "-id"]
        indexes = [models.Index(fields=["ceptoar", "status"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}".strip()


class ReportVersion(models.Model):
    """One version of a report: 第1報, 第2報 … 最終報. Unsent (`submitted_at` empty) it is the draft, saved
    as the reporter types; a report has at most one draft at a time."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version number"))
    stage = models.CharField(_("kind of report"), max_length=20, choices=Stage.choices, default=Stage.FIRST)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(_("last saved at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    title = models.CharField(_("title"), max_length=200, blank=True)
    event_type = models.CharField(_("event type"), max_length=30, choices=EventType.choices, blank=True)
    causes = models.JSONField(_("causes"), default=list, blank=True)
    occurred_at = models.DateTimeField(_("when it occurred"), null=True, blank=True)
    detected_at = models.DateTimeField(_("when it was detected"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("when it was recovered"), null=True, blank=True)
    incident_status = models.CharField(
        _("status"), max_length=30, choices=IncidentStatus.choices, default=IncidentStatus.ONGOING
    )
    description = models.TextField(_("what happened"), blank=True)
    countermeasures = models.TextField(_("countermeasures"), blank=True)
    # Optional indicators: [{"type": "ipv4-addr", "value": "…"}, …] (STIX 2.1 cyber-observable types).
    observables = models.JSONField(_("observables"), default=list, blank=True)

    class Meta:
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="unique_report_version_number"),
            models.UniqueConstraint(
                fields=["report"], condition=models.Q(submitted_at=None), name="one_draft_per_report"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report.reference} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.submitted_at is None

    @property
    def cause_classes(self) -> list[str]:
        return sorted({Cause.class_of(code) for code in self.causes})


class AffectedService(models.Model):
    """A service the incident touched, and how badly."""

    version = models.ForeignKey(
        ReportVersion,
        verbose_name=_("report version"),
        on_delete=models.CASCADE,
        related_name="affected_services",
    )
    name = models.CharField(_("service"), max_length=200)
    impact = models.TextField(_("impact"), blank=True)
    people_affected = models.PositiveIntegerField(_("people affected"), null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    continuity_level_breached = models.BooleanField(
        _("the service-continuity level was breached"), default=False
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("affected service")
        verbose_name_plural = _("affected services")
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.name


class ReportCause(models.Model):
    """The causes of a report's newest submitted version, one row each, for filters and statistics."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="cause_rows"
    )
    cause_class = models.CharField(_("cause class"), max_length=20, choices=CauseClass.choices)
    cause = models.CharField(_("cause"), max_length=60, choices=Cause.choices)

    class Meta:
        verbose_name = _("report cause")
        verbose_name_plural = _("report causes")
        constraints = [models.UniqueConstraint(fields=["report", "cause"], name="unique_report_cause")]

    def __str__(self) -> str:
        return self.cause


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="attachments"
    )
    # The version being written when the file was added (a draft until it is sent).
    version = models.ForeignKey(
        ReportVersion,
        verbose_name=_("added with version"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report attachment")
        verbose_name_plural = _("report attachments")

    def __str__(self) -> str:
        return self.name


class HopLevel(models.TextChoices):
    SECRETARIAT = "secretariat", _("CEPTOAR secretariat")
    MINISTRY = "ministry", _("Sector ministry")
    HUB = "hub", _("National hub")


class ReportHop(models.Model):
    """An organisation the original report reached, with when it was sent there and when it was received
    (first opened by someone there)."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="hops"
    )
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("level"), max_length=20, choices=HopLevel.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report hop")
        verbose_name_plural = _("report hops")
        ordering = ["report", "sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "organisation"], name="unique_report_hop")]
        indexes = [models.Index(fields=["organisation", "report"])]

    def __str__(self) -> str:
        return f"{self.report} → {self.organisation}"


class ReportComment(models.Model):
    """A message between the secretariat and the reporter about one report; internal notes stay with the
    organisations the report reached."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "registry.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"))
    internal = models.BooleanField(_("internal note (not shown to the reporter)"), default=False)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report comment")
        verbose_name_plural = _("report comments")
        ordering = ["report", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report}: {self.body[:40]}"


class DeadlineKind(models.TextChoices):
    FIRST = "first", _("First report")
    DETAILS = "details", _("Detailed (final) report")


class ReportingDeadline(models.Model):
    """How long after detection a CEPTOAR expects a kind of report (e.g. first within 24 h, details within
    72 h). Without a row of its own a CEPTOAR has the defaults of `settings.CEPTOAR_REPORTING_DEADLINES`."""

    ceptoar = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("CEPTOAR"),
        on_delete=models.CASCADE,
        related_name="reporting_deadlines",
        limit_choices_to={"kind": "ceptoar"},
    )
    kind = models.CharField(_("kind of report"), max_length=20, choices=DeadlineKind.choices)
    hours_after_detection = models.PositiveIntegerField(_("hours after detection"))

    class Meta:
        verbose_name = _("reporting deadline")
        verbose_name_plural = _("reporting deadlines")
        constraints = [models.UniqueConstraint(fields=["ceptoar", "kind"], name="unique_reporting_deadline")]

    def __str__(self) -> str:
        return f"{self.ceptoar}: {self.get_kind_display()} {self.hours_after_detection} h"


class CaseStatus(models.TextChoices):
    REVIEW = "review", _("Being reviewed by the secretariat")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting the reporter's approval")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested by the reporter")
    APPROVED = "approved", _("Approved by the reporter")
    PUBLISHED = "published", pgettext_lazy("case status", "Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Case(models.Model):
    """An anonymised failure case (障害事例) made from a report: the only form in which a report's lesson
    leaves the audience its reporter chose. A shareable item of the sharing policy (TLP, audience, origin)."""

    report = models.ForeignKey(
        Report, verbose_name=_("made from report"), on_delete=models.PROTECT, related_name="cases"
    )
    source_version = models.ForeignKey(
        ReportVersion, verbose_name=_("made from version"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    # The sanitised text: the source text with the accepted redactions applied. Never the original.
    body = models.TextField(_("sanitised text"), blank=True)
    lessons = models.TextField(_("lessons and advice"), blank=True)
    # Copied from the report for the library's filters, so the library never reads the report.
    sector = models.ForeignKey(
        "registry.Sector",
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    event_type = models.CharField(_("event type"), max_length=30, choices=EventType.choices, blank=True)
    causes = models.JSONField(_("causes"), default=list, blank=True)
    occurred_on = models.DateField(_("occurred in"), null=True, blank=True, db_index=True)

    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, default=Tlp.GREEN)
    audience = models.OneToOneField(
        Audience, verbose_name=_("audience"), on_delete=models.PROTECT, related_name="+"
    )
    origin_organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="cases_published",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.REVIEW, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_for_approval_at = models.DateTimeField(_("sent for approval at"), null=True, blank=True)
    reporter_approved_at = models.DateTimeField(_("approved by the reporter at"), null=True, blank=True)
    reporter_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by (reporter)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reporter_note = models.TextField(_("the reporter's note"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("failure case")
        verbose_name_plural = _("failure cases")
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class RedactionKind(models.TextChoices):
    ORGANISATION = "organisation", _("Organisation name")
    CONTACT = "contact", _("Registered contact's name")
    PERSON = "person", _("Personal name")
    EMAIL = "email", _("E-mail address")
    PHONE = "phone", _("Phone or fax number")
    ADDRESS = "address", _("Postal address")
    HOST = "host", _("Internal host name")
    IP = "ip", _("Private IP address")
    URL = "url", _("URL or domain of the reporter")
    MANUAL = "manual", _("Added by the secretariat")


class Redaction(models.Model):
    """One span of a case's source text and what replaces it. Automatic ones start accepted; the
    secretariat may undo them (kept, so the review shows what it chose) or add its own."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="redactions"
    )
    start = models.PositiveIntegerField(_("start"))
    end = models.PositiveIntegerField(_("end"))
    kind = models.CharField(_("kind"), max_length=20, choices=RedactionKind.choices)
    replacement = models.CharField(_("replacement"), max_length=100)
    accepted = models.BooleanField(_("accepted"), default=True)
    automatic = models.BooleanField(_("found automatically"), default=True)

    class Meta:
        verbose_name = _("redaction")
        verbose_name_plural = _("redactions")
        ordering = ["case", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="redaction_span_not_empty"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start}-{self.end} → {self.replacement}"


# -- analysis partners (分析機関) ---------------------------------------------------------------------


class AnalysisForward(models.Model):
    """A report forwarded by its CEPTOAR's secretariat to an analysis partner (FISC, JAHIS, 電中研 …) under an
    agreement in force that covers reports for analysis, with the reporter's consent.

    What the partner sees is what was forwarded: the version that was newest when it was sent (its content
    and affected services, as the reporter wrote them), the secretariat's note, and the reporting
    organisation's name only where the agreement names originators. Not the other versions, the files, the
    comments, the hops or the names of the people who wrote it."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="analysis_forwards"
    )
    version = models.ForeignKey(
        ReportVersion, verbose_name=_("version forwarded"), on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("analysis partner"),
        on_delete=models.PROTECT,
        related_name="analysis_forwards_received",
    )
    # The agreements in force that covered the forward; the partner sees the report while one still is.
    agreements = models.ManyToManyField(
        "agreements.Agreement", verbose_name=_("under agreements"), related_name="analysis_forwards"
    )
    category = models.CharField(_("category"), max_length=30, choices=Category.choices)
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, default=Tlp.AMBER)
    originator_named = models.BooleanField(_("the reporting organisation is named"), default=False)
    note = models.TextField(_("note to the partner"), blank=True)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("forwarded by"), on_delete=models.PROTECT, related_name="+"
    )
    forwarded_at = models.DateTimeField(_("forwarded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report forwarded for analysis")
        verbose_name_plural = _("reports forwarded for analysis")
        ordering = ["-forwarded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["report", "partner"], name="unique_analysis_forward")]
        indexes = [models.Index(fields=["partner", "report"])]

    def __str__(self) -> str:
        return f"{self.report.reference} → {self.partner}"


class AnalysisStatus(models.TextChoices):
    RETURNED = "returned", _("Returned to the CEPTOAR")
    SHARED = "shared", _("Shared with the members")


class PartnerAnalysis(models.Model):
    """A partner's analysis of one or more reports forwarded to it by one CEPTOAR, returned to that CEPTOAR,
    which may share it with its members as an alert (分析結果): `result_alert` and `forwards` are its lineage."""

    ceptoar = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("returned to (CEPTOAR)"),
        on_delete=models.PROTECT,
        related_name="partner_analyses_received",
    )
    partner = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("analysis partner"),
        on_delete=models.PROTECT,
        related_name="partner_analyses",
    )
    forwards = models.ManyToManyField(
        AnalysisForward, verbose_name=_("reports analysed"), related_name="analyses"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("analysis"))
    tlp = models.CharField(_("TLP"), max_length=20, choices=Tlp.choices, default=Tlp.AMBER)
    status = models.CharField(
        _("status"), max_length=20, choices=AnalysisStatus.choices, default=AnalysisStatus.RETURNED
    )
    submitted_at = models.DateTimeField(_("returned at"), auto_now_add=True)
    result_alert = models.OneToOneField(
        "alerts.Alert",
        verbose_name=_("shared as alert"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner_analysis",
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    shared_at = models.DateTimeField(_("shared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner analysis")
        verbose_name_plural = _("partner analyses")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return self.title


class PartnerAnalysisAttachment(models.Model):
    analysis = models.ForeignKey(
        PartnerAnalysis, verbose_name=_("analysis"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="analyses/%Y/%m/")
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("analysis attachment")
        verbose_name_plural = _("analysis attachments")
        ordering = ["analysis", "id"]

    def __str__(self) -> str:
        return self.name
