from django.urls import path

from ceptoar.analysis import views

app_name = "analysis"

urlpatterns = [
    path("", views.situation_page, name="situation"),
    path("summaries/new/", views.summary_new, name="summary_new"),
    path("summaries/<int:pk>/", views.summary_edit, name="summary_edit"),
    path("summaries/<int:pk>/publish/", views.summary_publish, name="summary_publish"),
]
