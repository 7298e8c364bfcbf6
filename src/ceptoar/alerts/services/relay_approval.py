"""Relaying an alert marked "originator approval needed to relay": ask, then the originator grants or refuses.

1. The relaying organisation asks (`do_ask`) with the relay it intends (note, marking, audience), checked as
   a relay would be; the originator's points of contact and senders are e-mailed, and the request shows on
   the alert's page.
2. The originator (the organisation that sent the original, where the caveat was set) grants (`do_grant`):
   the relay goes at once, as the asker's relay in the asker's name, exactly as asked; or refuses with a
   reason (`do_refuse`) and nothing is sent. Either way the asker is told, and both steps stay on record
   (`alerts.models.RelayApproval`).

`publication.relay` lets a relay of such an alert through only when a granted request of the relaying
organisation exists, which is the grant's own relay.

An alert that reached the asker across a sharing agreement (not down its own chain) may be relayed only while
that agreement is in force: asking and granting both check it (`agreements.flows.flow`).
"""

from __future__ import annotations

from dataclasses import asdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts import access
from ceptoar.accounts.models import User
from ceptoar.agreements import flows
from ceptoar.alerts.models import Alert, RelayApproval, RelayApprovalStatus, Status
from ceptoar.alerts.services import publication
from ceptoar.alerts.services.audience import AudienceSpec, build_audience
from ceptoar.notifications import events as notify
from ceptoar.registry.models import Membership, Organisation, OrganisationKind, Oversight
from ceptoar.sharing import policy

# How long a reason may be: it is read on a page and in an e-mail, not a report.
REASON_MAX = 2000


class _DryRun(Exception):
    """Undoes the audience rows written only to check an intended relay."""


def originator_of(alert: Alert) -> Organisation:
    """The organisation that sent the original of this chain: the caveat is its, and so is the decision."""
    return (alert.root or alert).origin_organisation


def _in_chain(sender: Organisation, receiver: Organisation) -> bool:
    """Whether `receiver` is below `sender` in the downward chain (hub → ministries → CEPTOARs → sub-groups →
    members), so that an alert from `sender` reaches it without any agreement."""
    if sender.kind == OrganisationKind.HUB:
        return receiver.kind != OrganisationKind.HUB
    if sender.kind == OrganisationKind.MINISTRY:
        overseen = Oversight.objects.filter(ministry=sender).values("ceptoar_id")
        return Organisation.objects.filter(
            Q(pk__in=overseen) | Q(kind=OrganisationKind.SUBGROUP, parent_id__in=overseen), pk=receiver.pk
        ).exists()
    if sender.kind == OrganisationKind.CEPTOAR:
        return (
            receiver.parent_id == sender.pk
            or Membership.objects.filter(ceptoar=sender, member=receiver).exists()
        )
    if sender.kind == OrganisationKind.SUBGROUP:
        return Membership.objects.filter(via=sender, member=receiver).exists()
    return False


def _check_agreement(parent: Alert, asker: Organisation) -> None:
    sender = parent.origin_organisation
    if _in_chain(sender, asker) or flows.flow(sender.pk, asker.pk) is not None:
        return
    raise ValidationError(
        {
            "parent": _(
                "This alert reached %(asker)s from %(sender)s under a sharing agreement that is no longer in "
                "force: it may not be relayed."
            )
            % {"asker": asker.name, "sender": sender.name}
        }
    )


def _check_intended_relay(parent: Alert, spec: AudienceSpec, tlp: str) -> None:
    """The relay's marking and audience, checked as `publication.relay` will check them, writing nothing."""
    try:
        with transaction.atomic():
            policy.validate_relay(parent, tlp, build_audience(spec, tlp))
            raise _DryRun
    except _DryRun:
        pass


def _spec_from(data: dict) -> AudienceSpec:
    fields = AudienceSpec.__dataclass_fields__
    return AudienceSpec(**{name: value for name, value in data.items() if name in fields})


@transaction.atomic
def do_ask(
    parent: Alert,
    user: User,
    *,
    note: str = "",
    audience: AudienceSpec | None = None,
    tlp: str | None = None,
) -> RelayApproval:
    """Ask the originator to let `user`'s organisation relay `parent` as described. Refused (ValidationError
    by field, nothing written; PermissionDenied for who may not relay it) as a relay would be, and when the
    alert needs no approval or a request is already waiting."""
    access.require_sender(user)
    asker = user.organisation
    parent = Alert.objects.select_related("origin_organisation", "root__origin_organisation", "audience").get(
        pk=parent.pk
    )
    if parent.status != Status.PUBLISHED:
        raise ValidationError({"status": _("Only a published alert can be relayed.")})
    if not policy.may_see(user, parent):
        raise PermissionDenied(_("You cannot relay an alert you have not received."))
    if parent.origin_organisation_id == asker.pk:
        raise ValidationError(
            {"parent": _("An organisation does not relay its own alert; edit or resend it.")}
        )
    if not policy.relay_needs_approval(parent):
        raise ValidationError({"parent": _("This alert needs no approval to be relayed: relay it directly.")})
    if Alert.objects.filter(parent=parent, origin_organisation=asker).exists():
        raise ValidationError({"parent": _("Your organisation has already relayed this alert.")})
    waiting = RelayApproval.objects.filter(
        parent=parent, asking_organisation=asker, status=RelayApprovalStatus.PENDING
    ).first()
    if waiting is not None:
        raise ValidationError(
            {
                "parent": _("Your organisation asked on %(date)s; the originator has not answered yet.")
                % {"date": timezone.localtime(waiting.asked_at).strftime("%Y-%m-%d %H:%M")}
            }
        )
    _check_agreement(parent, asker)
    tlp = tlp or parent.tlp
    spec = audience if audience is not None and not audience.is_empty() else None
    spec = spec or publication.default_relay_audience(asker, parent)
    _check_intended_relay(parent, spec, tlp)
    approval = RelayApproval.objects.create(
        parent=parent,
        asking_organisation=asker,
        asked_by=user,
        note=(note or "").strip(),
        tlp=tlp,
        audience_spec=asdict(spec),
    )
    _notify_originator(approval)
    return approval


def may_decide(user, approval: RelayApproval) -> bool:
    """The originator's senders answer a request."""
    return access.can_send_alerts(user) and user.organisation_id == originator_of(approval.parent).pk


def _take_pending(approval: RelayApproval, user) -> RelayApproval:
    approval = RelayApproval.objects.select_for_update().get(pk=approval.pk)
    approval.parent = Alert.objects.select_related(
        "origin_organisation", "root__origin_organisation", "audience"
    ).get(pk=approval.parent_id)
    if not may_decide(user, approval):
        raise PermissionDenied(_("Only the originator of this alert decides whether it may be relayed."))
    if approval.status != RelayApprovalStatus.PENDING:
        raise ValidationError(
            {
                "status": _("This request has already been answered: %(status)s.")
                % {"status": approval.get_status_display()}
            }
        )
    return approval


@transaction.atomic
def do_grant(approval: RelayApproval, user: User, *, reason: str = "") -> RelayApproval:
    """Grant the request and send the relay as asked, in the asker's name; all of it or nothing (a relay
    that can no longer go, e.g. the agreement ended, refuses the grant with its reason)."""
    approval = _take_pending(approval, user)
    parent, asker = approval.parent, approval.asking_organisation
    if approval.asked_by.organisation_id != asker.pk or not approval.asked_by.is_active:
        raise ValidationError(
            {
                "parent": _(
                    "The person who asked no longer acts for %(asker)s: refuse, and let them ask again."
                )
                % {"asker": asker.name}
            }
        )
    _check_agreement(parent, asker)
    approval.status = RelayApprovalStatus.GRANTED
    approval.decided_by, approval.decided_at = user, timezone.now()
    approval.reason = (reason or "").strip()[:REASON_MAX]
    approval.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    approval.relay = publication.relay(
        parent,
        approval.asked_by,
        note=approval.note,
        audience=_spec_from(approval.audience_spec),
        tlp=approval.tlp,
    )
    approval.save(update_fields=["relay"])
    _notify_asker(approval)
    return approval


@transaction.atomic
def do_refuse(approval: RelayApproval, user: User, *, reason: str) -> RelayApproval:
    """Refuse the request, saying why; nothing is relayed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the relay is refused: the asking organisation reads it.")}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep the reason under %(limit)s characters.") % {"limit": REASON_MAX}}
        )
    approval = _take_pending(approval, user)
    approval.status = RelayApprovalStatus.REFUSED
    approval.decided_by, approval.decided_at, approval.reason = user, timezone.now(), reason
    approval.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    _notify_asker(approval)
    return approval


# -- what the alert's page shows -------------------------------------------------------------------


def requests_to_decide(alert: Alert, user) -> QuerySet[RelayApproval]:
    """On the original's page, for its originator's senders: every request made on any alert of its chain."""
    if alert.parent_id is not None or not access.can_send_alerts(user):
        return RelayApproval.objects.none()
    if alert.origin_organisation_id != user.organisation_id:
        return RelayApproval.objects.none()
    return (
        RelayApproval.objects.filter(Q(parent=alert) | Q(parent__root=alert))
        .select_related(
            "asking_organisation", "asked_by", "decided_by", "relay", "parent__origin_organisation"
        )
        .order_by("status", "-asked_at")
    )


def our_requests(alert: Alert, user) -> QuerySet[RelayApproval]:
    """The requests the user's organisation made to relay this alert, newest first."""
    if not access.is_active_member(user):
        return RelayApproval.objects.none()
    return (
        RelayApproval.objects.filter(parent=alert, asking_organisation_id=user.organisation_id)
        .select_related("asked_by", "decided_by", "relay")
        .order_by("-asked_at", "-id")
    )


# -- notices: the notifications area writes them (portal and e-mail, once this commits) ----------------


def _notify_originator(approval: RelayApproval) -> list[str]:
    return notify.relay_approval_asked(approval)


def _notify_asker(approval: RelayApproval) -> list[str]:
    return notify.relay_approval_answered(approval)
