from django.contrib import admin
from django.urls import include, path

from ceptoar.accounts import views as account_views
from ceptoar.site import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health", core_views.health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before allauth's own: enrolling TOTP is this session's second factor (accounts.views.EnrolTotpView).
    path("accounts/2fa/totp/activate/", account_views.enrol_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("registry/", include("ceptoar.registry.urls")),
    path("alerts/", include("ceptoar.alerts.urls")),
    path("reports/", include("ceptoar.reports.urls")),
    path("analysis/", include("ceptoar.analysis.urls")),
    path("exercises/", include("ceptoar.exercises.urls")),
    path("sharing/", include("ceptoar.sharing.urls")),
    path("escalation/", include("ceptoar.escalation.urls")),
    path("agreements/", include("ceptoar.agreements.urls")),
    path("notifications/", include("ceptoar.notifications.urls")),
    path("intel/", include("ceptoar.intel.urls")),
    path("api/", include("ceptoar.api.urls")),
    path("demo/", include("ceptoar.demo.urls")),
    # Before the admin's own URLs: its password-only log-in form is replaced by the site's log-in.
    path("admin/login/", account_views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
]
