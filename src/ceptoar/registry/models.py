"""The sector registry: who is in the community, how they are related, and how to reach them.

Terms follow the NISC material (see docs/glossary.md); the Japanese term is each model's verbose name.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ceptoar.registry.channel_kinds import CHANNEL_KINDS


def name_in_active_language(japanese: str, english: str) -> str:
    """The English name when the page is in English and there is one; the Japanese (registered) name otherwise."""
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    return english if english and not language.startswith("ja") else japanese


code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*$", _("Use lower-case letters, digits and hyphens, starting with a letter or digit.")
)


class Sector(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("critical-infrastructure sector")
        verbose_name_plural = _("critical-infrastructure sectors")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        # A sector is a label (filters, choices, a case's sector): named in the page's language.
        return self.display_name

    @property
    def display_name(self) -> str:
        return name_in_active_language(self.name, self.name_en)


class OrganisationKind(models.TextChoices):
    HUB = "hub", _("National hub")
    MINISTRY = "ministry", _("Sector ministry")
    CEPTOAR = "ceptoar", _("CEPTOAR")
    COUNCIL = "council", _("Council")
    SUBGROUP = "subgroup", _("Sub-group or relay hub")
    MEMBER = "member", _("Member operator")
    RELATED_BODY = "related_body", _("Related body")


class OrganisationQuerySet(models.QuerySet):
    def of_kind(self, *kinds: str) -> OrganisationQuerySet:
        return self.filter(kind__in=kinds)

    def ceptoars(self) -> OrganisationQuerySet:
        return self.filter(kind=OrganisationKind.CEPTOAR)

    def search(self, text: str) -> OrganisationQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(code__icontains=text) | Q(name_en__icontains=text))


class Organisation(models.Model):
    code = models.CharField(_("organisation code"), max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200, db_index=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices, db_index=True)
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("sector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    # Only sub-groups and relay hubs have a parent: the CEPTOAR they relay for.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent CEPTOAR"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subgroups",
    )
    postal_address = models.CharField(_("postal address"), max_length=300, blank=True)
    domain = models.CharField(_("internet domain"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "code"]
        indexes = [models.Index(fields=["kind", "sector"])]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name to show: the English one in English pages where the registry has one."""
        return name_in_active_language(self.name, self.name_en)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == OrganisationKind.SUBGROUP:
            if self.parent is None:
                errors["parent"] = _("A sub-group or relay hub must name the CEPTOAR it relays for.")
            elif self.parent.kind != OrganisationKind.CEPTOAR:
                errors["parent"] = _("The parent of a sub-group must be a CEPTOAR.")
        elif self.parent_id is not None:
            errors["parent"] = _("Only a sub-group or relay hub has a parent CEPTOAR.")
        if self.kind == OrganisationKind.CEPTOAR and self.sector_id is None:
            errors["sector"] = _("A CEPTOAR belongs to a sector.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_ceptoar(self) -> bool:
        return self.kind == OrganisationKind.CEPTOAR


class CommunicationMeans(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telephone")
    MOBILE = "mobile", _("Mobile phone")
    SATELLITE_PHONE = "satellite_phone", _("Satellite phone")
    FAX = "fax", _("FAX")
    WEB = "web", _("Web")
    MEETING = "meeting", _("Meetings")


class AnalysisFunction(models.TextChoices):
    FAILURE_CASE_ANALYSIS = "failure_case_analysis", _("Failure-case analysis")
    SITUATION_ASSESSMENT = "situation_assessment", _("Situation assessment")
    SYSTEM_SURVEY = "system_survey", _("Survey of systems in use")


class CeptoarProfile(models.Model):
    """What the CEPTOAR characteristics map (セプター特性把握マップ) shows for one CEPTOAR."""

    ceptoar = models.OneToOneField(
        Organisation,
        verbose_name=_("CEPTOAR"),
        on_delete=models.CASCADE,
        related_name="ceptoar_profile",
        limit_choices_to={"kind": OrganisationKind.CEPTOAR},
    )
    business_scope = models.CharField(_("business scope"), max_length=100)
    secretariat = models.ForeignKey(
        Organisation, verbose_name=_("secretariat"), on_delete=models.PROTECT, related_name="secretariat_of"
    )
    established_on = models.DateField(_("set up on"))
    poc_started_on = models.DateField(_("POC in operation since"))
    information_shared = models.CharField(_("information shared"), max_length=200, blank=True)
    communication_means = models.JSONField(_("means of communication"), default=list, blank=True)
    member_description = models.CharField(_("main members"), max_length=300, blank=True)
    features = models.TextField(_("features"), blank=True)
    analysis_functions = models.JSONField(_("analysis functions"), default=list, blank=True)
    map_position = models.PositiveSmallIntegerField(_("column on the map"), default=0)

    class Meta:
        verbose_name = _("CEPTOAR profile")
        verbose_name_plural = _("CEPTOAR profiles")
        ordering = ["map_position"]

    def __str__(self) -> str:
        return str(self.ceptoar)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.ceptoar_id and self.ceptoar.kind != OrganisationKind.CEPTOAR:
            errors["ceptoar"] = _("A profile belongs to an organisation of kind CEPTOAR.")
        unknown = set(self.communication_means or []) - set(CommunicationMeans.values)
        if unknown:
            errors["communication_means"] = _("Unknown means of communication: %(values)s") % {
                "values": ", ".join(sorted(unknown))
            }
        unknown = set(self.analysis_functions or []) - set(AnalysisFunction.values)
        if unknown:
            errors["analysis_functions"] = _("Unknown analysis functions: %(values)s") % {
                "values": ", ".join(sorted(unknown))
            }
        if errors:
            raise ValidationError(errors)


def _require_kind(organisation: Organisation | None, kind: str, field: str, message: str) -> dict:
    if organisation is not None and organisation.kind != kind:
        return {field: message}
    return {}


class Oversight(models.Model):
    ministry = models.ForeignKey(
        Organisation,
        verbose_name=_("sector ministry"),
        on_delete=models.CASCADE,
        related_name="oversights",
        limit_choices_to={"kind": OrganisationKind.MINISTRY},
    )
    ceptoar = models.ForeignKey(
        Organisation,
        verbose_name=_("CEPTOAR"),
        on_delete=models.CASCADE,
        related_name="overseen_by",
        limit_choices_to={"kind": OrganisationKind.CEPTOAR},
    )

    class Meta:
        verbose_name = _("ministry oversight")
        verbose_name_plural = _("ministry oversights")
        constraints = [models.UniqueConstraint(fields=["ministry", "ceptoar"], name="unique_oversight")]

    def __str__(self) -> str:
        return f"{self.ministry} → {self.ceptoar}"

    def clean(self) -> None:
        errors = _require_kind(
            getattr(self, "ministry", None),
            OrganisationKind.MINISTRY,
            "ministry",
            _("Must be a sector ministry."),
        )
        errors |= _require_kind(
            getattr(self, "ceptoar", None), OrganisationKind.CEPTOAR, "ceptoar", _("Must be a CEPTOAR.")
        )
        if errors:
            raise ValidationError(errors)


class SeatKind(models.TextChoices):
    """How a CEPTOAR sits on a council. In 2009, 11 CEPTOARs were members of the CEPTOAR Council and
    railway, medical and logistics observers. What an observer may post is the alerts area's rule
    (`alerts.services.councils`); both kinds receive every post."""

    MEMBER = "member", _("Member")
    OBSERVER = "observer", _("Observer")


class CouncilSeat(models.Model):
    council = models.ForeignKey(
        Organisation,
        verbose_name=_("council"),
        on_delete=models.CASCADE,
        related_name="council_seats",
        limit_choices_to={"kind": OrganisationKind.COUNCIL},
    )
    ceptoar = models.ForeignKey(
        Organisation,
        verbose_name=_("CEPTOAR"),
        on_delete=models.CASCADE,
        related_name="councils",
        limit_choices_to={"kind": OrganisationKind.CEPTOAR},
    )
    kind = models.CharField(_("seat"), max_length=20, choices=SeatKind.choices, default=SeatKind.MEMBER)
    # Whether the CEPTOAR map names the council in place of the CEPTOAR (as it does for finance).
    shown_on_map = models.BooleanField(_("shown on the map"), default=False)

    class Meta:
        verbose_name = _("council seat")
        verbose_name_plural = _("council seats")
        constraints = [models.UniqueConstraint(fields=["council", "ceptoar"], name="unique_council_seat")]

    def __str__(self) -> str:
        return f"{self.council} ⊃ {self.ceptoar}"

    def clean(self) -> None:
        errors = _require_kind(
            getattr(self, "council", None), OrganisationKind.COUNCIL, "council", _("Must be a council.")
        )
        errors |= _require_kind(
            getattr(self, "ceptoar", None), OrganisationKind.CEPTOAR, "ceptoar", _("Must be a CEPTOAR.")
        )
        if errors:
            raise ValidationError(errors)


class MemberUnit(models.TextChoices):
    """How a CEPTOAR counts a member on the map (社, 団体, 機関 …)."""

    COMPANY = "company", _("company")
    BODY = "body", _("body")
    INSTITUTION = "institution", _("institution")
    GROUP = "group", _("group")
    COMPANY_OR_BODY = "company_or_body", _("company or body")
    WATER_UTILITY = "water_utility", _("water utility")


class Membership(models.Model):
    ceptoar = models.ForeignKey(
        Organisation,
        verbose_name=_("CEPTOAR"),
        on_delete=models.CASCADE,
        related_name="member_links",
        limit_choices_to={"kind": OrganisationKind.CEPTOAR},
    )
    member = models.ForeignKey(
        Organisation, verbose_name=_("member"), on_delete=models.CASCADE, related_name="memberships"
    )
    # The sub-group or relay hub through which the CEPTOAR reaches this member; empty = directly.
    via = models.ForeignKey(
        Organisation,
        verbose_name=_("through sub-group or relay hub"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relayed_memberships",
        limit_choices_to={"kind": OrganisationKind.SUBGROUP},
    )
    unit = models.CharField(_("counted as"), max_length=20, choices=MemberUnit.choices)
    is_observer = models.BooleanField(_("observer"), default=False)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)

    class Meta:
        verbose_name = _("CEPTOAR membership")
        verbose_name_plural = _("CEPTOAR memberships")
        constraints = [models.UniqueConstraint(fields=["ceptoar", "member"], name="unique_membership")]
        indexes = [models.Index(fields=["ceptoar", "via"])]

    def __str__(self) -> str:
        return f"{self.member} ∈ {self.ceptoar}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        ceptoar = getattr(self, "ceptoar", None)
        member = getattr(self, "member", None)
        if ceptoar is not None and ceptoar.kind != OrganisationKind.CEPTOAR:
            errors["ceptoar"] = _("Must be a CEPTOAR.")
        if member is not None and member.kind not in (OrganisationKind.MEMBER, OrganisationKind.RELATED_BODY):
            errors["member"] = _("A member is a member operator or a related body.")
        if self.via_id is not None:
            if self.via.kind != OrganisationKind.SUBGROUP:
                errors["via"] = _("Must be a sub-group or relay hub.")
            elif ceptoar is not None and self.via.parent_id != ceptoar.pk:
                errors["via"] = _("This sub-group relays for another CEPTOAR.")
        if errors:
            raise ValidationError(errors)


class ContactKind(models.TextChoices):
    PERSON = "person", _("Person")
    ROLE_MAILBOX = "role_mailbox", _("Role mailbox")


class ContactRole(models.TextChoices):
    PRIMARY = "primary", _("Primary POC")
    BACKUP = "backup", _("Backup POC")
    HEAD = "head", _("Head")
    DESK_24X7 = "desk_24x7", _("24/7 desk")


# The roles that satisfy the seeds' minimum requirement of an emergency point of contact.
POC_ROLES = (ContactRole.PRIMARY, ContactRole.DESK_24X7)


class Availability(models.TextChoices):
    ALWAYS = "always", _("24 hours, every day")
    BUSINESS_HOURS = "business_hours", _("Business hours on working days")
    OTHER = "other", _("As noted")


class Contact(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices, default=ContactKind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("department and title"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices)
    availability = models.CharField(
        _("availability"), max_length=20, choices=Availability.choices, default=Availability.BUSINESS_HOURS
    )
    hours_note = models.CharField(_("hours"), max_length=200, blank=True)
    last_verified_on = models.DateField(_("last verified on"), null=True, blank=True, db_index=True)
    # Set when something showed the contact may be wrong (a drill it did not answer, a wrong number); the
    # contact is then due for verification whatever its date, until someone verifies it.
    reverification_reason = models.CharField(_("why it must be verified again"), max_length=300, blank=True)
    reverification_requested_at = models.DateTimeField(_("verification requested at"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("point of contact")
        verbose_name_plural = _("points of contact")
        ordering = ["organisation", "position", "id"]
        indexes = [models.Index(fields=["organisation", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


# Made from the one table of channel kinds (`registry.channel_kinds`): ChannelKind.EMAIL, ChannelKind.PHONE …
ChannelKind = models.TextChoices(
    "ChannelKind",
    [(kind.upper(), (kind, line.label)) for kind, line in CHANNEL_KINDS.items()],
    module=__name__,
)


def validate_channel_value(kind: str, value: str) -> None:
    """Raise ValidationError when `value` is not a usable address for a channel of `kind`."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("An address is required."))
    line = CHANNEL_KINDS.get(kind)
    if line is None:
        raise ValidationError(_("Unknown channel kind: %(kind)s") % {"kind": kind})
    line.check(value)


class ContactChannel(models.Model):
    contact = models.ForeignKey(
        Contact, verbose_name=_("point of contact"), on_delete=models.CASCADE, related_name="channels"
    )
    kind = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    value = models.CharField(_("address or number"), max_length=500)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    # A chat or webhook service the organisation runs itself, on its own network, rather than a third
    # party's (the sharing policy lets the titles of AMBER and above out only to these).
    in_house = models.BooleanField(
        _("in-house service"),
        default=False,
        help_text=_(
            "Run by the organisation itself, not a third-party service: chat messages may show titles."
        ),
    )

    class Meta:
        verbose_name = _("contact channel")
        verbose_name_plural = _("contact channels")
        ordering = ["contact", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self) -> None:
        try:
            validate_channel_value(self.kind, self.value)
        except ValidationError as error:
            raise ValidationError({"value": error.messages}) from None


# The kinds of organisation that keep handling rules: a CEPTOAR for its members, a council for the CEPTOARs
# seated in it (`CouncilSeat`).
RULES_OWNER_KINDS = (OrganisationKind.CEPTOAR, OrganisationKind.COUNCIL)


class HandlingRules(models.Model):
    """A version of the agreed rules on handling, confidentiality and onward disclosure (情報取扱いルール) of a
    CEPTOAR, which its members accept, or of a council, which the CEPTOARs seated in it accept.

    The field keeps its name `ceptoar` (the sharing policy and the importer read it): for a council's rules
    it names the council."""

    ceptoar = models.ForeignKey(
        Organisation,
        verbose_name=_("CEPTOAR or council"),
        on_delete=models.CASCADE,
        related_name="handling_rules",
        limit_choices_to={"kind__in": RULES_OWNER_KINDS},
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    enacted_on = models.DateField(_("enacted on"))
    # What changed since the previous version, in the secretariat's words: what a member reads before it
    # accepts again. Empty only for a first version.
    change_summary = models.TextField(_("summary of the changes"), blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The highest marking these rules let the CEPTOAR share with another party under an agreement (協定先へ提供
    # できる最高区分): an agreement may not promise more than the members agreed to. The values are
    # `sharing.models.Tlp`'s, spelt out because the markings sit a layer above the registry.
    highest_tlp_shared = models.CharField(
        _("highest TLP shared under agreements"),
        max_length=20,
        default="red",
        choices=[
            ("clear", "TLP:CLEAR"),
            ("green", "TLP:GREEN"),
            ("amber", "TLP:AMBER"),
            ("amber_strict", "TLP:AMBER+STRICT"),
            ("red", "TLP:RED"),
        ],
    )

    class Meta:
        verbose_name = _("information handling rules")
        verbose_name_plural = _("information handling rules")
        ordering = ["ceptoar", "-version"]
        constraints = [models.UniqueConstraint(fields=["ceptoar", "version"], name="unique_rules_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def clean(self) -> None:
        if getattr(self, "ceptoar", None) is not None and self.ceptoar.kind not in RULES_OWNER_KINDS:
            raise ValidationError({"ceptoar": _("Must be a CEPTOAR or a council.")})


class RulesAcceptance(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="rules_acceptances",
    )
    rules = models.ForeignKey(
        HandlingRules, verbose_name=_("rules version"), on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_on = models.DateField(_("accepted on"))
    accepted_by_name = models.CharField(_("accepted by"), max_length=200)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rules acceptance")
        verbose_name_plural = _("rules acceptances")
        ordering = ["-accepted_on"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "rules"], name="unique_rules_acceptance")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ✓ {self.rules}"

    def clean(self) -> None:
        rules = getattr(self, "rules", None)
        organisation = getattr(self, "organisation", None)
        if rules is None or organisation is None:
            return
        if organisation.pk == rules.ceptoar_id:
            return
        if rules.ceptoar.kind == OrganisationKind.COUNCIL:
            # A council's rules bind the CEPTOARs seated in it, not their members.
            if not CouncilSeat.objects.filter(council_id=rules.ceptoar_id, ceptoar=organisation).exists():
                raise ValidationError(
                    {"rules": _("These rules belong to a council the organisation has no seat in.")}
                )
            return
        if not Membership.objects.filter(ceptoar_id=rules.ceptoar_id, member=organisation).exists():
            raise ValidationError(
                {"rules": _("These rules belong to a CEPTOAR the organisation is not a member of.")}
            )
