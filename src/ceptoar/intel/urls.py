"""Every route of the intel area, by page group."""

from django.urls import path

from ceptoar.intel.views import correlation as correlation_views
from ceptoar.intel.views import incidents as incident_views
from ceptoar.intel.views import indicator_sets, misp, observables
from ceptoar.intel.views import stix as stix_views

app_name = "intel"

urlpatterns: list = []

# -- observables (views/observables.py) --

urlpatterns += [
    path("observables/<str:kind>/<int:pk>/", observables.item_observables, name="item_observables"),
    path("observables/sightings/<int:pk>/remove/", observables.observable_remove, name="observable_remove"),
    path("observables/sightings/<int:pk>/retype/", observables.observable_retype, name="observable_retype"),
]

# -- correlation, signals and incidents (views/correlation.py, views/incidents.py) --

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

urlpatterns += [
    path("stix/download/<str:kind>/<int:pk>/", stix_views.download, name="stix_download"),
    path("stix/imports/", stix_views.imports, name="stix_imports"),
    path("stix/imports/confirm/", stix_views.import_confirm, name="stix_import_confirm"),
    path("stix/imports/<int:pk>/download/", stix_views.import_download, name="stix_import_download"),
    path("techniques/<str:kind>/<int:pk>/tag/", stix_views.technique_tag, name="technique_tag"),
    path("techniques/<str:kind>/<int:pk>/untag/", stix_views.technique_untag, name="technique_untag"),
]

# -- MISP and indicator sets (views/misp.py, views/indicator_sets.py) --

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
