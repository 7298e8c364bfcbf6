"""Alert operations: draft, approve, publish, close, relay (by hand or by rule). Each is one transaction.

Who may see an alert is asked of `ceptoar.sharing.policy`; who may send is asked of `accounts.access`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.accounts.models import User
from ceptoar.alerts.attachments import check_attachment
from ceptoar.alerts.models import Alert, AlertAttachment, Recipient, RelayRule, Severity, Status
from ceptoar.channels.services.fanout import create_deliveries
from ceptoar.core.bulk import insert_from_select
from ceptoar.escalation import services as escalation
from ceptoar.exercises.models import Participant
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Oversight, Sector
from ceptoar.sharing import audit, policy
from ceptoar.sharing.models import Audience, Tlp

SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


@dataclass
class AudienceSpec:
    """An audience as people name it: by codes and user names."""

    community: bool = False
    sectors: list[str] = field(default_factory=list)
    ceptoars: list[str] = field(default_factory=list)
    subgroups: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.community
            or self.sectors
            or self.ceptoars
            or self.subgroups
            or self.organisations
            or self.people
        )


def _resolve(model, codes: list[str], field_name: str, lookup: str = "code", **filters) -> list:
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {getattr(obj, lookup): obj for obj in model.objects.filter(**{f"{lookup}__in": codes}, **filters)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            {
                "audience": _("The audience names %(field)s that do not exist: %(codes)s")
                % {"field": field_name, "codes": ", ".join(unknown)}
            }
        )
    return [found[c] for c in codes]


def build_audience(spec: AudienceSpec, tlp: str) -> Audience:
    """Create the Audience rows for `spec`, or raise ValidationError naming what does not exist."""
    if tlp == Tlp.RED and (
        spec.community or spec.sectors or spec.ceptoars or spec.subgroups or spec.organisations
    ):
        raise ValidationError({"audience": _("TLP:RED goes to named people only; remove the organisations.")})
    if tlp == Tlp.RED and not spec.people:
        raise ValidationError({"audience": _("TLP:RED needs at least one named person.")})
    if spec.is_empty():
        raise ValidationError({"audience": _("Choose who the alert is for.")})
    sectors = _resolve(Sector, spec.sectors, "sectors")
    ceptoars = _resolve(Organisation, spec.ceptoars, "CEPTOARs", kind=OrganisationKind.CEPTOAR)
    subgroups = _resolve(Organisation, spec.subgroups, "sub-groups", kind=OrganisationKind.SUBGROUP)
    organisations = _resolve(Organisation, spec.organisations, "organisations")
    people = _resolve(User, spec.people, "people", lookup="username", is_active=True)
    audience = Audience.objects.create(community=spec.community)
    for relation, chosen in (
        (audience.sectors, sectors),
        (audience.ceptoars, ceptoars),
        (audience.subgroups, subgroups),
        (audience.organisations, organisations),
        (audience.people, people),
    ):
        if chosen:
            relation.add(*chosen)
    return audience


@transaction.atomic
def create_draft(
    author: User,
    *,
    title: str,
    body: str,
    category: str,
    severity: str,
    tlp: str,
    audience: AudienceSpec,
    no_onward_relay: bool = False,
    relay_needs_originator_approval: bool = False,
    references: list[str] | None = None,
    requires_approval: bool = False,
    attachments: list[tuple[str, bytes]] | None = None,
    exercise=None,
) -> Alert:
    access.require_sender(author)
    checked = [(check_attachment(name, content), content) for name, content in attachments or []]
    alert = Alert(
        title=title,
        body=body,
        category=category,
        severity=severity,
        tlp=tlp,
        audience=build_audience(audience, tlp),
        no_onward_relay=no_onward_relay,
        relay_needs_originator_approval=relay_needs_originator_approval,
        references=references or [],
        requires_approval=requires_approval,
        origin_organisation=author.organisation,
        author=author,
        exercise=exercise,
    )
    alert.full_clean()
    alert.save()
    for info, content in checked:
        AlertAttachment.objects.create(
            alert=alert,
            file=ContentFile(content, name=info.name),
            name=info.name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
        )
    return alert


def _require_own_draft(alert: Alert, user: User) -> None:
    if alert.origin_organisation_id != user.organisation_id or not access.can_send_alerts(user):
        raise PermissionDenied(_("Only the sending organisation may change this alert."))


@transaction.atomic
def submit(alert: Alert, user: User) -> Alert:
    """Publish now, or hand to a second person when the alert asks for approval."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_own_draft(alert, user)
    if alert.status != Status.DRAFT:
        raise ValidationError({"status": _("Only a draft can be submitted.")})
    if alert.requires_approval:
        alert.status = Status.AWAITING_APPROVAL
        alert.save(update_fields=["status", "updated_at"])
        return alert
    return _publish(alert)


@transaction.atomic
def approve(alert: Alert, approver: User) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_own_draft(alert, approver)
    if alert.status != Status.AWAITING_APPROVAL:
        raise ValidationError({"status": _("This alert is not awaiting approval.")})
    if approver.pk == alert.author_id:
        raise ValidationError({"approved_by": _("A second person must approve: the author cannot.")})
    alert.approved_by, alert.approved_at = approver, timezone.now()
    return _publish(alert)


def _publish(alert: Alert) -> Alert:
    alert.status, alert.published_at = Status.PUBLISHED, timezone.now()
    alert.save()
    recipients = next_hop_recipients(alert)
    if alert.exercise_id is not None:
        # An exercise reaches its participants and no one else, whatever a relay's audience says.
        recipients = recipients.filter(
            pk__in=Participant.objects.filter(exercise_id=alert.exercise_id).values("organisation_id")
        )
    insert_from_select(
        Recipient,
        recipients.order_by("pk"),
        {"alert": Value(alert.pk, output_field=IntegerField()), "organisation": F("pk")},
    )
    # Standing relay decisions of the next hop run once this alert is committed.
    transaction.on_commit(lambda: apply_relay_rules(alert.pk))
    # The deliveries, their send tasks and the escalation schedule commit (or roll back) with it.
    create_deliveries(alert)
    escalation.start(alert)
    return alert


@transaction.atomic
def close(alert: Alert, user: User) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    _require_own_draft(alert, user)
    if alert.status != Status.PUBLISHED:
        raise ValidationError({"status": _("Only a published alert can be closed.")})
    alert.status, alert.closed_at = Status.CLOSED, timezone.now()
    alert.save(update_fields=["status", "closed_at", "updated_at"])
    escalation.cancel_for_alert(alert)
    return alert


# -- the path down: hub → ministries → CEPTOARs → members -----------------------------------------


def ceptoars_touched(audience_orgs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """CEPTOARs that are in the audience themselves or have a member in it."""
    return Organisation.objects.ceptoars().filter(
        Q(pk__in=audience_orgs.values("pk"))
        | Exists(Membership.objects.filter(ceptoar=OuterRef("pk"), member__in=audience_orgs.values("pk")))
    )


def next_hop_recipients(alert: Alert) -> QuerySet[Organisation]:
    """The organisations this alert goes to directly, by the sender's place in the chain.

    The hub sends to the ministries overseeing the CEPTOARs it concerns, a ministry to the CEPTOARs it
    oversees, a CEPTOAR to its members; each of them relays further down in its own name.
    """
    audience_orgs = policy.audience_organisations(alert.audience)
    sender = alert.origin_organisation
    if sender.kind == OrganisationKind.HUB:
        touched = ceptoars_touched(audience_orgs)
        return Organisation.objects.filter(
            pk__in=Oversight.objects.filter(ceptoar__in=touched).values("ministry_id")
        )
    if sender.kind == OrganisationKind.MINISTRY:
        return ceptoars_touched(audience_orgs).filter(overseen_by__ministry=sender)
    if sender.kind == OrganisationKind.CEPTOAR:
        return audience_orgs.filter(memberships__ceptoar=sender)
    if sender.kind == OrganisationKind.SUBGROUP:
        return audience_orgs.filter(memberships__via=sender)
    return audience_orgs.exclude(pk=sender.pk)


def default_relay_audience(relayer: Organisation, parent: Alert) -> AudienceSpec:
    """What a relaying organisation reaches in its own name, never more than the parent's audience."""
    if parent.tlp == Tlp.RED:
        return AudienceSpec(people=list(parent.audience.people.values_list("username", flat=True)))
    parent_orgs = policy.audience_organisations(parent.audience)
    if relayer.kind == OrganisationKind.MINISTRY:
        candidates = list(
            Organisation.objects.filter(overseen_by__ministry=relayer).filter(
                pk__in=ceptoars_touched(parent_orgs)
            )
        )
    elif relayer.kind == OrganisationKind.CEPTOAR:
        candidates = [relayer]
    else:
        return AudienceSpec(
            organisations=list(parent_orgs.filter(memberships__via=relayer).values_list("code", flat=True))
        )
    spec = AudienceSpec()
    in_parent = parent_orgs.values("pk")
    named_in_parent = set(parent.audience.ceptoars.values_list("pk", flat=True))
    for ceptoar in candidates:
        family = policy.ceptoar_family(ceptoar)
        if (
            parent.audience.community
            or ceptoar.pk in named_in_parent
            or not family.exclude(pk__in=in_parent).exists()
        ):
            spec.ceptoars.append(ceptoar.code)
        else:
            spec.organisations += list(family.filter(pk__in=in_parent).values_list("code", flat=True))
    return spec


@transaction.atomic
def relay(
    parent: Alert,
    user: User,
    *,
    note: str = "",
    audience: AudienceSpec | None = None,
    tlp: str | None = None,
    automatic: bool = False,
) -> Alert:
    """Send `parent` on to the relaying organisation's own audience, narrowed or raised, never widened."""
    access.require_sender(user)
    relayer = user.organisation
    if parent.status != Status.PUBLISHED:
        raise ValidationError({"status": _("Only a published alert can be relayed.")})
    if not policy.may_see(user, parent):
        raise PermissionDenied(_("You cannot relay an alert you have not received."))
    if parent.origin_organisation_id == relayer.pk:
        raise ValidationError(
            {"audience": _("An organisation does not relay its own alert; edit or resend it.")}
        )
    if Alert.objects.filter(parent=parent, origin_organisation=relayer).exists():
        raise ValidationError({"parent": _("Your organisation has already relayed this alert.")})
    if policy.relay_needs_approval(parent):
        raise ValidationError({"parent": _("The originator must approve before this alert is relayed.")})
    tlp = tlp or parent.tlp
    spec = audience or default_relay_audience(relayer, parent)
    new_audience = build_audience(spec, tlp)
    policy.validate_relay(parent, tlp, new_audience)
    child = Alert(
        title=parent.title,
        body=parent.body,
        category=parent.category,
        severity=parent.severity,
        tlp=tlp,
        audience=new_audience,
        no_onward_relay=parent.no_onward_relay,
        relay_needs_originator_approval=parent.relay_needs_originator_approval,
        references=parent.references,
        origin_organisation=relayer,
        author=user,
        parent=parent,
        root=parent.root or parent,
        relay_note=note,
        relayed_automatically=automatic,
        exercise_id=parent.exercise_id,
    )
    # Its links were all just read from the database: checking that each still exists would cost a query
    # apiece on every hop of a relay tree.
    child.full_clean(exclude=["audience", "origin_organisation", "author", "parent", "root", "exercise"])
    child.save()
    if parent.tlp in policy.ENVELOPE_TLPS and not policy.may_read_content(user, parent):
        # An intermediate hop passes an AMBER+STRICT or RED alert on without reading it: the audit log
        # keeps who relayed what they could not read, and as which relay.
        audit.record_read(user, parent, action="relay_unread", detail=f"relay #{child.pk}")
    return _publish(child)


def relay_time(alert: Alert):
    """How long this hop took: from the parent's publication to this relay's."""
    if alert.parent_id is None or alert.published_at is None or alert.parent.published_at is None:
        return None
    return alert.published_at - alert.parent.published_at


def _rule_matches(rule: RelayRule, alert: Alert) -> bool:
    if rule.from_organisation_kinds and alert.origin_organisation.kind not in rule.from_organisation_kinds:
        return False
    if rule.categories and alert.category not in rule.categories:
        return False
    return SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[rule.minimum_severity]


def apply_relay_rules(alert_id: int) -> list[Alert]:
    """Relay a just-published alert for every next-hop organisation whose standing rule matches it."""
    alert = Alert.objects.select_related("origin_organisation", "audience").get(pk=alert_id)
    if alert.status != Status.PUBLISHED or alert.no_onward_relay or policy.relay_needs_approval(alert):
        return []
    rules = RelayRule.objects.filter(
        is_active=True,
        organisation__in=Recipient.objects.filter(alert=alert).values("organisation_id"),
    ).select_related("organisation", "created_by")
    relayed = []
    for rule in rules:
        if not _rule_matches(rule, alert):
            continue
        try:
            relayed.append(relay(alert, rule.created_by, note=rule.note, automatic=True))
        except (ValidationError, PermissionDenied):
            # The rule's owner can no longer relay this (left, or lost the rules acceptance): the alert
            # still reached that organisation's POCs, who relay by hand; nothing is sent wider.
            continue
    return relayed
