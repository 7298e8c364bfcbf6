from django.contrib import admin
from django.urls import include, path

from ceptoar.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health", core_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("registry/", include("ceptoar.registry.urls")),
    path("alerts/", include("ceptoar.alerts.urls")),
    path("reports/", include("ceptoar.reports.urls")),
    path("analysis/", include("ceptoar.analysis.urls")),
    path("exercises/", include("ceptoar.exercises.urls")),
    path("sharing/", include("ceptoar.sharing.urls")),
    path("escalation/", include("ceptoar.escalation.urls")),
    path("api/", include("ceptoar.api.urls")),
    path("demo/", include("ceptoar.demo.urls")),
    path("admin/", admin.site.urls),
]
