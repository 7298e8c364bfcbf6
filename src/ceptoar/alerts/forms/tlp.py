"""The TLP marking as the alert forms offer it: each level with what it lets a recipient do."""

from __future__ import annotations

from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ceptoar.sharing.models import TLP_RANK, Tlp

# What each marking lets a recipient do (FIRST TLP 2.0), in one line for the person choosing it.
TLP_EXPLANATIONS = {
    Tlp.CLEAR: _("No limit on disclosure: may be shared publicly."),
    Tlp.GREEN: _("May be shared within the community, but not through public channels."),
    Tlp.AMBER: _("Only within the recipient's organisation and its clients, on a need-to-know basis."),
    Tlp.AMBER_STRICT: _("Only within the recipient's organisation, on a need-to-know basis."),
    Tlp.RED: _("For the named recipients only: no further disclosure."),
}


def _tlp_label(value: str, label: str):
    return format_html('<span class="tlp tlp-{}">{}</span> {}', value, label, TLP_EXPLANATIONS[value])


def tlp_choices(minimum: str | None = None, maximum: str | None = None) -> list[tuple[str, object]]:
    """TLP levels as radio choices with their explanation, from `minimum` up (a relay may only raise) and up
    to `maximum` (what the agreements of a sender without members of its own allow)."""
    floor = TLP_RANK[Tlp(minimum)] if minimum else 0
    ceiling = TLP_RANK[Tlp(maximum)] if maximum else TLP_RANK[Tlp.RED]
    return [
        (value, lazy(_tlp_label, SafeString)(value, label))
        for value, label in Tlp.choices
        if floor <= TLP_RANK[Tlp(value)] <= ceiling
    ]
