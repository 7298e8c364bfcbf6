"""Every route of the notifications' pages (`/notifications/…`)."""

from django.urls import path

from ceptoar.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read/", views.notification_mark_read, name="mark_read"),
    path("settings/", views.notification_settings, name="settings"),
]
