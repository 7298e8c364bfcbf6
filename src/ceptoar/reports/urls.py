"""Every route of the reports area: the reporter's pages, the secretariat's triage, the failure-case
library, and the statistics."""

from django.urls import path

from ceptoar.reports.views import analysis, cases, reports, statistics, triage

app_name = "reports"

urlpatterns = [
    # The reporter's pages.
    path("", reports.report_list, name="list"),
    path("new/", reports.new_report, name="new"),
    path("<int:pk>/", reports.detail, name="detail"),
    path("<int:pk>/edit/", reports.edit, name="edit"),
    path("<int:pk>/autosave/", reports.autosave, name="autosave"),
    path("<int:pk>/submit/", reports.submit, name="submit"),
    path("<int:pk>/follow-up/", reports.follow_up, name="follow_up"),
    path("<int:pk>/attachments/<int:attachment_pk>/", reports.attachment, name="attachment"),
    # Triage, the reports received at a hop, and the actions on one report.
    path("triage/", triage.queue, name="triage_queue"),
    path("triage/deadlines/", triage.deadlines, name="deadlines"),
    path("received/", triage.received, name="received"),
    path("<int:pk>/comment/", triage.comment, name="comment"),
    path("<int:pk>/status/", triage.set_status, name="set_status"),
    path("<int:pk>/forward/", triage.forward, name="forward"),
    # Failure cases and their library.
    path("cases/from-report/<int:pk>/", cases.case_create, name="case_create"),
    path("cases/<int:pk>/review/", cases.case_review, name="case_review"),
    path("cases/<int:pk>/review/redactions/", cases.case_redaction_add, name="case_redaction_add"),
    path(
        "cases/<int:pk>/review/redactions/<int:redaction_pk>/",
        cases.case_redaction_toggle,
        name="case_redaction_toggle",
    ),
    path("cases/<int:pk>/approval/", cases.case_approval, name="case_approval"),
    path("library/", cases.library, name="library"),
    path("library/<int:pk>/", cases.case_detail, name="case_detail"),
    # Analysis partners: the forward, the partner's inbox and analysis, the returned analyses.
    path("<int:pk>/analysis/forward/", analysis.forward_new, name="analysis_forward_new"),
    path("analysis/inbox/", analysis.inbox, name="analysis_inbox"),
    path("analysis/forwards/<int:pk>/", analysis.forward_detail, name="analysis_forward"),
    path("analysis/returned/", analysis.returned, name="analysis_returned"),
    path("analysis/<int:pk>/", analysis.analysis_detail, name="analysis_detail"),
    path("analysis/<int:pk>/share/", analysis.share, name="analysis_share"),
    path(
        "analysis/<int:pk>/attachments/<int:attachment_pk>/",
        analysis.attachment,
        name="analysis_attachment",
    ),
    # Statistics.
    path("statistics/", statistics.statistics_page, name="statistics"),
    path("statistics/csv/", statistics.statistics_csv, name="statistics_csv"),
]
