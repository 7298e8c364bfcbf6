"""What several alert pages share: the alert the user may see (or a 404), the audience in words, the family
of relays an alert belongs to, whether the user's organisation may relay it now, and the words after sending."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.lateral import onward_refusal
from ceptoar.alerts.models import Alert, Status
from ceptoar.alerts.services.audience import AudienceSpec
from ceptoar.registry.models import Organisation, Sector
from ceptoar.sharing import policy
from ceptoar.sharing.models import Audience

# An audience of a whole CEPTOAR's members, listed one by one, would bury the page.
NAMES_SHOWN = 20


def visible_alert_or_404(user, pk: int) -> Alert:
    alert = get_object_or_404(
        Alert.objects.select_related(
            "origin_organisation", "author", "approved_by", "audience", "root__origin_organisation"
        ),
        pk=pk,
    )
    # An alert the user may not see answers exactly like one that does not exist.
    if not policy.may_see(user, alert):
        raise Http404(_("No such alert, or not one you may see."))
    return alert


# -- the audience in words ------------------------------------------------------------------------


@dataclass
class AudiencePart:
    label: str
    names: list[str]
    more: int = 0


def _part(label: str, names: list[str], total: int | None = None) -> AudiencePart:
    total = len(names) if total is None else total
    return AudiencePart(label, names[:NAMES_SHOWN], max(0, total - NAMES_SHOWN))


def _organisation_names(queryset) -> tuple[list[str], int]:
    names = list(queryset.order_by("code").values_list("name", flat=True)[: NAMES_SHOWN + 1])
    return names, (queryset.count() if len(names) > NAMES_SHOWN else len(names))


def describe_audience(audience: Audience) -> list[AudiencePart]:
    parts = []
    if audience.community:
        parts.append(_part(_("The whole community"), []))
    for label, related in (
        (_("Sectors"), audience.sectors.all()),
        (_("CEPTOARs and all their members"), audience.ceptoars.all()),
        (_("Sub-groups and relay hubs, with the members they relay to"), audience.subgroups.all()),
    ):
        names = [str(obj) for obj in related]
        if names:
            parts.append(_part(label, names))
    names, total = _organisation_names(audience.organisations.all())
    if names:
        parts.append(_part(_("Organisations"), names, total))
    people = [str(person) for person in audience.people.order_by("username")]
    if people:
        parts.append(_part(_("Named people"), people))
    return parts


def describe_spec(spec: AudienceSpec) -> list[AudiencePart]:
    """An audience not yet saved (the default of a relay), named as `describe_audience` names a saved one."""
    parts = []
    if spec.community:
        parts.append(_part(_("The whole community"), []))
    for label, queryset, codes in (
        (_("Sectors"), Sector.objects.all(), spec.sectors),
        (_("CEPTOARs and all their members"), Organisation.objects.all(), spec.ceptoars),
        (
            _("Sub-groups and relay hubs, with the members they relay to"),
            Organisation.objects.all(),
            spec.subgroups,
        ),
    ):
        if codes:
            parts.append(_part(label, [str(obj) for obj in queryset.filter(code__in=codes).order_by("code")]))
    if spec.organisations:
        names, total = _organisation_names(Organisation.objects.filter(code__in=spec.organisations))
        parts.append(_part(_("Organisations"), names, total))
    if spec.people:
        people = User.objects.filter(username__in=spec.people).order_by("username")
        parts.append(_part(_("Named people"), [str(person) for person in people]))
    return parts


def family_tree(alert: Alert) -> dict[int, Alert]:
    """Every alert of the chain `alert` belongs to (the original and all its relays), in one query."""
    root_id = alert.root_id or alert.pk
    nodes = {
        node.pk: node
        for node in Alert.objects.filter(Q(pk=root_id) | Q(root_id=root_id)).select_related(
            "origin_organisation"
        )
    }
    for node in nodes.values():
        if node.parent_id in nodes:
            # So that `hops.relay_time` finds the parent without asking the database again.
            node.parent = nodes[node.parent_id]
    return nodes


def _nearest_in_family(user, root_id: int) -> Alert | None:
    """Of the chain of `root_id` (the original and its relays), the alert this reader sees nearest to them:
    a member is sent to its CEPTOAR's relay, the sender to its own alert."""
    family = Alert.objects.filter(Q(pk=root_id) | Q(root_id=root_id), status__in=policy.SHARED_ALERT_STATUSES)
    if not family.filter(origin_organisation_id=user.organisation_id, pk=root_id).exists():
        family = policy.nearest_visible_alerts(user, family)
    else:
        family = family.filter(pk=root_id)
    return family.order_by("-published_at", "-pk").first()


@dataclass
class CorrectionLinks:
    """Between an alert and its correction (訂正版), both ways, within what the reader may see."""

    corrects: Alert | None = None
    corrected_by: Alert | None = None
    note: str = ""


def correction_links(user, alert: Alert) -> CorrectionLinks:
    """The links of an alert's page: to the alert its chain corrects, and to the newest published
    correction of it. A relay links as its original does: its chain is the original's."""
    root = alert.root if alert.root_id else alert
    links = CorrectionLinks(note=root.correction_note)
    if root.corrects_id is not None:
        corrected_root = root.corrects.root_id or root.corrects_id
        links.corrects = _nearest_in_family(user, corrected_root)
    correction = (
        Alert.objects.filter(corrects_id=root.pk, status__in=policy.SHARED_ALERT_STATUSES)
        .order_by("-published_at", "-pk")
        .first()
    )
    if correction is not None:
        links.corrected_by = _nearest_in_family(user, correction.pk)
    return links


def relay_refusal(alert: Alert, user, our_relay: Alert | None) -> str | None:
    """Why the user's organisation cannot relay this alert now, in the services' words; None if it can.
    Only decides whether to offer the button: `services.publication.relay` decides for real."""
    if alert.status != Status.PUBLISHED:
        return _("Only a published alert can be relayed.")
    if alert.origin_organisation_id == user.organisation_id:
        return _("An organisation does not relay its own alert; edit or resend it.")
    if our_relay is not None:
        return _("Your organisation has already relayed this alert.")
    if alert.no_onward_relay:
        return _("The originator has marked this item “no onward relay”: it may not be relayed.")
    if policy.relay_needs_approval(alert):
        return _("The originator must approve before this alert is relayed.")
    return onward_refusal(alert, user.organisation)


def find_our_relay(alert: Alert, user, nodes: dict[int, Alert]) -> Alert | None:
    for node in nodes.values():
        if node.parent_id == alert.pk and node.origin_organisation_id == user.organisation_id:
            return node
    return None


def sent_message(alert: Alert) -> str:
    if alert.status == Status.PUBLISHED:
        return _("Published: “%(title)s” is on its way.") % {"title": alert.title}
    if alert.status == Status.AWAITING_APPROVAL:
        return _(
            "“%(title)s” now waits for a second person of your organisation to approve and publish it."
        ) % {"title": alert.title}
    return _("Saved as a draft: nobody outside your organisation sees “%(title)s” yet.") % {
        "title": alert.title
    }
