"""Supervision endpoints (监督查评) under /api/v1/."""

from django.urls import path

from api.views import supervision

urlpatterns = [
    path("questionnaire", supervision.QuestionnaireView.as_view(), name="api-questionnaire"),
    path("supervision/surveys", supervision.SurveyListView.as_view(), name="api-surveys"),
    path(
        "supervision/surveys/<int:pk>/results",
        supervision.SurveyResultsView.as_view(),
        name="api-survey-results",
    ),
    path("supervision/samples", supervision.SampleListView.as_view(), name="api-samples"),
    path(
        "supervision/samples/<int:pk>/tasks",
        supervision.SampleTaskListView.as_view(),
        name="api-sample-tasks",
    ),
    path(
        "supervision/callbacks/<int:pk>/outcome",
        supervision.TaskOutcomeView.as_view(),
        name="api-callback-outcome",
    ),
    path("supervision/signals", supervision.SignalListView.as_view(), name="api-signals"),
    path("supervision/assessments", supervision.AssessmentListView.as_view(), name="api-assessments"),
]
