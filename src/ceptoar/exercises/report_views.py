"""The after-action report (事後評価報告): page and PDF."""

from __future__ import annotations

from django.http import Http404
from django.urls import path


def report_page(request, pk):  # built by the after-action report task
    raise Http404


def report_pdf(request, pk):
    raise Http404


urlpatterns = [
    path("<int:pk>/report/", report_page, name="report"),
    path("<int:pk>/report.pdf", report_pdf, name="report_pdf"),
]
