from django.urls import path

from ceptoar.sharing import views

app_name = "sharing"

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("audit.csv", views.audit_log_csv, name="audit_csv"),
]
