"""What the registry announces to the areas above it, which it may not import: a published rules version
(`rules_published`, sent with `rules` and `owner` inside the publishing transaction), to which the
notifications area listens (the people who accept the rules are told)."""

from __future__ import annotations

from django.dispatch import Signal

rules_published = Signal()
