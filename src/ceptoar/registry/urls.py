"""The registry's routes, every one of them (the view modules declare none)."""

from django.urls import path

from ceptoar.registry.views import contacts as contact_views
from ceptoar.registry.views import councils as council_views
from ceptoar.registry.views import map as map_views
from ceptoar.registry.views import organisations as organisation_views
from ceptoar.registry.views import rules as rules_views

app_name = "registry"

urlpatterns = [
    path("tree/", organisation_views.tree, name="tree"),
    path("organisations/", organisation_views.organisation_list, name="organisation_list"),
    path("organisations/<str:code>/", organisation_views.organisation_detail, name="organisation_detail"),
    path("contacts/<int:pk>/verify/", organisation_views.contact_verify, name="contact_verify"),
    path("councils/<str:code>/", council_views.council_detail, name="council_detail"),
    path("map/", map_views.ceptoar_map, name="map"),
    path("map.csv", map_views.ceptoar_map_csv, name="map_csv"),
    path("map.xlsx", map_views.ceptoar_map_xlsx, name="map_xlsx"),
    path("freshness/", organisation_views.freshness, name="freshness"),
    path("organisations/<str:code>/contacts/add/", contact_views.contact_add, name="contact_add"),
    path("contacts/<int:pk>/edit/", contact_views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/deactivate/", contact_views.contact_deactivate, name="contact_deactivate"),
    path("rules/", rules_views.my_rules, name="my_rules"),
    path("organisations/<str:code>/rules/", rules_views.organisation_rules, name="organisation_rules"),
    path("organisations/<str:code>/rules/publish/", rules_views.rules_publish, name="rules_publish"),
    path(
        "organisations/<str:code>/rules/<int:rules_pk>/accept/", rules_views.rules_accept, name="rules_accept"
    ),
]
