"""Tagging reports and failure cases with ATT&CK techniques (ATT&CKテクニック) that came in with a STIX bundle.

A tag is a sighting, on the item, of the observable of type `attack-technique` whose value is the technique's
id (T0886), source MANUAL, so that correlation and the exports read tags like any other observable. Only a
technique that exists (imported: `Technique`) can be tagged. Who may tag: whoever may see the item
(`sharing.policy.may_see`) and also works on it — a report: the secretariat of the CEPTOAR it was sent to
(`reports.access.can_triage`); a case: the secretariat that makes it (its origin organisation, whatever the
case's status). Removing a tag marks the sighting removed, like any analyst's removal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.access import ceptoars_served_by
from ceptoar.intel.index import observable_ids
from ceptoar.intel.models import (
    ObservableType,
    Sighting,
    SightingSource,
    Technique,
    observable_key,
)
from ceptoar.reports import access as report_access
from ceptoar.reports.models import Case, Report
from ceptoar.sharing import policy

TECHNIQUE_ID = re.compile(r"^\s*(T\d{4}(?:\.\d{3})?)\b", re.IGNORECASE)


def item_field(item) -> str:
    if isinstance(item, Report):
        return "report"
    if isinstance(item, Case):
        return "case"
    raise TypeError(f"techniques tag reports and failure cases, not {type(item).__name__}")


def may_tag(user, item) -> bool:
    if not policy.may_see(user, item):
        return False
    if isinstance(item, Report):
        return report_access.can_triage(user, item)
    return ceptoars_served_by(user).filter(pk=item.origin_organisation_id).exists()


def find_technique(text: str) -> Technique | None:
    """The technique a picker's text names: its id first ("T0886" or "t0886 Remote Services"), else its
    exact name (case-insensitive)."""
    text = (text or "").strip()
    if not text:
        return None
    match = TECHNIQUE_ID.match(text)
    if match:
        return Technique.objects.filter(external_id=match.group(1).upper()).first()
    return Technique.objects.filter(name__iexact=text).order_by("deprecated", "external_id").first()


def search(text: str, limit: int = 20) -> list[Technique]:
    """Techniques whose id or name contains `text`, live ones first."""
    text = (text or "").strip()
    queryset = Technique.objects.order_by("deprecated", "external_id")
    if text:
        queryset = queryset.filter(Q(external_id__icontains=text) | Q(name__icontains=text))
    return list(queryset[:limit])


def _owner(item) -> tuple[int | None, int | None]:
    if isinstance(item, Report):
        return item.organisation_id, item.organisation.sector_id
    return item.origin_organisation_id, item.sector_id


@dataclass(frozen=True)
class Tag:
    technique: Technique | None
    external_id: str
    sighting_id: int


def item_tags(item) -> list[Tag]:
    """The techniques an item is tagged with (removed tags left out), by id."""
    rows = list(
        Sighting.objects.filter(
            **{item_field(item): item}, removed=False, observable__type=ObservableType.TECHNIQUE
        )
        .order_by("observable__value")
        .values_list("pk", "observable__value")
    )
    techniques = Technique.objects.in_bulk([value for _pk, value in rows], field_name="external_id")
    return [Tag(techniques.get(value), value, pk) for pk, value in rows]


def do_tag_technique(user, item, external_id: str) -> Sighting:
    """Tag `item` with the imported technique `external_id` (or its picker text)."""
    field = item_field(item)
    if not may_tag(user, item):
        raise PermissionDenied(_("Only those who work on this item may tag it with techniques."))
    technique = find_technique(external_id)
    if technique is None:
        raise ValidationError(
            _(
                "No imported ATT&CK technique matches “%(text)s”. Import the ATT&CK bundle first (STIX imports)."
            )
            % {"text": (external_id or "").strip()[:60]}
        )
    value = technique.external_id.upper()
    organisation_id, sector_id = _owner(item)
    with transaction.atomic():
        observable_id = observable_ids([(ObservableType.TECHNIQUE, value)])[
            observable_key(ObservableType.TECHNIQUE, value)
        ]
        sighting, created = Sighting.objects.select_for_update().get_or_create(
            observable_id=observable_id,
            **{field: item},
            defaults={
                "organisation_id": organisation_id,
                "sector_id": sector_id,
                "seen_at": timezone.now(),
                "source": SightingSource.MANUAL,
                "context": "technique",
                "added_by": user,
            },
        )
        if not created and sighting.removed:
            sighting.removed = False
            sighting.added_by = user
            sighting.save(update_fields=["removed", "added_by", "updated_at"])
    return sighting


def do_untag_technique(user, item, external_id: str) -> bool:
    """Remove the tag (the sighting is kept, marked removed). False if the item was not tagged with it."""
    field = item_field(item)
    if not may_tag(user, item):
        raise PermissionDenied(_("Only those who work on this item may tag it with techniques."))
    value = (external_id or "").strip().upper()
    with transaction.atomic():
        changed = Sighting.objects.filter(
            **{field: item},
            observable__key=observable_key(ObservableType.TECHNIQUE, value),
            removed=False,
        ).update(removed=True, added_by=user, updated_at=timezone.now())
    return changed > 0
