"""The organiser's pages: the exercise list, the plan (exercise and injects), and the live scoreboard."""

from __future__ import annotations

urlpatterns: list = []
