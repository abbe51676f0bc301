"""Appeals API (申诉复核): list the appeals the caller may see, file one (JSON, no files: evidence is uploaded
on the page), decide one. Thin: parse, call one service or selector, serialize. The rating is shown without
any evaluator field, to appellants and reviewers alike."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import require
from tenants.accounts.roles import Perm, has_permission
from tenants.appeals.models import AppealEvidence, AppealState, AppellantKind
from tenants.appeals.selectors import EVALUATOR_FIELDS, appeals_visible
from tenants.appeals.services import NOTE_MAX_LENGTH, STATEMENT_MAX_LENGTH, appeal_decide, appeal_file
from tenants.evaluations.models import SCALE_WORDS, Evaluation
from tenants.evaluations.selectors import intake_config


class FilesOrDecidesAppeals(BasePermission):
    message = "Your role lacks the permission “appeals.file” or “appeals.decide”."

    def has_permission(self, request, view) -> bool:
        user = request.user
        role = getattr(user, "role", None)
        return bool(
            user
            and user.is_authenticated
            and (has_permission(role, Perm.FILE_APPEALS) or has_permission(role, Perm.DECIDE_APPEALS))
        )


def _refused(exc: DjangoPermissionDenied) -> exceptions.PermissionDenied:
    return exceptions.PermissionDenied(str(exc) or None)


# --- serializers ---------------------------------------------------------------------------------------
class RatingSerializer(serializers.Serializer):
    """The rating without its evaluator: never a name, phone or ID, not even masked."""

    id = serializers.IntegerField()
    transaction = serializers.CharField(source="transaction.number")
    item_code = serializers.CharField(source="transaction.item.code")
    unit_code = serializers.CharField(source="transaction.unit.code")
    window_code = serializers.CharField(source="transaction.window.code", allow_null=True, default=None)
    channel = serializers.CharField()
    level = serializers.IntegerField()
    level_word = serializers.SerializerMethodField()
    reason_tags = serializers.ListField(child=serializers.CharField())
    comment = serializers.CharField()
    rated_at = serializers.DateTimeField()
    is_default = serializers.BooleanField()
    excluded = serializers.BooleanField()

    def get_level_word(self, obj) -> str:
        return SCALE_WORDS[intake_config().scale][obj.level - 1]


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppealEvidence
        fields = ["id", "name", "content_type", "size"]


class AppealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    evaluation = serializers.IntegerField(source="evaluation_id")
    rating = RatingSerializer(source="evaluation")
    appellant = serializers.EmailField(source="appellant.email")
    appellant_kind = serializers.ChoiceField(choices=AppellantKind.choices)
    rated_unit_code = serializers.CharField(source="rated_unit.code")
    statement = serializers.CharField()
    state = serializers.ChoiceField(choices=AppealState.choices)
    due_at = serializers.DateField(help_text="The last day (inclusive) for the decision.")
    overdue = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    reviewer = serializers.CharField(source="reviewer_label")
    evidence = EvidenceSerializer(many=True)

    def get_overdue(self, obj) -> bool:
        return obj.state == AppealState.SUBMITTED and obj.due_at < timezone.localdate()


class AppealCreateSerializer(serializers.Serializer):
    evaluation = serializers.IntegerField(min_value=1)
    statement = serializers.CharField(max_length=STATEMENT_MAX_LENGTH)
    kind = serializers.ChoiceField(
        choices=AppellantKind.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="staff: as the rated staff member; unit: for the rated unit. Default: staff when you are "
        "the rated staff member, else unit.",
    )


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[AppealState.UPHELD, AppealState.REJECTED])
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH)


def _visible(request):
    return (
        appeals_visible(actor=request.user.actor)
        .select_related(
            "appellant",
            "rated_unit",
            "evaluation__transaction__item",
            "evaluation__transaction__unit",
            "evaluation__transaction__window",
        )
        .defer(*(f"evaluation__{f}" for f in EVALUATOR_FIELDS))
        .prefetch_related(Prefetch("evidence", queryset=AppealEvidence.objects.defer("data")))
    )


# --- views ---------------------------------------------------------------------------------------------
class AppealListCreateView(generics.ListAPIView):
    """GET: the caller's own appeals and those it may decide (tenant-wide reviewers: all). POST: file one."""

    permission_classes = [FilesOrDecidesAppeals]
    serializer_class = AppealSerializer

    def get_queryset(self):
        rows = _visible(self.request)
        state = self.request.query_params.get("state", "")
        if state:
            if state not in AppealState.values:
                raise exceptions.ValidationError({"state": [f"One of {', '.join(AppealState.values)}."]})
            rows = rows.filter(state=state)
        return rows

    @extend_schema(
        parameters=[OpenApiParameter("state", str, required=False, enum=AppealState.values)],
        operation_id="appeals_list",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=AppealCreateSerializer,
        responses={201: AppealSerializer},
        operation_id="appeal_file",
    )
    def post(self, request):
        data = AppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = Evaluation.objects.filter(pk=data.validated_data["evaluation"]).only("pk").first()
        if evaluation is None:
            raise exceptions.ValidationError({"evaluation": ["No rating has this id."]})
        try:
            appeal = appeal_file(
                actor=request.user.actor,
                evaluation=evaluation,
                statement=data.validated_data["statement"],
                kind=data.validated_data["kind"],
            )
        except DjangoPermissionDenied as exc:
            raise _refused(exc) from exc
        return Response(
            AppealSerializer(_visible(request).get(pk=appeal.pk)).data, status=status.HTTP_201_CREATED
        )


class AppealDecisionView(APIView):
    """Uphold (the rating leaves every indicator) or reject, with a note: a reviewer above the rated unit."""

    permission_classes = [require(Perm.DECIDE_APPEALS)]

    @extend_schema(request=DecisionSerializer, responses=AppealSerializer, operation_id="appeal_decide")
    def post(self, request, pk: int):
        appeal = get_object_or_404(_visible(request), pk=pk)
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            appeal_decide(actor=request.user.actor, appeal=appeal, **data.validated_data)
        except DjangoPermissionDenied as exc:
            raise _refused(exc) from exc
        return Response(AppealSerializer(_visible(request).get(pk=appeal.pk)).data)
