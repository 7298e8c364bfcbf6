"""The path down: hub → ministries → CEPTOARs → members. Whom an alert reaches at its next hop, and how long
a hop took; read-only."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ceptoar.alerts.lateral import lateral_recipients
from ceptoar.alerts.models import Alert, Recipient
from ceptoar.exercises.models import Participant
from ceptoar.registry.models import CouncilSeat, Membership, Organisation, OrganisationKind, Oversight
from ceptoar.sharing import policy


def ceptoars_touched(audience_orgs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """CEPTOARs that are in the audience themselves or have a member in it."""
    return Organisation.objects.ceptoars().filter(
        Q(pk__in=audience_orgs.values("pk"))
        | Exists(Membership.objects.filter(ceptoar=OuterRef("pk"), member__in=audience_orgs.values("pk")))
    )


def next_hop_recipients(alert: Alert) -> QuerySet[Organisation]:
    """The organisations this alert goes to directly: down the sender's chain, and beyond it under the
    agreements in force (a CEPTOAR or related body: `alerts.lateral`). A post to a council goes to its seats,
    under the council's own rules, not under agreements."""
    if is_council_post(alert):
        return council_recipients(alert)
    chain, lateral = chain_recipients(alert).values("pk"), lateral_recipients(alert).values("pk")
    return Organisation.objects.filter(Q(pk__in=chain) | Q(pk__in=lateral))


def publication_recipients(alert: Alert) -> QuerySet[Organisation]:
    """The organisations publishing `alert` writes recipient rows for (and the send preview counts): its
    next hop, narrowed for an exercise's traffic to the exercise's participants, and for a correction to
    the organisations the corrected alert went to — the same recipients, never more."""
    recipients = next_hop_recipients(alert)
    if alert.exercise_id is not None:
        recipients = recipients.filter(
            pk__in=Participant.objects.filter(exercise_id=alert.exercise_id).values("organisation_id")
        )
    if alert.corrects_id is not None:
        recipients = recipients.filter(
            pk__in=Recipient.objects.filter(alert_id=alert.corrects_id).values("organisation_id")
        )
    return recipients


def chain_recipients(alert: Alert) -> QuerySet[Organisation]:
    """The organisations this alert goes to directly, by the sender's place in the chain.

    The hub sends to the ministries overseeing the CEPTOARs it concerns, a ministry to the CEPTOARs it
    oversees, a CEPTOAR to the members it reaches directly and to the sub-groups and relay hubs through
    which it reaches the others (T-CEPTOAR's SG1–SG4, the water sector's hub cities), a sub-group or relay
    hub to its own members; each of them acknowledges and relays further down in its own name.
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
        return ceptoar_next_hop(sender, audience_orgs)
    if sender.kind == OrganisationKind.SUBGROUP:
        # Exactly the members this sub-group relays to that are in the audience.
        return audience_orgs.filter(memberships__via=sender)
    # A related body has no chain below it: what it sends beyond itself is lateral (a council posts to its seats).
    return Organisation.objects.none()


def councils_named(audience) -> QuerySet[Organisation]:
    """The councils an audience names among its organisations."""
    return audience.organisations.filter(kind=OrganisationKind.COUNCIL)


def is_council_post(alert: Alert) -> bool:
    """A post to a council: sent by the council itself, or naming a council as its audience (a seated
    CEPTOAR's post). Relays never are: a council post is not relayed (`alerts.services.councils`)."""
    if alert.origin_organisation.kind == OrganisationKind.COUNCIL:
        return True
    return alert.parent_id is None and councils_named(alert.audience).exists()


def council_recipients(alert: Alert) -> QuerySet[Organisation]:
    """A council is a sharing space: a post to it goes to the council and to every CEPTOAR holding a seat,
    member or observer, save the sender. The CEPTOARs' points of contact receive and acknowledge it, and it
    is tracked and escalated like any hop. The same set as the policy's expansion of the council, so whoever
    may see the post is delivered it."""
    councils = councils_named(alert.audience).values("pk")
    seats = CouncilSeat.objects.filter(council_id__in=councils).values("ceptoar_id")
    return Organisation.objects.filter(Q(pk__in=councils) | Q(pk__in=seats)).exclude(
        pk=alert.origin_organisation_id
    )


def ceptoar_next_hop(ceptoar: Organisation, audience_orgs: QuerySet[Organisation]) -> QuerySet[Organisation]:
    """A CEPTOAR's hop, as one query: the audience's members it reaches directly, and each sub-group or
    relay hub through which it reaches at least one member of the audience, instead of those members. The
    hub is a hop of its own: it confirms receipt, and its relay (by rule or by hand) reaches its members,
    so a drill measures it and escalation chases it like any recipient."""
    links = Membership.objects.filter(ceptoar=ceptoar, member__in=audience_orgs.values("pk"))
    return Organisation.objects.filter(
        Q(pk__in=links.filter(via=None).values("member_id"))
        | Q(pk__in=links.exclude(via=None).values("via_id"))
    )


def relay_time(alert: Alert):
    """How long this hop took: from the parent's publication to this relay's."""
    if alert.parent_id is None or alert.published_at is None or alert.parent.published_at is None:
        return None
    return alert.published_at - alert.parent.published_at
