"""`{% item_exports kind item %}`: the item's machine-readable downloads (STIX 2.1, MISP), shown only to a
reader the exports themselves would serve (`intel.access.may_export`), so no button leads to a refusal."""

from __future__ import annotations

from django import template

from ceptoar.intel import access

register = template.Library()


@register.inclusion_tag("intel/_item_exports.html", takes_context=True)
def item_exports(context, kind: str, item):
    return {"shown": access.may_export(context["request"].user, item), "kind": kind, "item": item}
