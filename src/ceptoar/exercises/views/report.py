"""The after-action report (事後評価報告): page and PDF, and the measures per organisation as CSV and XLSX.

Thin: who may open them is `exercises.access`; what the report shows is `exercises.report.build`, the same
for the page (charts as inline SVG, `report_svg`) and the PDF (`pdf`); the rows of the spreadsheets are
`exercises.export`'s, written by `utilities.exports`. An exercise the reader may not open answers exactly like
one that does not exist.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ceptoar.exercises import access, export, pdf, report, report_svg
from ceptoar.exercises.models import Exercise
from ceptoar.utilities import exports


def _exercise_or_404(user, pk: int) -> Exercise:
    exercise = Exercise.objects.select_related("organiser").filter(pk=pk).first()
    if exercise is None or not access.can_view(user, exercise):
        raise Http404(_("No such exercise of your organisation."))
    return exercise


def report_page(request, pk):
    exercise = _exercise_or_404(request.user, pk)
    built = report.build(exercise)
    context = {"exercise": exercise, "report": built, "charts": report_svg.charts(built["charts"])}
    return render(request, "exercises/report.html", context)


def report_pdf(request, pk):
    exercise = _exercise_or_404(request.user, pk)
    response = HttpResponse(pdf.render(report.build(exercise)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="exercise-{exercise.pk}-after-action.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def measures_csv(request, pk):
    exercise = _exercise_or_404(request.user, pk)
    return exports.csv_download(export.rows(exercise), f"exercise-{exercise.pk}-measures.csv")


def measures_xlsx(request, pk):
    exercise = _exercise_or_404(request.user, pk)
    content = exports.table_to_xlsx(
        export.rows(exercise), _("Measures per organisation"), widths=export.XLSX_WIDTHS
    )
    return exports.xlsx_download(content, f"exercise-{exercise.pk}-measures.xlsx")
