"""Indicator sets (指標セット) made and changed by hand, and the one writer of a set's observables that the
MISP import shares: who may change a set, creating one, adding and removing values, withdrawing it.

Values pasted by a person get their type from `guess_type`, which asks `intel.extraction`: a pasted value is
typed and normalised exactly as the same value found in a report would be, so the two correlate.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ceptoar.accounts.access import is_active_member
from ceptoar.accounts.models import Role
from ceptoar.intel import extraction
from ceptoar.intel.index import observable_ids
from ceptoar.intel.models import (
    IndicatorSet,
    IndicatorSetStatus,
    ObservableType,
    Sighting,
    SightingSource,
    observable_key,
)
from ceptoar.sharing.models import Audience, Tlp
from ceptoar.sharing.policy import at_users_organisation

EDITING_ROLES = (Role.SECRETARIAT, Role.HUB_STAFF, Role.MEMBER_ANALYST)


def _refuse(message: str, field: str | None = None) -> ValidationError:
    """A refusal the pages show on the form's field (`utilities.refusals`); nothing was changed."""
    return ValidationError({field: message} if field else message)


def may_create_indicator_set(user) -> bool:
    return is_active_member(user) and user.has_role(*EDITING_ROLES)


def may_edit_indicator_set(user, indicator_set: IndicatorSet) -> bool:
    """The secretariat, hub staff and analysts of the set's origin organisation (or of the organisation
    that runs its CEPTOAR's secretariat), while the set is not withdrawn."""
    if not may_create_indicator_set(user) or indicator_set.status == IndicatorSetStatus.WITHDRAWN:
        return False
    return (
        IndicatorSet.objects.filter(pk=indicator_set.pk)
        .filter(at_users_organisation(user, "origin_organisation_id"))
        .exists()
    )


# -- the type of a pasted value -------------------------------------------------------------------

# The types a pasted value is tried as, most particular first: a hash is never a file name, a URL never a
# domain, and a name like `invoice.zip` is a file before it is a domain (extraction decides the same way).
_GUESS_ORDER = (
    ObservableType.IPV4,
    ObservableType.IPV6,
    ObservableType.SHA256,
    ObservableType.SHA1,
    ObservableType.MD5,
    ObservableType.CVE,
    ObservableType.TECHNIQUE,
    ObservableType.URL,
    ObservableType.EMAIL,
)


def guess_type(value: str) -> tuple[str, str] | None:
    """(type, normalised value) of one pasted value (defanged or not), or None if it is no observable:
    what extraction finds spanning the whole value, else the first type whose check accepts it."""
    value = value.strip()
    if not value:
        return None
    for found in extraction.extract(value):
        if any(start == 0 and end == len(value) for start, end in found.spans):
            return found.type, found.value
    for kind in _GUESS_ORDER:
        try:
            return kind, extraction.validate(kind, value)
        except ValueError:
            continue
    return None


@dataclass
class PastedValues:
    found: list[tuple[str, str]]
    unknown: list[str]


def read_pasted(text: str) -> PastedValues:
    """Values one per line: each typed, or listed as unknown (with its line, for the form's error)."""
    found: list[tuple[str, str]] = []
    unknown: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        guessed = guess_type(line)
        if guessed is None:
            unknown.append(_("line %(number)s: %(text)s") % {"number": number, "text": line[:80]})
        elif guessed not in found:
            found.append(guessed)
    return PastedValues(found, unknown)


# -- the writer of a set's observables ------------------------------------------------------------


def add_sightings(
    indicator_set: IndicatorSet,
    values: list[tuple[str, str, str]],
    *,
    source: str,
    user=None,
) -> int:
    """Put (type, value, context) on the set, once per value; a value removed before comes back. Returns how
    many values are new on the set. Call inside the caller's transaction."""
    contexts: dict[tuple[str, str], str] = {}
    for kind, value, context in values:
        contexts.setdefault((kind, value), context)
    keys = observable_ids(contexts)
    stored = {pair: keys[observable_key(*pair)] for pair in contexts}
    present = {
        s.observable_id: s
        for s in Sighting.objects.filter(indicator_set=indicator_set, observable_id__in=stored.values())
    }
    organisation = indicator_set.origin_organisation
    now = timezone.now()
    new = []
    for pair, observable_id in stored.items():
        sighting = present.get(observable_id)
        if sighting is None:
            new.append(
                Sighting(
                    observable_id=observable_id,
                    indicator_set=indicator_set,
                    organisation=organisation,
                    sector_id=organisation.sector_id,
                    seen_at=now,
                    source=source,
                    context=contexts[pair][:200],
                    added_by=user,
                )
            )
        elif sighting.removed:
            sighting.removed = False
            sighting.added_by = user
            sighting.save(update_fields=["removed", "added_by", "updated_at"])
    Sighting.objects.bulk_create(new)
    return len(new)


# -- the services --------------------------------------------------------------------------------


def _require_editor(user, indicator_set: IndicatorSet) -> None:
    if not may_edit_indicator_set(user, indicator_set):
        raise _refuse(_("You may not change this indicator set."))


def do_create_indicator_set(
    user, *, title: str, description: str = "", tlp: str = Tlp.AMBER, values: str = ""
):
    """A draft set of the user's organisation with the pasted values (one per line). Refused, storing
    nothing, if a line is not a value of a known type."""
    if not may_create_indicator_set(user):
        raise _refuse(_("You may not make indicator sets."))
    if not title.strip():
        raise _refuse(_("Give the set a title."), "title")
    pasted = read_pasted(values)
    if pasted.unknown:
        raise _refuse(
            _("Not a value of a known type: %(lines)s") % {"lines": "; ".join(pasted.unknown[:10])}, "values"
        )
    with transaction.atomic():
        indicator_set = IndicatorSet.objects.create(
            title=title.strip(),
            description=description,
            tlp=tlp,
            audience=Audience.objects.create(),
            origin_organisation=user.organisation,
            author=user,
        )
        add_sightings(
            indicator_set,
            [(k, v, "entered") for k, v in pasted.found],
            source=SightingSource.MANUAL,
            user=user,
        )
    return indicator_set


def do_add_values(user, indicator_set: IndicatorSet, values: str) -> int:
    """Add pasted values (one per line) to a set; returns how many were new."""
    _require_editor(user, indicator_set)
    pasted = read_pasted(values)
    if pasted.unknown:
        raise _refuse(
            _("Not a value of a known type: %(lines)s") % {"lines": "; ".join(pasted.unknown[:10])}, "values"
        )
    if not pasted.found:
        raise _refuse(_("Paste at least one value."), "values")
    with transaction.atomic():
        added = add_sightings(
            indicator_set,
            [(k, v, "entered") for k, v in pasted.found],
            source=SightingSource.MANUAL,
            user=user,
        )
        IndicatorSet.objects.filter(pk=indicator_set.pk).update(updated_at=timezone.now())
    return added


def do_remove_value(user, indicator_set: IndicatorSet, sighting_id: int) -> Sighting:
    """Mark one value of the set removed (kept, so that the removal is seen and not undone by a re-import)."""
    _require_editor(user, indicator_set)
    with transaction.atomic():
        sighting = (
            Sighting.objects.select_for_update().filter(indicator_set=indicator_set, pk=sighting_id).first()
        )
        if sighting is None:
            raise _refuse(_("This value is not on the set."))
        sighting.removed = True
        sighting.added_by = user
        sighting.save(update_fields=["removed", "added_by", "updated_at"])
    return sighting


def do_withdraw(user, indicator_set: IndicatorSet) -> IndicatorSet:
    """Withdraw a set: it stays where it was made, for the record, and is seen nowhere else."""
    _require_editor(user, indicator_set)
    with transaction.atomic():
        IndicatorSet.objects.filter(pk=indicator_set.pk).update(
            status=IndicatorSetStatus.WITHDRAWN, updated_at=timezone.now()
        )
    indicator_set.refresh_from_db()
    return indicator_set


def alert_initial(user, indicator_set_id) -> dict | None:
    """What the alert compose page starts with when a set is shared as an alert (`?from_indicator_set=ID`):
    its title, its TLP, and its values one per line in the body. None if there is no such set the user may
    see (the page then starts empty, saying nothing of the set)."""
    from ceptoar.sharing.policy import visible_indicator_sets

    try:
        pk = int(indicator_set_id)
    except (TypeError, ValueError):
        return None
    indicator_set = visible_indicator_sets(user).filter(pk=pk).first()
    if indicator_set is None:
        return None
    values = (
        Sighting.objects.filter(indicator_set=indicator_set, removed=False)
        .order_by("observable__type", "observable__value")
        .values_list("observable__type", "observable__value")
    )
    labels = dict(ObservableType.choices)
    lines = [f"- {labels.get(kind, kind)}: `{value}`" for kind, value in values]
    body = "\n".join([indicator_set.description, "", *lines]).strip() + "\n"
    return {"title": indicator_set.title, "tlp": indicator_set.tlp, "body": body}
