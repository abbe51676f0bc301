"""Supervision pages (监督查评) at /supervision/ on a tenant's host; the public survey link is under s/."""

from django.urls import path

from tenants.supervision.views import assessments, callbacks, home, public, questionnaires, signals, surveys

urlpatterns = [
    path("", home.home, name="supervision-home"),
    # item questionnaires (一事一评)
    path("questionnaires/", questionnaires.questionnaire_list, name="supervision-questionnaires"),
    path("questionnaires/<int:pk>/", questionnaires.questionnaire_detail, name="supervision-questionnaire"),
    # surveys
    path("surveys/", surveys.survey_list, name="supervision-surveys"),
    path("surveys/<int:pk>/", surveys.survey_detail, name="supervision-survey"),
    path(
        "surveys/<int:pk>/questions/<int:question_id>/",
        surveys.survey_question_edit,
        name="supervision-survey-question",
    ),
    path(
        "surveys/<int:pk>/questions/<int:question_id>/move",
        surveys.survey_question_move_view,
        name="supervision-survey-question-move",
    ),
    path(
        "surveys/<int:pk>/questions/<int:question_id>/delete",
        surveys.survey_question_delete_view,
        name="supervision-survey-question-delete",
    ),
    path("surveys/<int:pk>/publish", surveys.survey_publish_view, name="supervision-survey-publish"),
    path("surveys/<int:pk>/close", surveys.survey_close_view, name="supervision-survey-close"),
    path("surveys/<int:pk>/results", surveys.survey_results_view, name="supervision-survey-results"),
    path("surveys/<int:pk>/export.csv", surveys.survey_export_csv, name="supervision-survey-csv"),
    path("surveys/<int:pk>/export.xlsx", surveys.survey_export_xlsx, name="supervision-survey-xlsx"),
    path(
        "surveys/<int:pk>/responses/<int:response_id>/reveal",
        surveys.survey_contact_reveal_view,
        name="supervision-survey-contact-reveal",
    ),
    # the public link: no sign-in
    path("s/<str:slug>/", public.survey_public, name="supervision-survey-public"),
    path("s/<str:slug>/thanks", public.survey_thanks, name="supervision-survey-thanks"),
    # random-sample callbacks (回访)
    path("callbacks/", callbacks.sample_list, name="supervision-samples"),
    path("callbacks/mine/", callbacks.my_tasks, name="supervision-my-tasks"),
    path("callbacks/<int:pk>/", callbacks.sample_detail, name="supervision-sample"),
    path("callbacks/<int:pk>/close", callbacks.sample_close_view, name="supervision-sample-close"),
    path("callbacks/tasks/<int:pk>/", callbacks.task_view, name="supervision-task"),
    path("callbacks/tasks/<int:pk>/reveal", callbacks.task_reveal, name="supervision-task-reveal"),
    # third-party assessments
    path("assessments/", assessments.assessment_list, name="supervision-assessments"),
    path("assessments/<int:pk>/report", assessments.assessment_report, name="supervision-assessment-report"),
    path(
        "assessments/<int:pk>/delete",
        assessments.assessment_delete_view,
        name="supervision-assessment-delete",
    ),
    # integrity signals
    path("signals/", signals.signals_view, name="supervision-signals"),
]
