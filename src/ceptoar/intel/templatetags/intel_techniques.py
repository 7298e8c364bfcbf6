"""On report and case pages, the item's ATT&CK techniques and the picker to tag it (`{% item_techniques item %}`):
only what the policy lets the reader see or do."""

from __future__ import annotations

from django import template

from ceptoar.intel.forms.stix import TechniqueForm
from ceptoar.intel.services import techniques
from ceptoar.sharing import policy

register = template.Library()

# The picker lists every imported technique (ATT&CK Enterprise has about 700 with sub-techniques).
PICKER_LIMIT = 2000


@register.inclusion_tag("intel/_item_techniques.html", takes_context=True)
def item_techniques(context, item):
    user = context["request"].user
    kind = techniques.item_field(item)
    if not policy.may_see(user, item):
        return {"shown": False}
    editable = techniques.may_tag(user, item)
    return {
        "shown": True,
        "kind": kind,
        "item": item,
        "tags": techniques.item_tags(item),
        "editable": editable,
        "form": TechniqueForm(auto_id=f"technique-{kind}-{item.pk}-%s") if editable else None,
        "options": techniques.search("", limit=PICKER_LIMIT) if editable else [],
        "csrf_token": context.get("csrf_token"),
    }
