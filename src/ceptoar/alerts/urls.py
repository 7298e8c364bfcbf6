from django.urls import path

from ceptoar.alerts.views import (
    acknowledgement,
    compose,
    correction,
    detail,
    inbox,
    relay,
    relay_approval,
    relay_rules,
    sending,
    tracking,
)

app_name = "alerts"

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("new/", compose.compose, name="new"),
    path("relay-rules/", relay_rules.relay_rules, name="relay_rules"),
    path("relay-rules/<int:pk>/deactivate/", relay_rules.relay_rule_deactivate, name="relay_rule_deactivate"),
    path("<int:pk>/", detail.detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_pk>/", detail.attachment, name="attachment"),
    path("<int:pk>/submit/", sending.submit, name="submit"),
    path("<int:pk>/approve/", sending.approve, name="approve"),
    path("<int:pk>/withdraw/", sending.withdraw, name="withdraw"),
    path("<int:pk>/close/", sending.close, name="close"),
    path("<int:pk>/correct/", correction.correct, name="correct"),
    path("<int:pk>/relay/", relay.relay, name="relay"),
    path("<int:pk>/relay/ask/", relay_approval.ask, name="relay_approval_ask"),
    path("relay-approvals/<int:pk>/decide/", relay_approval.decide, name="relay_approval_decide"),
    path("<int:pk>/acknowledge/", acknowledgement.acknowledge, name="acknowledge"),
    path("<int:pk>/tracking/", tracking.tracking_page, name="tracking"),
    path("<int:pk>/tracking/live/", tracking.tracking_live, name="tracking_live"),
    path("<int:pk>/tracking.csv", tracking.tracking_csv, name="tracking_csv"),
    path("ack/<str:token>/", acknowledgement.ack_link, name="ack_link"),
]
