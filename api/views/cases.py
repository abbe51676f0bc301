"""Cases API (差评整改) for work-order and 12345 hotline systems: list and read cases, one POST per transition,
verify a case's hash chain. Thin: parse, call one service or selector, serialize. The services check role and
unit scope; an action the case's state does not allow is 409 and names the allowed ones. The evaluator is
shown masked, never in clear."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import problem_response
from api.permissions import require
from api.schema import ProblemSerializer
from tenants.accounts.models import User
from tenants.accounts.roles import Perm
from tenants.cases import services
from tenants.cases.models import (
    CallbackMethod,
    Case,
    CaseState,
    LedgerMilestone,
    Opinion,
    OpinionSource,
    Outcome,
    SpotCheckResult,
    Verification,
)
from tenants.cases.selectors import case_detail, case_get, cases_for
from tenants.cases.services import MilestoneInput, TransitionError
from tenants.cases.services.feedback import case_feedback_deliver
from tenants.organisation.models import Unit

_NOTE = {"required": False, "allow_blank": True, "max_length": 4000, "default": ""}


# --- output ----------------------------------------------------------------------------------------------
class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    source = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    unit_code = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    assignee = serializers.EmailField(source="assignee.email", allow_null=True, default=None)
    verification = serializers.CharField()
    outcome = serializers.CharField()
    realname = serializers.BooleanField()
    reason_tags = serializers.ListField(child=serializers.CharField())
    opened_at = serializers.DateTimeField()
    contact_due = serializers.DateTimeField()
    feedback_due = serializers.DateTimeField()
    rectify_due = serializers.DateTimeField()
    ledger_deadline = serializers.DateField(allow_null=True)
    contacted_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    feedback_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    evaluator_opinion = serializers.CharField()
    reopened_count = serializers.IntegerField()
    escalation_level = serializers.IntegerField()
    head_hash = serializers.CharField(help_text="The newest event's hash: the case's receipt.")


class CaseEvaluatorSerializer(serializers.Serializer):
    """Masked: 李* / 138****8000 / 110***********002X."""

    name = serializers.CharField()
    phone = serializers.CharField()
    id_type = serializers.CharField()
    id_number = serializers.CharField()


class CaseRatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transaction = serializers.CharField(source="transaction.number")
    item_code = serializers.CharField(source="transaction.item.code")
    stage = serializers.CharField()
    revision = serializers.IntegerField()
    channel = serializers.CharField()
    level = serializers.IntegerField()
    reason_tags = serializers.ListField(child=serializers.CharField())
    comment = serializers.CharField()
    rated_at = serializers.DateTimeField()
    anonymous = serializers.BooleanField()
    excluded = serializers.BooleanField()


class CaseEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor_label")
    actor_role = serializers.CharField()
    note = serializers.CharField()
    data = serializers.DictField()
    created_at = serializers.DateTimeField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class CaseCallbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    method = serializers.CharField()
    reached = serializers.BooleanField()
    summary = serializers.CharField()
    officer = serializers.CharField(source="officer_label")


class CaseMilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    due = serializers.DateField()
    done_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()


class CaseSpotCheckSerializer(serializers.Serializer):
    result = serializers.CharField()
    note = serializers.CharField()
    checked_by = serializers.CharField()
    checked_at = serializers.DateTimeField()


class CaseDetailSerializer(CaseSerializer):
    transaction = serializers.CharField(source="transaction.number", allow_null=True, default=None)
    stage = serializers.CharField()
    summary = serializers.CharField()
    resolution_note = serializers.CharField()
    feedback_text = serializers.CharField()
    opinion_source = serializers.CharField()
    overdue = serializers.BooleanField()
    allowed_actions = serializers.ListField(child=serializers.CharField())
    rating = CaseRatingSerializer(allow_null=True)
    evaluator = CaseEvaluatorSerializer(allow_null=True)
    events = CaseEventSerializer(many=True)
    callbacks = CaseCallbackSerializer(many=True)
    milestones = CaseMilestoneSerializer(many=True)
    spot_checks = CaseSpotCheckSerializer(many=True)


def _detail_body(actor, case_id: int) -> dict:
    """The detail as CaseDetailSerializer describes it (built here from the selector's parts)."""
    detail = case_detail(actor=actor, case_id=case_id)
    case = detail.case
    body = CaseSerializer(case).data
    body.update(
        transaction=detail.evaluation.transaction.number if detail.evaluation else None,
        stage=case.stage,
        summary=case.summary,
        resolution_note=case.resolution_note,
        feedback_text=case.feedback_text,
        opinion_source=case.opinion_source,
        overdue=detail.overdue,
        allowed_actions=detail.allowed,
        rating=CaseRatingSerializer(detail.evaluation).data if detail.evaluation else None,
        evaluator=detail.evaluator_masked or None,
        events=CaseEventSerializer(detail.events, many=True).data,
        callbacks=CaseCallbackSerializer(detail.callbacks, many=True).data,
        milestones=CaseMilestoneSerializer(detail.milestones, many=True).data,
        spot_checks=CaseSpotCheckSerializer(detail.spot_checks, many=True).data,
    )
    return body


class CaseChainReportSerializer(serializers.Serializer):
    number = serializers.CharField()
    ok = serializers.BooleanField()
    first_bad_seq = serializers.IntegerField(allow_null=True)
    events = serializers.IntegerField()
    head_hash = serializers.CharField()
    reason = serializers.CharField()


class CaseConflictSerializer(serializers.Serializer):
    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    allowed_actions = serializers.ListField(child=serializers.CharField())


# --- reads -----------------------------------------------------------------------------------------------
def _case_or_404(request, pk: int) -> Case:
    """The case if it exists here (404 otherwise: another tenant's ids do not exist in this schema) and is
    within the caller's reach (403 otherwise)."""
    try:
        return case_get(actor=request.user.actor, case_id=pk)
    except Case.DoesNotExist:
        raise exceptions.NotFound() from None
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from None


_LIST_PARAMETERS = [
    OpenApiParameter("state", str, many=True, enum=CaseState.values, description="One or more states"),
    OpenApiParameter("unit", str, description="A unit's code: its cases and those of the units below it"),
    OpenApiParameter("overdue", bool, description="true: past the deadline of their current step"),
    OpenApiParameter("realname", bool, description="true: real-name bad reviews only"),
]


def _flag(value: str | None, name: str) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ValidationError({name: ["Use true or false."]})


@extend_schema(parameters=_LIST_PARAMETERS)
class CaseListView(generics.ListAPIView):
    """Cases the caller may see (officers: their unit and below; supervisors and integrations: all)."""

    permission_classes = [require(Perm.VIEW_CASES)]
    serializer_class = CaseSerializer

    def get_queryset(self):
        params = self.request.query_params
        states = [s for value in params.getlist("state") for s in value.split(",") if s]
        unknown = sorted(set(states) - set(CaseState.values))
        if unknown:
            raise ValidationError({"state": [f"Unknown state(s): {', '.join(unknown)}."]})
        unit = None
        if params.get("unit"):
            unit = Unit.objects.filter(code=params["unit"][:64]).first()
            if unit is None:
                raise ValidationError({"unit": [f"Unknown unit “{params['unit'][:64]}”."]})
        try:
            return cases_for(
                actor=self.request.user.actor,
                state=states or None,
                unit=unit,
                overdue=_flag(params.get("overdue"), "overdue"),
                realname=_flag(params.get("realname"), "realname"),
            ).order_by("-id")
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from None


class CaseDetailView(APIView):
    """One case: state, deadlines, the hash-chained history, callbacks, ledger steps, spot checks; the
    evaluator masked."""

    permission_classes = [require(Perm.VIEW_CASES)]

    @extend_schema(responses=CaseDetailSerializer, operation_id="cases_retrieve")
    def get(self, request, pk: int):
        case = _case_or_404(request, pk)
        return Response(_detail_body(request.user.actor, case.pk))


# --- transitions -------------------------------------------------------------------------------------------
class CaseAssignInput(serializers.Serializer):
    assignee = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        default="",
        help_text="The officer's e-mail; empty: yourself.",
    )
    note = serializers.CharField(**_NOTE)


class CaseReassignInput(serializers.Serializer):
    unit = serializers.CharField(max_length=64, help_text="The new unit's code")
    note = serializers.CharField(max_length=4000)


class CaseContactInput(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the call (or visit) happened")
    method = serializers.ChoiceField(choices=CallbackMethod.choices)
    reached = serializers.BooleanField()
    summary = serializers.CharField(**_NOTE)


class CaseVerifyInput(serializers.Serializer):
    verification = serializers.ChoiceField(choices=Verification.choices)
    note = serializers.CharField(**_NOTE)


class CaseMilestoneInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due = serializers.DateField()


class CaseResolveInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=4000)
    deadline = serializers.DateField(required=False, allow_null=True, default=None, help_text="ledger only")
    milestones = CaseMilestoneInputSerializer(
        many=True, required=False, default=list, help_text="ledger only"
    )


class CaseNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=4000)


class CaseOptionalNoteInput(serializers.Serializer):
    note = serializers.CharField(**_NOTE)


class CaseConfirmInput(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="true: not adopted stands; false: back to verified")
    note = serializers.CharField(max_length=4000)


class CaseFeedbackInput(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class CaseOpinionInput(serializers.Serializer):
    opinion = serializers.ChoiceField(choices=Opinion.choices)
    # the status page and SMS replies record themselves (the evaluator's own answers): staff and work-order
    # systems record what the evaluator said on the phone
    source = serializers.ChoiceField(
        choices=[(OpinionSource.PHONE.value, OpinionSource.PHONE.label)], default=OpinionSource.PHONE.value
    )
    note = serializers.CharField(**_NOTE)


class CaseSpotCheckInput(serializers.Serializer):
    result = serializers.ChoiceField(choices=SpotCheckResult.choices)
    note = serializers.CharField(**_NOTE)


class _TransitionView(APIView):
    """POST parses `input`, calls `perform` (one service), answers with the case's detail."""

    permission_classes = [require(Perm.VIEW_CASES)]
    input: type[serializers.Serializer] = CaseOptionalNoteInput

    def perform(self, actor, case: Case, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int, **kwargs):
        case = _case_or_404(request, pk)
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            self.perform(request.user.actor, case, dict(data.validated_data), **kwargs)
        except TransitionError as exc:
            response = problem_response(
                status_code=409,
                title="Not allowed in this state",
                detail=exc.message_dict["state"][0],
                code="invalid_transition",
            )
            response.data["allowed_actions"] = exc.allowed
            return response
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from None
        return Response(_detail_body(request.user.actor, case.pk))


def _transition_schema(input_serializer, operation_id: str, description: str):
    return extend_schema(
        request=input_serializer,
        responses={
            200: CaseDetailSerializer,
            (409, "application/problem+json"): CaseConflictSerializer,
            (400, "application/problem+json"): ProblemSerializer,
        },
        operation_id=operation_id,
        description=description,
    )


def _user(email: str) -> User | None:
    if not email:
        return None
    user = User.objects.filter(email=email.lower()).first()
    if user is None:
        raise ValidationError({"assignee": [f"No account “{email}”."]})
    return user


class AssignView(_TransitionView):
    input = CaseAssignInput

    @_transition_schema(CaseAssignInput, "cases_assign", "new/assigned → assigned (officers, supervisors).")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_assign(actor=actor, case=case, assignee=_user(data["assignee"]), note=data["note"])


class ReassignView(_TransitionView):
    input = CaseReassignInput

    @_transition_schema(CaseReassignInput, "cases_reassign", "Move to another unit (supervisors): → new.")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        unit = Unit.objects.filter(code=data["unit"]).first()
        if unit is None:
            raise ValidationError({"unit": [f"Unknown unit “{data['unit']}”."]})
        services.case_reassign(actor=actor, case=case, unit=unit, note=data["note"])


class ContactView(_TransitionView):
    input = CaseContactInput

    @_transition_schema(
        CaseContactInput, "cases_contact", "Record a callback attempt; the first reached one → contacted."
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_contact(actor=actor, case=case, **data)


class VerifyView(_TransitionView):
    """GET: recompute the case's hash chain (ok, or the first event that does not hold).
    POST: the verification transition (核实)."""

    input = CaseVerifyInput

    @extend_schema(responses=CaseChainReportSerializer, operation_id="cases_chain_verify")
    def get(self, request, pk: int):
        case = _case_or_404(request, pk)
        report = services.case_chain_verify(case=case)
        body = {
            "number": case.number,
            "ok": report.ok,
            "first_bad_seq": report.first_bad_seq,
            "events": report.events,
            "head_hash": report.head_hash,
            "reason": report.reason,
        }
        return Response(CaseChainReportSerializer(body).data)

    @_transition_schema(
        CaseVerifyInput, "cases_verify", "→ verified (reasonable / needs explanation / mistaken / malicious)."
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_verify(actor=actor, case=case, **data)


class ResolveView(_TransitionView):
    input = CaseResolveInput

    @_transition_schema(
        CaseResolveInput,
        "cases_resolve",
        "verified → resolved (fixed, explained), ledger (deadline and milestones) or pending confirmation "
        "(not adopted).",
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        milestones = [MilestoneInput(title=m["title"], due=m["due"]) for m in data.pop("milestones")]
        services.case_resolve(actor=actor, case=case, milestones=milestones, **data)


class MilestoneDoneView(_TransitionView):
    input = CaseOptionalNoteInput

    @_transition_schema(CaseOptionalNoteInput, "cases_milestone_done", "Tick one ledger step.")
    def post(self, request, pk: int, milestone: int):
        return super().post(request, pk, milestone=milestone)

    def perform(self, actor, case, data, milestone: int):
        step = LedgerMilestone.objects.filter(pk=milestone, case=case).first()
        if step is None:
            raise exceptions.NotFound()
        services.case_milestone_done(actor=actor, case=case, milestone=step, note=data["note"])


class CompleteLedgerView(_TransitionView):
    input = CaseNoteInput

    @_transition_schema(CaseNoteInput, "cases_complete_ledger", "ledger → resolved, once every step is done.")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_ledger_complete(actor=actor, case=case, note=data["note"])


class ConfirmNotAdoptedView(_TransitionView):
    input = CaseConfirmInput

    @_transition_schema(
        CaseConfirmInput,
        "cases_confirm_not_adopted",
        "The management body confirms (→ resolved) or refuses (→ verified).",
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_confirm_not_adopted(actor=actor, case=case, **data)


class FeedbackView(_TransitionView):
    input = CaseFeedbackInput

    @_transition_schema(
        CaseFeedbackInput, "cases_feedback", "resolved → feedback_sent (the text to the evaluator)."
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        # records the feedback and sends it to a real-name evaluator (SMS, with the signed status link)
        case_feedback_deliver(
            actor=actor, case=case, text=data["text"], base_url=self.request.build_absolute_uri("/")
        )


class OpinionView(_TransitionView):
    input = CaseOpinionInput

    @_transition_schema(CaseOpinionInput, "cases_opinion", "The evaluator's opinion of the rectification.")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_record_opinion(actor=actor, case=case, **data)


class CloseView(_TransitionView):
    input = CaseOptionalNoteInput

    @_transition_schema(
        CaseOptionalNoteInput, "cases_close", "feedback_sent → closed (real-name: after a reached callback)."
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_close(actor=actor, case=case, note=data["note"])


class ReopenView(_TransitionView):
    input = CaseNoteInput

    @_transition_schema(
        CaseNoteInput,
        "cases_reopen",
        "feedback_sent/closed → assigned (supervisors; officers after an unsatisfied opinion).",
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_reopen(actor=actor, case=case, note=data["note"])


class SpotCheckView(_TransitionView):
    input = CaseSpotCheckInput

    @_transition_schema(CaseSpotCheckInput, "cases_spot_check", "A supervisor's spot check of a closed case.")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def perform(self, actor, case, data):
        services.case_spot_check(actor=actor, case=case, **data)
