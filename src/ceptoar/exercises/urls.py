from ceptoar.exercises import report_views, views

app_name = "exercises"

# Each page module keeps its own routes: planning and the scoreboard, and the after-action report.
urlpatterns = views.urlpatterns + report_views.urlpatterns
