"""Every route of the intel area. Each page group keeps its own block."""

from django.urls import path  # noqa: F401

app_name = "intel"

urlpatterns: list = []

# -- observables (views/observables.py) --

# -- correlation, signals and incidents (views/correlation.py, views/incidents.py) --

# -- STIX: imports, downloads (views/stix.py) --

# -- MISP and indicator sets (views/misp.py, views/indicator_sets.py) --
from ceptoar.intel.views import indicator_sets, misp  # noqa: E402

urlpatterns += [
    path("sets/", indicator_sets.indicator_set_list, name="indicator_sets"),
    path("sets/new/", indicator_sets.indicator_set_new, name="indicator_set_new"),
    path("sets/<int:pk>/", indicator_sets.indicator_set_detail, name="indicator_set_detail"),
    path("sets/<int:pk>/values/", indicator_sets.indicator_set_add_values, name="indicator_set_add_values"),
    path(
        "sets/<int:pk>/values/<int:sighting_pk>/remove/",
        indicator_sets.indicator_set_remove_value,
        name="indicator_set_remove_value",
    ),
    path("sets/<int:pk>/withdraw/", indicator_sets.indicator_set_withdraw, name="indicator_set_withdraw"),
    path("misp/upload/", misp.misp_upload, name="misp_upload"),
    path("misp/<str:kind>/<int:pk>.json", misp.misp_download, name="misp_download"),
]
