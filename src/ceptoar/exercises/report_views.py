"""The after-action report (事後評価報告): page and PDF."""

from __future__ import annotations

urlpatterns: list = []
