"""Visible means delivered (DESIGN.md §3): whom an alert will reach and how, said before it is sent.

`preview_reach` (the compose page, before "Publish") and `reach_of` (a saved audience) answer, for any sender
and any audience, which organisations that may see the alert (`sharing.policy`'s expansion):
- are delivered to and tracked at this hop (`delivered`: the next hop's `Recipient` rows);
- will be reached by a relay down the chain (`relayed_by`: which next-hop organisation relays to how many;
  until it does they can see the alert on the portal, but have nothing delivered);
- will only be able to see it (`visible_only`, each group with the reason);
- are refused (`refused`): a send beyond the sender's chain without an agreement that covers it
  (`alerts.lateral`), a ministry naming a CEPTOAR outside its oversight, or a post its council's rules refuse
  (`alerts.services.councils`).

The ministry's choice, decided here: a ministry that *names* a CEPTOAR, one of its sub-groups or one of its
members outside its oversight is refused, with an error naming it, because nothing of its would carry the
alert there (that CEPTOAR's ministry relays only what reaches it). A ministry writing to a whole sector or to
the community is not refused for the CEPTOARs of other ministries within it: those are said beforehand as
visible only, and the sender decides.

Publication asks `require_reach` (refusals); the compose page asks `preview_reach`, and the send preview
(`alerts.preview`) asks `reach_of` for a saved draft and has the sender confirm it before it publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ceptoar.agreements import flows
from ceptoar.agreements.flows import LATERAL_SENDER_KINDS
from ceptoar.alerts import lateral
from ceptoar.alerts.hops import next_hop_recipients
from ceptoar.alerts.models import Alert
from ceptoar.alerts.services import councils
from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Oversight
from ceptoar.registry.queries import ceptoar_family
from ceptoar.sharing import policy
from ceptoar.sharing.models import RULES_REQUIRED_TLPS, Audience, Tlp

# How many names each group shows before it says how many more.
NAMES_SHOWN = 8


@dataclass
class Group:
    """Some organisations (or people), counted, a few named, with what happens to them."""

    count: int
    names: list[str]
    text: str

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.names))


@dataclass
class Reach:
    delivered: Group | None = None
    relayed_by: list[Group] = field(default_factory=list)
    visible_only: list[Group] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    people_notified: int = 0
    # The organisations behind the groups, for the send preview's counts by kind (`alerts.preview`).
    delivered_ids: set[int] = field(default_factory=set)
    relayed_ids: set[int] = field(default_factory=set)
    visible_only_ids: set[int] = field(default_factory=set)
    visible_only_people: int = 0

    @property
    def visible_only_count(self) -> int:
        return sum(group.count for group in self.visible_only)


def _names(ids: set[int]) -> list[str]:
    return list(
        Organisation.objects.filter(pk__in=ids).order_by("code").values_list("name", flat=True)[:NAMES_SHOWN]
    )


def _group(ids: set[int], text: str) -> Group:
    return Group(len(ids), _names(ids), text)


def _ids(queryset: QuerySet) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def _downstream(relayer: Organisation) -> Q:
    """What an organisation of the next hop relays to in its own name, as a condition on organisations."""
    if relayer.kind == OrganisationKind.MINISTRY:
        ceptoars = Oversight.objects.filter(ministry=relayer).values("ceptoar_id")
        return (
            Q(pk__in=ceptoars)
            | Q(parent_id__in=ceptoars)
            | Q(pk__in=Membership.objects.filter(ceptoar_id__in=ceptoars).values("member_id"))
        )
    if relayer.kind == OrganisationKind.CEPTOAR:
        return Q(pk__in=ceptoar_family(relayer).values("pk"))
    if relayer.kind == OrganisationKind.SUBGROUP:
        return Q(pk=relayer.pk) | Q(pk__in=Membership.objects.filter(via=relayer).values("member_id"))
    return Q(pk__in=[])


def ministry_refusals(sender: Organisation, audience: Audience) -> list[str]:
    """A ministry names a CEPTOAR (or its sub-group or member) outside its oversight: refused by name."""
    if sender.kind != OrganisationKind.MINISTRY or audience.pk is None:
        return []
    overseen = Oversight.objects.filter(ministry=sender).values("ceptoar_id")
    other_members = Membership.objects.filter(member__in=audience.organisations.all()).exclude(
        member__memberships__ceptoar_id__in=overseen
    )
    named = Organisation.objects.ceptoars().filter(
        Q(pk__in=audience.ceptoars.values("pk"))
        | Q(pk__in=audience.subgroups.values("parent_id"))
        | Q(pk__in=other_members.values("ceptoar_id"))
    )
    named = named.exclude(pk__in=overseen)
    return [
        _(
            "%(ceptoar)s is not overseen by %(ministry)s: your relay would not reach it. Leave it out, or ask "
            "its ministry or the hub to send it."
        )
        % {"ceptoar": ceptoar.name, "ministry": sender.name}
        for ceptoar in named.order_by("code")
    ]


def council_refusals(alert: Alert) -> list[str]:
    """A post to a council that its rules refuse (the sender holds no seat, an observer above GREEN, a
    council naming more than itself): said in the preview too, in the words the publication would use."""
    if alert.parent_id is not None or alert.audience.pk is None:
        return []  # relays of council posts are refused on the relay itself
    try:
        councils.check_council_post(alert.origin_organisation, alert.tlp, alert.audience)
    except ValidationError as error:
        return error.messages
    return []


def refusals_of(alert: Alert) -> list[str]:
    return (
        lateral.refusals(alert.origin_organisation, alert.audience, alert.category, alert.tlp)
        + ministry_refusals(alert.origin_organisation, alert.audience)
        + council_refusals(alert)
    )


def require_reach(alert: Alert) -> None:
    """Refuse (on `audience`, before anything is written or sent) what would be accepted and then dropped."""
    missing = refusals_of(alert)
    if missing:
        raise ValidationError({"audience": missing})


def reach_of(
    sender: Organisation, audience: Audience, tlp: str, category: str, *, no_onward_relay: bool = False
) -> Reach:
    """Whom an alert by `sender` for `audience` reaches, and how (see the module's docstring)."""
    alert = Alert(origin_organisation=sender, audience=audience, tlp=tlp, category=category)
    reach = Reach(refused=refusals_of(alert))
    delivered = _ids(next_hop_recipients(alert))
    reach.delivered_ids = delivered
    if delivered:
        reach.delivered = _group(delivered, _("Delivered now and tracked: they confirm receipt."))
    if tlp == Tlp.RED:
        reach.people_notified = audience.people.filter(is_active=True).count()
        return reach
    seeing = _ids(policy.audience_organisations(audience)) - {sender.pk}
    reached = set(delivered)
    lateral_flows = {
        party.organisation.pk: party.flow
        for party in lateral.parties(sender, audience, category, tlp)
        if party.allowed
    }
    not_relaying: dict[int, set[int]] = {}
    relayers = Organisation.objects.filter(pk__in=delivered).of_kind(
        OrganisationKind.MINISTRY, OrganisationKind.CEPTOAR, OrganisationKind.SUBGROUP
    )
    for relayer in relayers.order_by("code"):
        below = _ids(Organisation.objects.filter(_downstream(relayer), pk__in=seeing)) - delivered
        if not below:
            continue
        flow = lateral_flows.get(relayer.pk)
        if no_onward_relay or (flow is not None and not flow.may_relay):
            not_relaying[relayer.pk] = below
            continue
        reached |= below
        reach.relayed_by.append(
            Group(
                len(below),
                [relayer.name],
                ngettext(
                    "%(relayer)s relays it to %(count)d organisation; until it does, that organisation can "
                    "see it on the portal but has nothing delivered.",
                    "%(relayer)s relays it to %(count)d organisations; until it does, they can see it on the "
                    "portal but have nothing delivered.",
                    len(below),
                )
                % {"relayer": relayer.name, "count": len(below)},
            )
        )
    left = seeing - reached
    if tlp in RULES_REQUIRED_TLPS and left:
        # AMBER reaches only organisations bound by their CEPTOAR's rules: the others do not see it at all.
        left = policy.organisations_bound_by_current_rules(left)
    reach.relayed_ids = reached - delivered
    reach.visible_only_ids = set(left)
    reach.visible_only = _visible_only(sender, left, not_relaying, no_onward_relay)
    unreached_people = audience.people.filter(is_active=True).exclude(organisation_id__in=reached)
    if sender.kind not in LATERAL_SENDER_KINDS:
        unreached_people = unreached_people.exclude(organisation_id=sender.pk)
    else:
        unreached_people = unreached_people.exclude(organisation__in=flows.own_chain(sender))
    people = list(unreached_people.order_by("username"))
    reach.visible_only_people = len(people)
    if people:
        reach.visible_only.append(
            Group(
                len(people),
                [str(person) for person in people[:NAMES_SHOWN]],
                _("Named people: they can see it on the portal, but their organisation gets no delivery."),
            )
        )
    return reach


def _visible_only(sender, left: set[int], not_relaying, no_onward_relay) -> list[Group]:
    groups = []
    for relayer_id, below in not_relaying.items():
        ids = below & left
        if not ids:
            continue
        left -= ids
        relayer = Organisation.objects.get(pk=relayer_id)
        if no_onward_relay:
            text = _(
                "You marked it “no onward relay”: %(relayer)s gets it, but these organisations it would relay "
                "to can only see it on the portal."
            ) % {"relayer": relayer.name}
        else:
            text = _(
                "The agreement with %(relayer)s does not let it relay: these organisations can see it on the "
                "portal but get no delivery."
            ) % {"relayer": relayer.name}
        groups.append(_group(ids, text))
    if not left:
        return groups
    in_a_chain = _ids(
        Organisation.objects.filter(pk__in=left).filter(
            Q(kind__in=(OrganisationKind.CEPTOAR, OrganisationKind.SUBGROUP)) | Q(memberships__isnull=False)
        )
    )
    outside_chains = left - in_a_chain
    if outside_chains:
        groups.append(
            _group(
                outside_chains,
                _(
                    "These organisations are not in any CEPTOAR's chain: they can see it on the portal but get "
                    "no delivery."
                ),
            )
        )
    if in_a_chain:
        if sender.kind == OrganisationKind.MINISTRY:
            text = _(
                "These are in the chains of CEPTOARs that %(ministry)s does not oversee: they can see it on the "
                "portal but get no delivery from you."
            ) % {"ministry": sender.name}
        else:
            text = _(
                "These are outside what %(sender)s reaches down its chain: they can see it on the portal but "
                "get no delivery."
            ) % {"sender": sender.name}
        groups.append(_group(in_a_chain, text))
    return groups


def preview_reach(
    sender: Organisation, spec: AudienceSpec, tlp: str, category: str, *, no_onward_relay: bool = False
) -> Reach:
    """`reach_of` for an audience not yet saved (the compose page). Raises ValidationError (on `audience`)
    where the audience names what does not exist; writes nothing."""
    with transaction.atomic():
        audience = build_audience(spec, tlp)
        reach = reach_of(sender, audience, tlp, category, no_onward_relay=no_onward_relay)
        # The audience rows were needed only to ask the policy: nothing of the preview is kept.
        transaction.set_rollback(True)
    return reach
