"""Analysts' changes to an item's observables (観測値の手動編集): add one, remove one, retype one. Each asks
the policy whether the user may see the item (refused as if it did not exist), then whether the user may
edit its observables (`intel.access`); each is one transaction.

A removed value that the text still holds keeps its sighting, marked `removed`, so the next extraction does
not bring it back; a value an analyst added (MANUAL) is deleted outright. Retyping is a removal of the
value as it was typed and an addition of the same text as the new type (an extracted `setup.zip` that is a
file name, not a domain): the extraction's guess stays removed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ceptoar.intel import extraction
from ceptoar.intel.access import may_edit_observables
from ceptoar.intel.index import attribution, item_field, observable_for
from ceptoar.intel.models import ObservableType, Sighting, SightingSource
from ceptoar.sharing import policy


def item_of(sighting: Sighting):
    return getattr(sighting, sighting.item_field)


def require_editor(user, item) -> None:
    if not policy.may_see(user, item):
        # Told as little as a stranger is: the views answer 404 before asking.
        raise PermissionDenied(_("No such item."))
    if not may_edit_observables(user, item):
        raise PermissionDenied(_("Only the makers of this item may change its observables."))


def _normalised(type_: str, value: str, field: str = "value") -> str:
    if type_ not in ObservableType.values:
        raise ValidationError({"type": [_("Choose a type of observable.")]})
    try:
        return extraction.validate(type_, value)
    except ValueError as error:
        raise ValidationError({field: [str(error)]}) from None


def _put(user, item, type_: str, value: str) -> Sighting:
    """A MANUAL sighting of the value on the item, or refused if the item already carries it."""
    observable = observable_for(type_, value)
    kind = item_field(item)
    existing = Sighting.objects.filter(observable=observable, **{kind: item}).first()
    if existing is not None and not existing.removed:
        raise ValidationError(
            {"value": [_("“%(value)s” is already an observable of this item.") % {"value": value}]}
        )
    if existing is not None:
        # Brought back by hand: it is the analyst's now, whatever found it first.
        existing.removed = False
        existing.source = SightingSource.MANUAL
        existing.added_by = user
        existing.save(update_fields=["removed", "source", "added_by", "updated_at"])
        return existing
    return Sighting.objects.create(
        observable=observable,
        **{kind: item},
        **attribution(item),
        source=SightingSource.MANUAL,
        context="manual",
        added_by=user,
    )


@transaction.atomic
def do_add_observable(user, item, type: str, value: str) -> Sighting:
    require_editor(user, item)
    return _put(user, item, type, _normalised(type, value))


def _take_away(user, sighting: Sighting) -> None:
    if sighting.source == SightingSource.MANUAL:
        sighting.delete()
    else:
        sighting.removed = True
        sighting.added_by = user
        sighting.save(update_fields=["removed", "added_by", "updated_at"])


@transaction.atomic
def do_remove_observable(user, sighting: Sighting) -> None:
    sighting = Sighting.objects.select_for_update().get(pk=sighting.pk)
    require_editor(user, item_of(sighting))
    if sighting.removed:
        return
    _take_away(user, sighting)


@transaction.atomic
def do_retype_observable(user, sighting: Sighting, new_type: str) -> Sighting:
    sighting = Sighting.objects.select_for_update().select_related("observable").get(pk=sighting.pk)
    item = item_of(sighting)
    require_editor(user, item)
    if new_type == sighting.observable.type:
        raise ValidationError({"type": [_("The observable already has this type.")]})
    value = _normalised(new_type, sighting.observable.value, field="type")
    _take_away(user, sighting)
    return _put(user, item, new_type, value)
