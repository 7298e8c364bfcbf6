from django.urls import path

from ceptoar.alerts import tracking_views, views

app_name = "alerts"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("new/", views.compose, name="new"),
    path("relay-rules/", views.relay_rules, name="relay_rules"),
    path("relay-rules/<int:pk>/deactivate/", views.relay_rule_deactivate, name="relay_rule_deactivate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment, name="attachment"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/relay/", views.relay, name="relay"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:pk>/tracking/", tracking_views.tracking_page, name="tracking"),
    path("<int:pk>/tracking/live/", tracking_views.tracking_live, name="tracking_live"),
    path("<int:pk>/tracking.csv", tracking_views.tracking_csv, name="tracking_csv"),
    path("ack/<str:token>/", views.ack_link, name="ack_link"),
]
