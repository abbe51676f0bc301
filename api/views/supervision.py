"""Supervision API (监督查评): the item questionnaire for online platforms, survey results, callback samples
and outcomes, integrity signals and the assessment register. Thin: parse, call one service or selector,
serialize."""

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require
from api.schema import ProblemSerializer
from tenants.accounts.roles import Perm
from tenants.catalog.models import ServiceItem
from tenants.evaluations.models import SCALE_WORDS
from tenants.evaluations.selectors import intake_config
from tenants.supervision.models import (
    CallbackMethod,
    CallbackSample,
    CallbackTask,
    Survey,
    ThirdPartyAssessment,
)
from tenants.supervision.selectors.callbacks import samples_with_progress
from tenants.supervision.selectors.questionnaires import questionnaire_for
from tenants.supervision.selectors.signals import SignalThresholds, integrity_signals, period_bounds
from tenants.supervision.selectors.surveys import survey_results, surveys_list
from tenants.supervision.services.callbacks import task_record


# --- serializers ---------------------------------------------------------------------------------------
class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    kind = serializers.ChoiceField(choices=["scale", "yes_no", "text"])
    required = serializers.BooleanField()


class QuestionnaireSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        allow_null=True,
        help_text="Send as questionnaire_version with the rating's answers; null: none offered.",
    )
    number = serializers.IntegerField(allow_null=True)
    title = serializers.CharField(allow_blank=True)
    questions = QuestionSerializer(many=True)


class SurveySerializer(serializers.ModelSerializer):
    responses = serializers.IntegerField(source="response_count")

    class Meta:
        model = Survey
        fields = ["id", "title", "topic", "status", "created_at", "opened_at", "closed_at", "responses"]


class ResultRowSerializer(serializers.Serializer):
    answer = serializers.CharField()
    count = serializers.IntegerField()
    percent = serializers.FloatField()


class QuestionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField()
    answered = serializers.IntegerField()
    rows = ResultRowSerializer(many=True)
    mean = serializers.FloatField(allow_null=True)


class SurveyResultsSerializer(serializers.Serializer):
    survey = serializers.IntegerField()
    responses = serializers.IntegerField()
    questions = QuestionResultSerializer(many=True)


class SampleSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", allow_null=True, default=None)
    item_code = serializers.CharField(source="item.code", allow_null=True, default=None)
    total = serializers.IntegerField()
    done = serializers.IntegerField(source="done_count")

    class Meta:
        model = CallbackSample
        fields = [
            "id",
            "name",
            "period_start",
            "period_end",
            "mode",
            "amount",
            "unit_code",
            "item_code",
            "contactable_only",
            "seed",
            "population",
            "is_open",
            "total",
            "done",
            "created_at",
        ]


class TaskSerializer(serializers.ModelSerializer):
    assignee = serializers.EmailField(source="assignee.email", allow_null=True, default=None)

    class Meta:
        model = CallbackTask
        fields = [
            "id",
            "sample",
            "evaluation",
            "assignee",
            "done",
            "called_at",
            "method",
            "reached",
            "confirmed",
            "freely_given",
            "notes",
            "recorded_by",
            "recorded_at",
        ]


class OutcomeSerializer(serializers.Serializer):
    called_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=CallbackMethod.choices)
    reached = serializers.BooleanField()
    confirmed = serializers.BooleanField(required=False, allow_null=True, default=None)
    freely_given = serializers.BooleanField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class SignalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["burst", "streak", "rate"])
    subject_type = serializers.ChoiceField(choices=["device", "window", "staff"])
    subject_id = serializers.IntegerField()
    subject_label = serializers.CharField()
    count = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    evidence = serializers.DictField()
    example_ids = serializers.ListField(child=serializers.IntegerField())


class SignalReportSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    signals = SignalSerializer(many=True)


class SignalQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    streak_min_length = serializers.IntegerField(required=False, min_value=2, max_value=1_000_000)
    burst_min_count = serializers.IntegerField(required=False, min_value=2, max_value=100_000)
    rate_z = serializers.FloatField(required=False, min_value=1, max_value=100)

    def validate(self, attrs):
        today = timezone.localdate()
        attrs.setdefault("end", today)
        attrs.setdefault("start", attrs["end"] - timedelta(days=29))
        if attrs["end"] < attrs["start"]:
            raise ValidationError({"end": ["The period ends on or after the day it starts."]})
        if (attrs["end"] - attrs["start"]).days > 366:
            raise ValidationError({"end": ["Ask for one year at most."]})
        return attrs


class AssessmentSerializer(serializers.ModelSerializer):
    has_report = serializers.SerializerMethodField()

    class Meta:
        model = ThirdPartyAssessment
        fields = [
            "id",
            "organisation",
            "scope",
            "period_start",
            "period_end",
            "score",
            "summary",
            "report_name",
            "report_size",
            "has_report",
            "created_at",
        ]

    def get_has_report(self, obj) -> bool:
        return bool(obj.report_size)


# --- views ---------------------------------------------------------------------------------------------
class QuestionnaireView(APIView):
    """The 一事一评 questionnaire an online platform shows after a rating of this item (voluntary answers)."""

    permission_classes = [require(Perm.READ_CATALOG)]

    @extend_schema(
        parameters=[OpenApiParameter("item_code", str, required=False, description="The rated item's code")],
        responses={200: QuestionnaireSerializer, (400, "application/problem+json"): ProblemSerializer},
        operation_id="questionnaire_retrieve",
    )
    def get(self, request):
        code = request.query_params.get("item_code", "")
        item = None
        if code:
            if len(code) > 64:
                raise ValidationError({"item_code": ["An item code is at most 64 characters."]})
            item = ServiceItem.objects.filter(code=code).first()
            if item is None:
                raise ValidationError({"item_code": [f"Unknown service item “{code}”."]})
        version, questions = questionnaire_for(item)
        body = {
            "version": version.pk if version else None,
            "number": version.number if version else None,
            "title": version.questionnaire.title if version else "",
            "questions": [{"required": False, **q} for q in questions],
        }
        return Response(QuestionnaireSerializer(body).data)


class SurveyListView(generics.ListAPIView):
    permission_classes = [require(Perm.VIEW_EVALUATIONS)]
    serializer_class = SurveySerializer

    def get_queryset(self):
        return surveys_list()


class SurveyResultsView(APIView):
    """Counts and percentages per question (free-text answers are not included)."""

    permission_classes = [require(Perm.VIEW_EVALUATIONS)]

    @extend_schema(responses=SurveyResultsSerializer, operation_id="survey_results")
    def get(self, request, pk: int):
        survey = get_object_or_404(Survey, pk=pk)
        total, results = survey_results(survey, scale_words=SCALE_WORDS[intake_config().scale])
        body = {
            "survey": survey.pk,
            "responses": total,
            "questions": [
                {
                    "id": r.question.pk,
                    "text": r.question.text,
                    "kind": r.question.kind,
                    "answered": r.answered,
                    "rows": [{"answer": a, "count": c, "percent": p} for a, c, p in r.rows],
                    "mean": r.mean,
                }
                for r in results
            ],
        }
        return Response(SurveyResultsSerializer(body).data)


class SampleListView(generics.ListAPIView):
    """Callback samples with their progress (done of total)."""

    permission_classes = [require(Perm.VIEW_EVALUATIONS)]
    serializer_class = SampleSerializer

    def get_queryset(self):
        return samples_with_progress()


class SampleTaskListView(generics.ListAPIView):
    """The tasks of one sample. Evaluator identity is never part of the API."""

    permission_classes = [require(Perm.VIEW_EVALUATIONS)]
    serializer_class = TaskSerializer

    def get_queryset(self):
        sample = get_object_or_404(CallbackSample, pk=self.kwargs["pk"])
        return CallbackTask.objects.filter(sample=sample).select_related("assignee")


class TaskOutcomeView(APIView):
    """Record a callback's outcome: a supervisor, or the person the task is assigned to."""

    @extend_schema(
        request=OutcomeSerializer, responses=TaskSerializer, operation_id="callback_outcome_record"
    )
    def post(self, request, pk: int):
        task = get_object_or_404(CallbackTask, pk=pk)
        data = OutcomeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = task_record(actor=request.user.actor, task=task, **data.validated_data)
        return Response(TaskSerializer(task).data)


class SignalListView(APIView):
    """Integrity signals for a period (default: the last 30 days). Read-only: flags never change a rating."""

    permission_classes = [require(Perm.VIEW_AUDIT)]

    @extend_schema(
        parameters=[SignalQuerySerializer],
        responses={200: SignalReportSerializer, (400, "application/problem+json"): ProblemSerializer},
        operation_id="signals_list",
    )
    def get(self, request):
        query = SignalQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        start, end = period_bounds(params.pop("start"), params.pop("end"))
        report = integrity_signals(start=start, end=end, thresholds=SignalThresholds(**params))
        body = {"start": start, "end": end, "signals": [s.as_dict() for s in report.all]}
        return Response(SignalReportSerializer(body).data)


class AssessmentListView(generics.ListAPIView):
    permission_classes = [require(Perm.VIEW_EVALUATIONS)]
    serializer_class = AssessmentSerializer

    def get_queryset(self):
        return ThirdPartyAssessment.objects.defer("report_data")
