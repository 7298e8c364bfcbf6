"""`{% item_observables item %}`: an item's observables (type, value, warning-list mark, source), with the
add, remove and retype controls for those who may edit them (`intel.access`). An alert's are shown only to
those who may read its content; a relay shows its root's (they are the same text), without controls."""

from __future__ import annotations

from django import template

from ceptoar.alerts.models import Alert
from ceptoar.intel.access import may_edit_observables
from ceptoar.intel.forms.observables import AddObservableForm
from ceptoar.intel.index import item_field
from ceptoar.intel.models import ObservableType, Sighting
from ceptoar.sharing import policy

register = template.Library()


def readable(user, item) -> bool:
    if isinstance(item, Alert):
        return policy.may_read_content(user, item)
    return policy.may_see(user, item)


def shown_item(item):
    """Whose sightings the item shows: a relay's are its root's."""
    if isinstance(item, Alert) and (item.root_id or item.parent_id):
        return item.root or item.parent
    return item


def observables_context(user, item, add_form=None) -> dict:
    shown = shown_item(item)
    may_edit = may_edit_observables(user, item)
    sightings = (
        Sighting.objects.filter(**{item_field(shown): shown})
        .select_related("observable")
        .order_by("observable__type", "observable__value")
    )
    if not may_edit:
        sightings = sightings.filter(removed=False)
    return {
        "sightings": list(sightings),
        "may_edit": may_edit,
        "add_form": add_form if add_form is not None else (AddObservableForm() if may_edit else None),
        "type_choices": ObservableType.choices,
        "kind": item_field(shown),
        "item_pk": shown.pk,
    }


@register.inclusion_tag("intel/_item_observables.html", takes_context=True)
def item_observables(context, item):
    request = context.get("request")
    user = getattr(request, "user", None)
    if item is None or user is None or not user.is_authenticated or not readable(user, item):
        return {"hidden": True}
    if getattr(item, "status", "") == "draft":
        return {"hidden": True}  # a draft's values are indexed when it is published or sent
    values = observables_context(user, item)
    values["next"] = request.get_full_path()
    values["csrf_token"] = context.get("csrf_token")
    return values
