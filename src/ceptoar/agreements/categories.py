"""The categories an agreement's term may name: those of alerts, which cases and reports share."""

from __future__ import annotations

from ceptoar.alerts.models import Category

CATEGORY_LABELS = dict(Category.choices)
CATEGORY_VALUES = tuple(Category.values)
