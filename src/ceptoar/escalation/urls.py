from django.urls import path

from ceptoar.escalation import views

app_name = "escalation"

urlpatterns = [
    path("calls/", views.call_list, name="call_list"),
    path("calls/<int:recipient_pk>/log/", views.log_call, name="log_call"),
    path("broken-channels/", views.broken_channels, name="broken_channels"),
    path("broken-channels/<int:pk>/clear/", views.clear_broken_channel, name="clear_broken_channel"),
    path("plan/", views.plan, name="plan"),
]
