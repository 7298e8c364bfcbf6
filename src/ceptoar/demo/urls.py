from django.urls import path

from ceptoar.demo import mailbox_views

app_name = "demo"

urlpatterns = [
    path("mailbox/", mailbox_views.index, name="mailbox"),
    path("mailbox/<str:key>/", mailbox_views.message, name="mailbox_message"),
]
