"""Look before sending: what publishing a saved draft will do, said on one page before the second click.

One click used to send to 1,747 organisations. Now publishing (a sender's own draft, or the second person's
approval) first shows `preview_send`: the marking, and every organisation that may see the alert counted by
kind and by how it gets it — delivered now, with messages sent and receipt tracked (the publication's
`Recipient` and `Delivery` rows, exactly); reached later by a relay down the chain; or visible on the portal
only, with nothing delivered — built on `alerts.reach`, which answers the same for the compose page.

The page carries the preview's `token`, a keyed hash of the draft as shown (its content, marking, caveats,
attachments and audience) and of the reach as counted. The service that publishes recomputes it with the
draft locked (`require_preview`) and refuses a token that no longer matches: a draft edited, an audience
changed, or a registry that now reaches other organisations since the page was drawn gets a new preview,
never a send of something nobody looked at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ceptoar.alerts.hops import publication_recipients
from ceptoar.alerts.models import Alert
from ceptoar.alerts.reach import Reach, reach_of
from ceptoar.channels import registry as channel_registry
from ceptoar.registry.models import POC_ROLES, ContactChannel, Organisation, OrganisationKind
from ceptoar.sharing import policy
from ceptoar.sharing.models import Tlp

STALE_PREVIEW = "stale_preview"

# The rows of the preview's table, in the order of the chain (a hop down each line).
KIND_ROWS = (
    (OrganisationKind.HUB, gettext_lazy("National hub")),
    (OrganisationKind.MINISTRY, gettext_lazy("Ministries")),
    (OrganisationKind.COUNCIL, gettext_lazy("Councils")),
    (OrganisationKind.CEPTOAR, gettext_lazy("CEPTOARs")),
    (OrganisationKind.SUBGROUP, gettext_lazy("Sub-groups and relay hubs")),
    (OrganisationKind.MEMBER, gettext_lazy("Member operators")),
    (OrganisationKind.RELATED_BODY, gettext_lazy("Related bodies")),
)


@dataclass
class KindRow:
    label: str
    delivered: int = 0
    relayed: int = 0
    visible_only: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.relayed + self.visible_only


@dataclass
class SendPreview:
    alert: Alert
    reach: Reach
    rows: list[KindRow] = field(default_factory=list)
    people: KindRow | None = None
    messages: int = 0
    token: str = ""

    @property
    def delivered(self) -> int:
        return len(self.reach.delivered_ids)

    @property
    def relayed(self) -> int:
        return len(self.reach.relayed_ids)

    @property
    def visible_only(self) -> int:
        return len(self.reach.visible_only_ids)


def _by_kind(ids: set[int]) -> dict[str, int]:
    if not ids:
        return {}
    rows = Organisation.objects.filter(pk__in=ids).values("kind").annotate(n=Count("pk")).order_by()
    return {row["kind"]: row["n"] for row in rows}


def _messages(alert: Alert, delivered: set[int]) -> int:
    """The deliveries the publication will write: as `channels.services.fanout.create_deliveries` selects
    them (each e-mail, webhook and chat channel of the active primary and 24/7 points of contact), plus a
    TLP:RED alert's notices to its named people."""
    count = 0
    if delivered:
        count = ContactChannel.objects.filter(
            contact__organisation_id__in=delivered,
            contact__is_active=True,
            contact__role__in=list(POC_ROLES),
            kind__in=list(channel_registry.kinds()),
        ).count()
    if alert.tlp == Tlp.RED:
        count += alert.audience.people.filter(is_active=True).exclude(email="").count()
    return count


def _content(alert: Alert, new: bool) -> list:
    """What the sender reads on the preview and confirms: a change to any of it asks again. A `new` alert's
    id is left out: it is written only when the confirmation publishes it (`preview_new`)."""
    audience = alert.audience

    def ids(relation) -> list[int]:
        return sorted(relation.values_list("pk", flat=True))

    return [
        None if new else alert.pk,
        alert.status,
        alert.title,
        alert.body,
        alert.category,
        alert.severity,
        alert.tlp,
        alert.no_onward_relay,
        alert.relay_needs_originator_approval,
        alert.requires_approval,
        alert.references,
        alert.corrects_id,
        alert.correction_note,
        alert.relay_note,
        sorted(alert.attachments.values_list("sha256", "name")),
        [
            audience.community,
            ids(audience.sectors),
            ids(audience.ceptoars),
            ids(audience.subgroups),
            ids(audience.organisations),
            ids(audience.people),
        ],
    ]


def _token(alert: Alert, reach: Reach, messages: int, new: bool) -> str:
    counted = [
        sorted(reach.delivered_ids),
        sorted(reach.relayed_ids),
        sorted(reach.visible_only_ids),
        reach.visible_only_people,
        reach.people_notified,
        messages,
        reach.refused,
    ]
    text = json.dumps([_content(alert, new), counted], default=str, ensure_ascii=False)
    return salted_hmac("ceptoar.alerts.preview", text, algorithm="sha256").hexdigest()[:40]


def preview_send(alert: Alert, *, new: bool = False) -> SendPreview:
    """What publishing `alert` (a draft, or one awaiting approval) will do now. Writes nothing. `new`: the
    draft exists only for this preview (`preview_new`), and its token does not depend on its id."""
    reach = reach_of(
        alert.origin_organisation,
        alert.audience,
        alert.tlp,
        alert.category,
        no_onward_relay=alert.no_onward_relay,
    )
    if alert.exercise_id is not None or alert.corrects_id is not None:
        # Exactly the rows the publication will write (an exercise's participants, a correction's original
        # recipients): what is left out is no longer delivered now.
        reach.delivered_ids &= set(publication_recipients(alert).values_list("pk", flat=True))
    delivered, relayed, visible = (
        _by_kind(reach.delivered_ids),
        _by_kind(reach.relayed_ids),
        _by_kind(reach.visible_only_ids),
    )
    preview = SendPreview(alert=alert, reach=reach)
    for kind, label in KIND_ROWS:
        row = KindRow(str(label), delivered.get(kind, 0), relayed.get(kind, 0), visible.get(kind, 0))
        if row.total:
            preview.rows.append(row)
    if reach.people_notified or reach.visible_only_people:
        preview.people = KindRow(
            _("Named people"), delivered=reach.people_notified, visible_only=reach.visible_only_people
        )
    preview.messages = _messages(alert, reach.delivered_ids)
    preview.token = _token(alert, reach, preview.messages, new)
    return preview


def preview_new(build: Callable[[], Alert], reader) -> SendPreview:
    """The preview of an alert that a one-click sender (a situation summary, a shared analysis) creates and
    publishes in the same step. `build()` writes the draft as the confirmation will; it is rolled back here,
    so looking writes nothing, and the confirmation recomputes the token on the draft it writes then
    (`require_preview(..., new=True)`). Refusals of `build` (a bad audience, ...) propagate unchanged.
    `reader` is the person who will confirm."""
    with transaction.atomic():
        point = transaction.savepoint()
        try:
            alert = build()
            preview = preview_send(alert, new=True)
            # Asked while the alert exists: the page shows `reader` its title or, where `reader` only
            # passes an envelope on (an AMBER+STRICT relay by an intermediate hop), the envelope's words.
            alert.content_readable = policy.may_read_content(reader, alert)
        finally:
            transaction.savepoint_rollback(point)
    return preview


class StalePreview(ValidationError):
    """The draft or its reach changed since the preview the person confirmed; `preview` is the new one."""

    def __init__(self, preview: SendPreview) -> None:
        super().__init__(
            {
                "confirm": _(
                    "Nothing was sent: the alert or whom it reaches changed since you previewed it. Check the new "
                    "preview below and confirm again."
                )
            },
            code=STALE_PREVIEW,
        )
        self.preview = preview


def require_preview(alert: Alert, token: str | None, *, new: bool = False, reader=None) -> None:
    """Refuse (StalePreview, before anything is written) unless `token` is the preview of `alert` as it
    stands now; `new` as in `preview_send`, `reader` as in `preview_new`. None skips the check: the services' other callers (an exercise
    inject, the API) publish what their own step already showed."""
    if token is None:
        return
    preview = preview_send(alert, new=new)
    if not constant_time_compare(preview.token, token):
        if reader is not None:
            # A `new` alert is rolled back with the refusal: its new preview is read as `preview_new` reads.
            alert.content_readable = policy.may_read_content(reader, alert)
        raise StalePreview(preview)
