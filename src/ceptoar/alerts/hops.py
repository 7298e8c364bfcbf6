"""The path down: hub → ministries → CEPTOARs → members. Whom an alert reaches at its next hop, and how long
a hop took; read-only."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ceptoar.alerts.lateral import lateral_recipients
from ceptoar.alerts.models import Alert
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Oversight
from ceptoar.sharing import policy


def ceptoars_touched(audience_orgs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """CEPTOARs that are in the audience themselves or have a member in it."""
    return Organisation.objects.ceptoars().filter(
        Q(pk__in=audience_orgs.values("pk"))
        | Exists(Membership.objects.filter(ceptoar=OuterRef("pk"), member__in=audience_orgs.values("pk")))
    )


def next_hop_recipients(alert: Alert) -> QuerySet[Organisation]:
    """The organisations this alert goes to directly: down the sender's chain, and beyond it under the
    agreements in force (a CEPTOAR, council or related body: `alerts.lateral`)."""
    chain, lateral = chain_recipients(alert).values("pk"), lateral_recipients(alert).values("pk")
    return Organisation.objects.filter(Q(pk__in=chain) | Q(pk__in=lateral))


def chain_recipients(alert: Alert) -> QuerySet[Organisation]:
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
    # A council or a related body has no chain below it: what it sends beyond itself is lateral.
    return Organisation.objects.none()


def relay_time(alert: Alert):
    """How long this hop took: from the parent's publication to this relay's."""
    if alert.parent_id is None or alert.published_at is None or alert.parent.published_at is None:
        return None
    return alert.published_at - alert.parent.published_at
