"""Correcting a published alert (訂正版): a new alert that replaces it, linked to it, to the same recipients.

The correction is written as a draft of the sending organisation (its authorised staff only) and published
like any alert, behind its send preview: with receipts tracked and escalation, under the agreements and the
council rules in force when it goes out. What it may reach is fixed by the alert it corrects:
- the same marking and category, and a copy of the same audience, so the sharing policy lets exactly the
  same organisations see it — a correction cannot widen the audience nor carry more than the agreements
  under which the original went allow now;
- delivered to the organisations the corrected alert was delivered to, and to no others
  (`alerts.hops.publication_recipients`); each relaying hop then relays the correction as it relayed the
  original.
Its title starts with `CORRECTION_MARK`, so lists, pages, e-mail subjects and relays say 訂正 without
knowing about corrections. Only an original is corrected: a relay carries its originator's words, so the
originator corrects and the relaying organisations relay the correction.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.accounts.models import User
from ceptoar.alerts.models import CORRECTION_MARK, Alert, AlertAttachment, Status
from ceptoar.alerts.services.drafts import require_own_draft
from ceptoar.sharing.models import Audience

CORRECTABLE_STATUSES = (Status.PUBLISHED, Status.CLOSED)


def unmarked(title: str) -> str:
    """The title without the correction mark (a correction of a correction is marked once)."""
    return title.removeprefix(CORRECTION_MARK).strip()


def check_correctable(alert: Alert, user: User) -> None:
    """Refuse, naming why, a correction `user` may not make of `alert`."""
    require_own_draft(alert, user)
    if alert.parent_id is not None:
        raise ValidationError(
            {
                "corrects": _(
                    "A relay is not corrected: its originator corrects the alert, and you relay the correction."
                )
            }
        )
    if alert.status not in CORRECTABLE_STATUSES:
        raise ValidationError({"corrects": _("Only a published alert can be corrected.")})


def _copy_audience(audience: Audience) -> Audience:
    copy = Audience.objects.create(community=audience.community)
    for name in ("sectors", "ceptoars", "subgroups", "organisations", "people"):
        chosen = list(getattr(audience, name).values_list("pk", flat=True))
        if chosen:
            getattr(copy, name).add(*chosen)
    return copy


@transaction.atomic
def create_correction(
    corrected: Alert,
    user: User,
    *,
    title: str,
    body: str,
    severity: str,
    correction_note: str,
    references: list[str] | None = None,
    requires_approval: bool = False,
) -> Alert:
    """The correction of `corrected`, as a draft to publish through its send preview."""
    corrected = Alert.objects.select_for_update().select_related("audience").get(pk=corrected.pk)
    check_correctable(corrected, user)
    if not correction_note.strip():
        raise ValidationError(
            {"correction_note": _("Say what was corrected: the recipients read this first.")}
        )
    alert = Alert(
        title=f"{CORRECTION_MARK}{unmarked(title)}",
        body=body,
        category=corrected.category,
        severity=severity,
        tlp=corrected.tlp,
        audience=_copy_audience(corrected.audience),
        no_onward_relay=corrected.no_onward_relay,
        relay_needs_originator_approval=corrected.relay_needs_originator_approval,
        references=references or [],
        requires_approval=requires_approval,
        origin_organisation_id=corrected.origin_organisation_id,
        author=user,
        exercise_id=corrected.exercise_id,
        corrects=corrected,
        correction_note=correction_note.strip(),
    )
    alert.full_clean(exclude=["audience", "origin_organisation", "author", "exercise", "corrects"])
    alert.save()
    # The files go with it (the same stored files: a correction changes the words, not the evidence).
    AlertAttachment.objects.bulk_create(
        AlertAttachment(
            alert=alert,
            file=attachment.file.name,
            name=attachment.name,
            content_type=attachment.content_type,
            size=attachment.size,
            sha256=attachment.sha256,
        )
        for attachment in corrected.attachments.all()
    )
    return alert
