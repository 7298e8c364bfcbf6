"""The path down: hub → ministries → CEPTOARs → members. Whom an alert reaches at its next hop, what a relay
reaches by default, and how long a hop took; read-only."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ceptoar.alerts.models import Alert
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Oversight
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp


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


def relay_time(alert: Alert):
    """How long this hop took: from the parent's publication to this relay's."""
    if alert.parent_id is None or alert.published_at is None or alert.parent.published_at is None:
        return None
    return alert.published_at - alert.parent.published_at
