"""Reading an alert: its content or envelope, lineage and relays, receipts, attachments, and which of the
sending organisation's actions it offers (their pages: `views.sending`)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.alerts import hops, tracking
from ceptoar.alerts.models import Acknowledgement, Alert, AlertAttachment, Status
from ceptoar.alerts.reach import reach_of
from ceptoar.alerts.rendering import render_markdown
from ceptoar.alerts.services import acknowledgements
from ceptoar.alerts.views import relay_approval
from ceptoar.alerts.views.common import (
    correction_links,
    describe_audience,
    family_tree,
    find_our_relay,
    relay_refusal,
    visible_alert_or_404,
)
from ceptoar.sharing import audit, policy
from ceptoar.sharing.models import AUDITED_TLPS
from ceptoar.utilities.downloads import attachment_response

RECEIPTS_SHOWN = 100
RELAY_INDENT_LEVELS = 8  # indentation classes of the relays table, relay-indent-0 … -8 in site.css


def _lineage(alert: Alert, nodes: dict[int, Alert]) -> list[Alert]:
    """From the original down to `alert`, each with its hop time."""
    chain, node = [], nodes.get(alert.pk, alert)
    while node is not None:
        node.hop_time = hops.relay_time(node)
        chain.append(node)
        node = nodes.get(node.parent_id) if node.parent_id else None
    return list(reversed(chain))


def _relays_below(
    alert: Alert, nodes: dict[int, Alert], show_all: bool, visible_ids: set[int]
) -> list[Alert]:
    """The relays made of `alert` and of those relays, depth first. The sending organisation sees all of
    them (who passed its alert on, and when: its proof of reach, not their content); others only those
    they may see themselves."""
    children: dict[int, list[Alert]] = {}
    for node in nodes.values():
        if node.parent_id is not None and node.status in policy.SHARED_ALERT_STATUSES:
            children.setdefault(node.parent_id, []).append(node)
    rows: list[Alert] = []

    def walk(parent_id: int, depth: int) -> None:
        for child in sorted(children.get(parent_id, []), key=lambda n: (n.published_at, n.pk)):
            if show_all or child.pk in visible_ids:
                child.depth = depth
                # The row's indentation is a class (site.css has RELAY_INDENT_LEVELS of them): the
                # Content-Security-Policy refuses style attributes. Deeper relays share the last one.
                child.indent = min(depth, RELAY_INDENT_LEVELS)
                child.hop_time = hops.relay_time(child)
                rows.append(child)
                walk(child.pk, depth + 1)

    walk(alert.pk, 0)
    return rows


def _actions(alert: Alert, user, nodes: dict[int, Alert]) -> dict:
    sender = access.can_send_alerts(user)
    ours = sender and alert.origin_organisation_id == user.organisation_id
    our_relay = find_our_relay(alert, user, nodes) if sender else None
    refusal = relay_refusal(alert, user, our_relay) if sender else None
    return {
        "submit": ours and alert.status == Status.DRAFT,
        "approve": ours and alert.status == Status.AWAITING_APPROVAL and user.pk != alert.author_id,
        "awaiting_colleague": ours
        and alert.status == Status.AWAITING_APPROVAL
        and user.pk == alert.author_id,
        "withdraw": ours and alert.status == Status.AWAITING_APPROVAL and user.pk == alert.author_id,
        "close": ours and alert.status == Status.PUBLISHED,
        "correct": ours and alert.parent_id is None and alert.status in policy.SHARED_ALERT_STATUSES,
        "relay": sender and refusal is None,
        "relay_refusal": refusal if sender and alert.status == Status.PUBLISHED and not ours else None,
        "our_relay": our_relay,
    }


def detail(request, pk):
    alert = visible_alert_or_404(request.user, pk)
    readable = policy.may_read_content(request.user, alert)
    # AMBER+STRICT and RED: every read is written to the audit log (no query for other markings), and so is
    # every look at an envelope an intermediate hop passes on unread.
    audit.record_read(request.user, alert, action="read" if readable else "read_envelope")
    nodes = family_tree(alert)
    visible_ids = set(
        policy.visible_alerts(request.user, Alert.objects.filter(pk__in=list(nodes))).values_list(
            "pk", flat=True
        )
    )
    lineage = _lineage(alert, nodes)
    for node in lineage:
        node.may_open = node.pk in visible_ids
    relays = _relays_below(
        alert,
        nodes,
        show_all=alert.origin_organisation_id == request.user.organisation_id,
        visible_ids=visible_ids,
    )
    for node in relays:
        node.may_open = node.pk in visible_ids
    actions = _actions(alert, request.user, nodes)
    context = {
        "alert": alert,
        "content_readable": readable,
        # render_markdown returns HTML sanitised by nh3 (allow-listed tags, attributes and URL schemes);
        # only that output is ever marked safe.
        "body_html": mark_safe(render_markdown(alert.body)) if readable else "",  # noqa: S308
        "attachments": list(alert.attachments.order_by("name", "pk")) if readable else [],
        "audience": describe_audience(alert.audience),
        "lineage": lineage if len(lineage) > 1 else [],
        "relays": relays,
        "actions": actions,
        # Before the draft is published (or approved), whom it reaches and how: visible means delivered,
        # or said beforehand.
        "reach": reach_of(
            alert.origin_organisation,
            alert.audience,
            alert.tlp,
            alert.category,
            no_onward_relay=alert.no_onward_relay,
        )
        if actions["submit"] or actions["approve"]
        else None,
        "audited": alert.tlp in AUDITED_TLPS,
        "correction": correction_links(request.user, alert),
        "can_track": tracking.can_track(request.user, alert),
        **_receipt_context(alert, request.user),
        **relay_approval.panel(alert, request.user),
    }
    return render(request, "alerts/detail.html", context)


def _receipt_context(alert: Alert, user) -> dict:
    """Our organisation's receipt of this alert, and, for the sender, every recipient's."""
    ours = acknowledgements.recipient_of(alert, user)
    our_ack = Acknowledgement.objects.filter(recipient=ours).first() if ours is not None else None
    receipts = []
    if alert.origin_organisation_id == user.organisation_id and alert.status in policy.SHARED_ALERT_STATUSES:
        receipts = acknowledgements.receipt_times(alert)
        # Those still to confirm first: they are who the sender chases.
        receipts.sort(key=lambda row: (row.acknowledged_at is not None, row.recipient.organisation.code))
    return {
        "our_recipient": ours,
        "our_acknowledgement": our_ack,
        "receipts": receipts[:RECEIPTS_SHOWN],
        "receipts_total": len(receipts),
        "receipts_acknowledged": sum(1 for row in receipts if row.acknowledged_at is not None),
        # At 3 a.m. one alert after another: straight on to the next our organisation still owes.
        "next_unacknowledged": acknowledgements.next_unacknowledged(user, after=alert),
    }


def attachment(request, pk, attachment_pk):
    item = get_object_or_404(AlertAttachment.objects.select_related("alert"), pk=attachment_pk, alert_id=pk)
    # An intermediate hop of an AMBER+STRICT alert sees its envelope, never its files.
    if not policy.may_read_content(request.user, item.alert):
        raise Http404(_("No such alert, or not one you may see."))
    audit.record_read(request.user, item.alert, action="download", detail=item.name)
    return attachment_response(item)
