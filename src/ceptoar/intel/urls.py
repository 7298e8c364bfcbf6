"""Every route of the intel area. Each page group keeps its own block."""

from django.urls import path  # noqa: F401

app_name = "intel"

urlpatterns: list = []

# -- observables (views/observables.py) --

# -- correlation, signals and incidents (views/correlation.py, views/incidents.py) --

# -- STIX: imports, downloads (views/stix.py) --

# -- MISP and indicator sets (views/misp.py, views/indicator_sets.py) --
