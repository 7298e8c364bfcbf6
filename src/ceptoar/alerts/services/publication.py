"""Publishing an alert to its next hop: the sender's own (submit) and a relay in another organisation's
name, by hand or by a standing relay rule. One module, because every publication runs the next hop's relay
rules once committed, and every relay is a publication of its own.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, IntegerField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.accounts.models import User
from ceptoar.alerts.hops import ceptoars_touched, publication_recipients
from ceptoar.alerts.lateral import onward_refusal
from ceptoar.alerts.models import (
    Alert,
    Recipient,
    RelayApproval,
    RelayApprovalStatus,
    RelayRule,
    Severity,
    Status,
)
from ceptoar.alerts.preview import SendPreview, preview_new, require_preview
from ceptoar.alerts.reach import require_reach
from ceptoar.alerts.services import councils
from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.alerts.services.drafts import require_own_draft
from ceptoar.channels.services.fanout import create_deliveries
from ceptoar.escalation import services as escalation
from ceptoar.intel import index as intel_index
from ceptoar.notifications import events as notify
from ceptoar.registry.models import Organisation, OrganisationKind
from ceptoar.registry.queries import ceptoar_family
from ceptoar.sharing import audit, policy
from ceptoar.sharing.models import Tlp
from ceptoar.utilities.bulk import insert_from_select

SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


@transaction.atomic
def submit(alert: Alert, user: User, *, confirm: str | None = None) -> Alert:
    """Publish now, or hand to a second person when the alert asks for approval. `confirm` is the token of
    the preview the sender confirmed (`alerts.preview`): refused, with nothing written, if the draft or
    whom it reaches has changed since."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    require_own_draft(alert, user)
    if alert.status != Status.DRAFT:
        raise ValidationError({"status": _("Only a draft can be submitted.")})
    require_preview(alert, confirm)
    if alert.requires_approval:
        # Refused now rather than when the second person approves (publication asks again then).
        require_reach(alert)
        alert.status = Status.AWAITING_APPROVAL
        alert.save(update_fields=["status", "updated_at"])
        notify.alert_approval_requested(alert)
        return alert
    return _publish(alert)


def check_publishable(alert: Alert) -> Alert:
    """Refuse (ValidationError) what publishing `alert` now would refuse; a preview asks it first, so the
    refusal is shown on the form rather than after the confirmation."""
    if alert.parent_id is None or alert.origin_organisation.kind == OrganisationKind.COUNCIL:
        # Seats change: whether the sender may post to a council is asked again when the post goes out. A
        # council's relay (of a hub alert to the whole community) goes to its own seats alone, as its posts do.
        councils.check_council_post(alert.origin_organisation, alert.tlp, alert.audience)
    # Nothing is accepted and then dropped: a send beyond the sender's chain without an agreement that
    # covers it, or a ministry naming a CEPTOAR it does not oversee, is refused before anything is written.
    require_reach(alert)
    return alert


def _publish(alert: Alert) -> Alert:
    check_publishable(alert)
    alert.status, alert.published_at = Status.PUBLISHED, timezone.now()
    alert.save()
    intel_index.index_alert(alert)
    # An exercise reaches its participants and no one else, whatever a relay's audience says; a correction
    # the organisations its corrected alert went to.
    recipients = publication_recipients(alert)
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
        return _subgroup_relay_audience(relayer, parent, parent_orgs)
    spec = AudienceSpec()
    in_parent = parent_orgs.values("pk")
    named_in_parent = set(parent.audience.ceptoars.values_list("pk", flat=True))
    for ceptoar in candidates:
        family = ceptoar_family(ceptoar)
        if (
            parent.audience.community
            or ceptoar.pk in named_in_parent
            or not family.exclude(pk__in=in_parent).exists()
        ):
            spec.ceptoars.append(ceptoar.code)
        else:
            spec.organisations += list(family.filter(pk__in=in_parent).values_list("code", flat=True))
    return spec


def _subgroup_relay_audience(relayer: Organisation, parent: Alert, parent_orgs) -> AudienceSpec:
    """A sub-group or relay hub reaches exactly its members in the parent's audience: named as the
    sub-group when the parent reaches it and all its members (one name instead of hundreds of members),
    else one by one."""
    members = parent_orgs.filter(memberships__via=relayer)
    named = parent.audience.community or parent.audience.subgroups.filter(pk=relayer.pk).exists()
    whole = parent_orgs.filter(pk=relayer.pk).exists() and not (
        Organisation.objects.filter(memberships__via=relayer)
        .exclude(pk__in=parent_orgs.values("pk"))
        .exists()
    )
    if named or whole:
        return AudienceSpec(subgroups=[relayer.code])
    return AudienceSpec(organisations=list(members.values_list("code", flat=True)))


@transaction.atomic
def relay(
    parent: Alert,
    user: User,
    *,
    note: str = "",
    audience: AudienceSpec | None = None,
    tlp: str | None = None,
    automatic: bool = False,
    confirm: str | None = None,
) -> Alert:
    """Send `parent` on to the relaying organisation's own audience, narrowed or raised, never widened.
    `confirm` is the token of the preview the relayer confirmed (`preview_relay`): refused with
    `alerts.preview.StalePreview`, nothing written, once the relay or whom it reaches has changed."""
    child = _relay_child(parent, user, note=note, audience=audience, tlp=tlp, automatic=automatic)
    require_preview(child, confirm, new=True, reader=user)
    return _publish(child)


@transaction.atomic
def preview_relay(
    parent: Alert, user: User, *, note: str = "", audience: AudienceSpec | None = None, tlp: str | None = None
) -> SendPreview:
    """What relaying by hand as given would send (`alerts.preview`), refused as the relay would be. Writes
    nothing: the relay is built in a savepoint rolled back."""
    return preview_new(
        lambda: check_publishable(_relay_child(parent, user, note=note, audience=audience, tlp=tlp)), user
    )


def _relay_child(
    parent: Alert,
    user: User,
    *,
    note: str,
    audience: AudienceSpec | None,
    tlp: str | None,
    automatic: bool = False,
) -> Alert:
    """The relay, checked and written, not yet published."""
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
    councils.check_relay(parent)
    if policy.relay_needs_approval(parent) and not _approved(parent, relayer):
        raise ValidationError({"parent": _("The originator must approve before this alert is relayed.")})
    # What came under an agreement is relayed only while that agreement is in force and lets it.
    refusal = onward_refusal(parent, relayer)
    if refusal is not None:
        raise ValidationError({"parent": refusal})
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
    return child


def _approved(parent: Alert, relayer: Organisation) -> bool:
    # The originator's grant (`services.relay_approval.do_grant`) sends this relay itself, so a granted
    # request of this organisation is the one approval that lets it through.
    return RelayApproval.objects.filter(
        parent=parent, asking_organisation=relayer, status=RelayApprovalStatus.GRANTED
    ).exists()


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
