"""Alert pages: the portal inbox, composing, reading, relaying, and the standing relay rules.

Thin: who may see an alert is asked of `sharing.policy` (never decided here), who may send of
`accounts.access`, and every change is made by `alerts.services`, whose errors go back onto the form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ceptoar.accounts import access
from ceptoar.accounts.models import User
from ceptoar.alerts import acknowledgements, links, services, tracking
from ceptoar.alerts.forms import (
    RELAY_SOURCE_KINDS,
    AlertFilterForm,
    AlertForm,
    AudienceForm,
    RelayForm,
    RelayRuleForm,
    show_service_errors,
)
from ceptoar.alerts.models import (
    Acknowledgement,
    AcknowledgementVia,
    Alert,
    AlertAttachment,
    Category,
    RelayRule,
    Status,
)
from ceptoar.alerts.rendering import envelope_title, render_markdown
from ceptoar.channels import registry as channel_registry
from ceptoar.core.downloads import attachment_response
from ceptoar.core.pagination import paginate
from ceptoar.registry.models import ChannelKind, Organisation, Sector
from ceptoar.sharing import audit, policy
from ceptoar.sharing.models import AUDITED_TLPS, Audience

PAGE_SIZE = 25
# An audience of a whole CEPTOAR's members, listed one by one, would bury the page.
NAMES_SHOWN = 20
RECEIPTS_SHOWN = 100
RELAY_INDENT_LEVELS = 8  # indentation classes of the relays table, relay-indent-0 … -8 in site.css


def _visible_alert_or_404(user, pk: int) -> Alert:
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


def describe_spec(spec: services.AudienceSpec) -> list[AudiencePart]:
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


# -- the inbox ------------------------------------------------------------------------------------


def inbox(request):
    form = AlertFilterForm(request.GET)
    alerts = (
        policy.with_content_readable(request.user, policy.nearest_visible_alerts(request.user))
        .select_related("origin_organisation", "root__origin_organisation")
        # Drafts and alerts awaiting approval (only the sender's own people see them) first: they wait on us.
        .order_by(F("published_at").desc(nulls_first=True), "-created_at", "-id")
    )
    valid = form.is_valid()
    # A filter that names nothing is an error, not an empty result or a silently wider list.
    alerts = form.filter(alerts, request.user) if valid else alerts.none()
    context = {
        "form": form,
        "valid": valid,
        "page": paginate(request, alerts, PAGE_SIZE),
        "filtered": any(request.GET.get(name) for name in form.fields),
        "can_send": access.can_send_alerts(request.user),
    }
    return render(request, "alerts/inbox.html", context, status=200 if valid else 400)


# -- composing ------------------------------------------------------------------------------------


def _sent_message(alert: Alert) -> str:
    if alert.status == Status.PUBLISHED:
        return _("Published: “%(title)s” is on its way.") % {"title": alert.title}
    if alert.status == Status.AWAITING_APPROVAL:
        return _(
            "“%(title)s” now waits for a second person of your organisation to approve and publish it."
        ) % {"title": alert.title}
    return _("Saved as a draft: nobody outside your organisation sees “%(title)s” yet.") % {
        "title": alert.title
    }


def compose(request):
    access.require_sender(request.user)
    status = 200
    if request.method == "POST":
        form = AlertForm(request.POST, request.FILES)
        publish = request.POST.get("action") == "publish"
        if form.is_valid():
            try:
                # Draft and publication in one transaction: a refused publication leaves no draft behind.
                with transaction.atomic():
                    alert = services.create_draft(request.user, **form.draft_fields())
                    if publish:
                        alert = services.submit(alert, request.user)
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(request, _sent_message(alert))
                return redirect("alerts:detail", pk=alert.pk)
        status = 400
    else:
        form = AlertForm()
    files_sent = request.method == "POST" and bool(request.FILES.getlist("attachments"))
    context = {"form": form, "files_sent": files_sent}
    return render(request, "alerts/compose.html", context, status=status)


# -- reading --------------------------------------------------------------------------------------


def _family_tree(alert: Alert) -> dict[int, Alert]:
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
            # So that `services.relay_time` finds the parent without asking the database again.
            node.parent = nodes[node.parent_id]
    return nodes


def _lineage(alert: Alert, nodes: dict[int, Alert]) -> list[Alert]:
    """From the original down to `alert`, each with its hop time."""
    chain, node = [], nodes.get(alert.pk, alert)
    while node is not None:
        node.hop_time = services.relay_time(node)
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
                child.hop_time = services.relay_time(child)
                rows.append(child)
                walk(child.pk, depth + 1)

    walk(alert.pk, 0)
    return rows


def _relay_refusal(alert: Alert, user, our_relay: Alert | None) -> str | None:
    """Why the user's organisation cannot relay this alert now, in the services' words; None if it can.
    Only decides whether to offer the button: `services.relay` decides for real."""
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
    return None


def _our_relay(alert: Alert, user, nodes: dict[int, Alert]) -> Alert | None:
    for node in nodes.values():
        if node.parent_id == alert.pk and node.origin_organisation_id == user.organisation_id:
            return node
    return None


def _actions(alert: Alert, user, nodes: dict[int, Alert]) -> dict:
    sender = access.can_send_alerts(user)
    ours = sender and alert.origin_organisation_id == user.organisation_id
    our_relay = _our_relay(alert, user, nodes) if sender else None
    refusal = _relay_refusal(alert, user, our_relay) if sender else None
    return {
        "submit": ours and alert.status == Status.DRAFT,
        "approve": ours and alert.status == Status.AWAITING_APPROVAL and user.pk != alert.author_id,
        "awaiting_colleague": ours
        and alert.status == Status.AWAITING_APPROVAL
        and user.pk == alert.author_id,
        "close": ours and alert.status == Status.PUBLISHED,
        "relay": sender and refusal is None,
        "relay_refusal": refusal if sender and alert.status == Status.PUBLISHED and not ours else None,
        "our_relay": our_relay,
    }


def detail(request, pk):
    alert = _visible_alert_or_404(request.user, pk)
    readable = policy.may_read_content(request.user, alert)
    # AMBER+STRICT and RED: every read is written to the audit log (no query for other markings), and so is
    # every look at an envelope an intermediate hop passes on unread.
    audit.record_read(request.user, alert, action="read" if readable else "read_envelope")
    nodes = _family_tree(alert)
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
        "actions": _actions(alert, request.user, nodes),
        "audited": alert.tlp in AUDITED_TLPS,
        "can_track": tracking.can_track(request.user, alert),
        **_receipt_context(alert, request.user),
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
    }


def attachment(request, pk, attachment_pk):
    item = get_object_or_404(AlertAttachment.objects.select_related("alert"), pk=attachment_pk, alert_id=pk)
    # An intermediate hop of an AMBER+STRICT alert sees its envelope, never its files.
    if not policy.may_read_content(request.user, item.alert):
        raise Http404(_("No such alert, or not one you may see."))
    audit.record_read(request.user, item.alert, action="download", detail=item.name)
    return attachment_response(item)


# -- acting on an alert ---------------------------------------------------------------------------


def _act(request, pk, operation, success) -> object:
    alert = _visible_alert_or_404(request.user, pk)
    try:
        alert = operation(alert, request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success(alert))
    return redirect("alerts:detail", pk=alert.pk)


@require_POST
def submit(request, pk):
    return _act(request, pk, services.submit, _sent_message)


@require_POST
def approve(request, pk):
    return _act(request, pk, services.approve, _sent_message)


@require_POST
def close(request, pk):
    return _act(
        request,
        pk,
        services.close,
        lambda alert: _("“%(title)s” is closed.") % {"title": _title_for(request.user, alert)},
    )


def _title_for(user, alert: Alert) -> str:
    """The title, or the envelope's words for an alert the user passes on unread."""
    return alert.title if policy.may_read_content(user, alert) else envelope_title(alert)


def relay(request, pk):
    access.require_sender(request.user)
    parent = _visible_alert_or_404(request.user, pk)
    nodes = _family_tree(parent)
    our_relay = _our_relay(parent, request.user, nodes)
    refusal = _relay_refusal(parent, request.user, our_relay)
    status = 200
    if request.method == "POST":
        form = RelayForm(request.POST, parent=parent)
        if form.is_valid():
            try:
                child = services.relay(
                    parent,
                    request.user,
                    note=form.cleaned_data.get("note", ""),
                    audience=form.audience_spec(),
                    tlp=form.cleaned_data["tlp"],
                )
            except ValidationError as error:
                show_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Relayed in the name of %(organisation)s.")
                    % {"organisation": child.origin_organisation},
                )
                return redirect("alerts:detail", pk=child.pk)
        status = 400
    default = services.default_relay_audience(request.user.organisation, parent) if refusal is None else None
    if request.method != "POST":
        initial = AudienceForm.initial_from_spec(default) if default is not None else {}
        form = RelayForm(parent=parent, initial=initial)
        if refusal is not None:
            status = 409
    context = {
        "parent": parent,
        "parent_readable": policy.may_read_content(request.user, parent),
        "form": form,
        "refusal": refusal,
        "our_relay": our_relay,
        "default_audience": describe_spec(default) if default is not None else [],
        "parent_audience": describe_audience(parent.audience),
    }
    return render(request, "alerts/relay.html", context, status=status)


# -- standing relay rules -------------------------------------------------------------------------


def relay_rules(request):
    access.require_sender(request.user)
    organisation = request.user.organisation
    status = 200
    if request.method == "POST":
        form = RelayRuleForm(
            request.POST, instance=RelayRule(organisation=organisation, created_by=request.user)
        )
        if form.is_valid():
            form.save()
            messages.success(
                request,
                _(
                    "Relay rule added: matching alerts are relayed in your organisation’s name as soon as they arrive."
                ),
            )
            return redirect("alerts:relay_rules")
        status = 400
    else:
        form = RelayRuleForm()
    kinds = dict(RELAY_SOURCE_KINDS)
    categories = dict(Category.choices)
    rules = list(organisation.relay_rules.select_related("created_by").order_by("-is_active", "pk"))
    for rule in rules:
        rule.kind_labels = [str(kinds.get(kind, kind)) for kind in rule.from_organisation_kinds]
        rule.category_labels = [str(categories.get(category, category)) for category in rule.categories]
    context = {"organisation": organisation, "rules": rules, "form": form}
    return render(request, "alerts/relay_rules.html", context, status=status)


@require_POST
def relay_rule_deactivate(request, pk):
    access.require_sender(request.user)
    rule = get_object_or_404(RelayRule, pk=pk, organisation_id=request.user.organisation_id)
    if rule.is_active:
        rule.is_active = False
        rule.save(update_fields=["is_active"])
        messages.success(request, _("The relay rule is no longer applied."))
    return redirect("alerts:relay_rules")


# -- acknowledgement of receipt -------------------------------------------------------------------


def _passes_csrf(request) -> bool:
    return CsrfViewMiddleware(lambda _request: None).process_view(request, None, (), {}) is None


@csrf_exempt
def ack_link(request, token):
    """The link in an alert e-mail. Open without log-in: the signed token is the credential. Only the
    POST confirms, so a mail scanner that fetches every link acknowledges nothing.

    The POST needs no CSRF token — whoever holds the link may confirm with it, from a form, a script or
    a mail client — but without one the confirmation is not attributed to the signed-in user, so another
    site cannot make it appear in someone's name."""
    try:
        delivery = links.delivery_for_token(token)
    except (links.ForgedLink, links.ExpiredLink) as error:
        context = {"expired": isinstance(error, links.ExpiredLink)}
        return render(request, "alerts/acknowledge.html", {"invalid": True, **context}, status=400)
    alert, recipient = delivery.alert, delivery.recipient
    acknowledgement, created = None, False
    if request.method == "POST":
        acknowledgement, created = acknowledgements.acknowledge(
            recipient,
            AcknowledgementVia.EMAIL_LINK,
            # Someone signed in as another organisation's user is not the one answering for this one.
            by_user=request.user
            if request.user.is_authenticated
            and request.user.organisation_id == recipient.organisation_id
            and _passes_csrf(request)
            else None,
            by_contact_id=delivery.contact_id,
        )
    else:
        acknowledgement = Acknowledgement.objects.filter(recipient=recipient).first()
    # The link alone shows what the e-mail it came in showed (the title, unless the message was a notice or an
    # envelope); the body only to a signed-in reader who may read it.
    shows_title = (
        policy.disclosure_for_organisation(
            alert, recipient.organisation_id, channel_registry.trust(ChannelKind.EMAIL)
        )
        >= policy.Disclosure.HEADLINE
    )
    show_body = request.user.is_authenticated and policy.may_read_content(request.user, alert)
    if show_body:
        audit.record_read(request.user, alert)
    context = {
        "alert": alert,
        "title": alert.title if shows_title or show_body else envelope_title(alert),
        "organisation": recipient.organisation,
        "acknowledgement": acknowledgement,
        "just_acknowledged": created,
        "body_html": mark_safe(render_markdown(alert.body)) if show_body else "",  # noqa: S308
    }
    return render(request, "alerts/acknowledge.html", context)


@require_POST
def acknowledge(request, pk):
    alert = _visible_alert_or_404(request.user, pk)
    recipient = acknowledgements.recipient_of(alert, request.user)
    if recipient is None:
        raise PermissionDenied(_("This alert was not sent to your organisation."))
    acknowledgement, created = acknowledgements.acknowledge(
        recipient, AcknowledgementVia.PORTAL, by_user=request.user
    )
    if created:
        messages.success(
            request,
            _("Receipt confirmed for %(organisation)s.") % {"organisation": recipient.organisation},
        )
    else:
        messages.info(
            request,
            _("%(organisation)s had already confirmed receipt on %(time)s.")
            % {
                "organisation": recipient.organisation,
                "time": timezone.localtime(acknowledgement.acknowledged_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return redirect("alerts:detail", pk=alert.pk)
