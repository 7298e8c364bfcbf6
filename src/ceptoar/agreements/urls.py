"""Every route of the agreements' pages (`/agreements/…`)."""

from django.urls import path

from ceptoar.agreements.views import actions, dry_run, propose, register

app_name = "agreements"

urlpatterns = [
    path("", register.agreement_list, name="list"),
    path("new/", propose.agreement_new, name="new"),
    path("dry-run/", dry_run.dry_run, name="dry_run"),
    path("<int:pk>/", register.agreement_detail, name="detail"),
    # A party's actions: each a confirmation page (GET) and the action itself (POST).
    path("<int:pk>/accept/", actions.party_action, {"action": "accept"}, name="accept"),
    path("<int:pk>/suspend/", actions.party_action, {"action": "suspend"}, name="suspend"),
    path("<int:pk>/resume/", actions.party_action, {"action": "resume"}, name="resume"),
    path("<int:pk>/revoke/", actions.party_action, {"action": "revoke"}, name="revoke"),
]
