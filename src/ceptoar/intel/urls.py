"""Every route of the intel area. Each page group keeps its own block."""

from django.urls import path  # noqa: F401

app_name = "intel"

urlpatterns: list = []

# -- observables (views/observables.py) --
from ceptoar.intel.views import observables  # noqa: E402

urlpatterns += [
    path("observables/<str:kind>/<int:pk>/", observables.item_observables, name="item_observables"),
    path("observables/sightings/<int:pk>/remove/", observables.observable_remove, name="observable_remove"),
    path("observables/sightings/<int:pk>/retype/", observables.observable_retype, name="observable_retype"),
]

# -- correlation, signals and incidents (views/correlation.py, views/incidents.py) --

# -- STIX: imports, downloads (views/stix.py) --

# -- MISP and indicator sets (views/misp.py, views/indicator_sets.py) --
