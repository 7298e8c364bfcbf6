"""Every route of the exercises' pages (`/exercises/…`)."""

from django.urls import path

from ceptoar.exercises.views import planning, report, running, scoreboard

app_name = "exercises"

urlpatterns = [
    # Planning and the scoreboard.
    path("", planning.exercise_list, name="list"),
    path("new/", planning.exercise_new, name="new"),
    path("<int:pk>/", scoreboard.exercise_detail, name="detail"),
    path("<int:pk>/edit/", planning.exercise_edit, name="edit"),
    path("<int:pk>/scoreboard/", scoreboard.exercise_scoreboard, name="scoreboard"),
    path("<int:pk>/start/", running.exercise_start, name="start"),
    path("<int:pk>/finish/", running.exercise_finish, name="finish"),
    path("<int:pk>/injects/new/", planning.inject_new, name="inject_new"),
    path("<int:pk>/injects/<int:inject_pk>/edit/", planning.inject_edit, name="inject_edit"),
    path("<int:pk>/injects/<int:inject_pk>/delete/", planning.inject_delete, name="inject_delete"),
    path("<int:pk>/injects/<int:inject_pk>/send/", running.inject_send, name="inject_send"),
    # The after-action report.
    path("<int:pk>/report/", report.report_page, name="report"),
    path("<int:pk>/report.pdf", report.report_pdf, name="report_pdf"),
    path("<int:pk>/measures.csv", report.measures_csv, name="measures_csv"),
    path("<int:pk>/measures.xlsx", report.measures_xlsx, name="measures_xlsx"),
]
