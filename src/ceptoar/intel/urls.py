"""Every route of the intel area. Each page group keeps its own block."""

from django.urls import path  # noqa: F401

app_name = "intel"

urlpatterns: list = []

# -- observables (views/observables.py) --

# -- correlation, signals and incidents (views/correlation.py, views/incidents.py) --
from ceptoar.intel.views import correlation as correlation_views  # noqa: E402
from ceptoar.intel.views import incidents as incident_views  # noqa: E402

urlpatterns += [
    path("", correlation_views.home, name="home"),
    path("signals/", correlation_views.signals_page, name="signals"),
    path("check/", correlation_views.check_values, name="check"),
    path("incidents/", incident_views.incident_list, name="incident_list"),
    path("incidents/new/", incident_views.incident_new, name="incident_new"),
    path(
        "incidents/new/from-signal/<int:observable_pk>/",
        incident_views.incident_from_signal,
        name="incident_from_signal",
    ),
    path("incidents/<int:pk>/", incident_views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/timeline/", incident_views.incident_timeline, name="incident_timeline"),
    path("incidents/<int:pk>/link/", incident_views.incident_link, name="incident_link"),
    path(
        "incidents/<int:pk>/unlink/<int:report_pk>/", incident_views.incident_unlink, name="incident_unlink"
    ),
    path("incidents/<int:pk>/close/", incident_views.incident_close, name="incident_close"),
]

# -- STIX: imports, downloads (views/stix.py) --

# -- MISP and indicator sets (views/misp.py, views/indicator_sets.py) --
