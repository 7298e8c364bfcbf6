from django.urls import path

from ceptoar.registry import contact_views, map_views, views

app_name = "registry"

urlpatterns = [
    path("tree/", views.tree, name="tree"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/<str:code>/", views.organisation_detail, name="organisation_detail"),
    path("contacts/<int:pk>/verify/", views.contact_verify, name="contact_verify"),
    path("map/", map_views.ceptoar_map, name="map"),
    path("map.csv", map_views.ceptoar_map_csv, name="map_csv"),
    path("map.xlsx", map_views.ceptoar_map_xlsx, name="map_xlsx"),
    path("freshness/", views.freshness, name="freshness"),
    path("organisations/<str:code>/contacts/add/", contact_views.contact_add, name="contact_add"),
    path("contacts/<int:pk>/edit/", contact_views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/deactivate/", contact_views.contact_deactivate, name="contact_deactivate"),
]
