from ceptoar.reports import case_views, statistics_views, triage_views, views

app_name = "reports"

# Each page module keeps its own routes: the reporter's pages, the secretariat's triage, the failure-case
# library, and the statistics.
urlpatterns = (
    views.urlpatterns + triage_views.urlpatterns + case_views.urlpatterns + statistics_views.urlpatterns
)
