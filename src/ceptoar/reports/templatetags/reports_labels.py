"""Labels of stored report codes for templates."""

from django import template

from ceptoar.reports.models import Cause

register = template.Library()


@register.filter
def cause_label(code: str, with_class: bool = False) -> str:
    """`{{ code|cause_label }}`, or `{{ code|cause_label:True }}` with the cause class first."""
    return Cause.describe(code, with_class=bool(with_class))
