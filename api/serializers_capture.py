"""Serializers for evaluation capture: types and sizes here; domain rules in tenants.evaluations.services."""

from rest_framework import serializers

from tenants.evaluations.models import ApplicantType, Channel, Stage

MAX_COMMENT_BYTES_GUARD = 5000  # hard cap before the tenant's own (smaller) limit is checked


class EvaluatorSerializer(serializers.Serializer):
    anonymous = serializers.BooleanField(required=False, default=False)
    type = serializers.ChoiceField(choices=ApplicantType.choices, required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    id_type = serializers.CharField(required=False, allow_blank=True, max_length=20)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=40)


class EvaluationCreateSerializer(serializers.Serializer):
    transaction = serializers.CharField(max_length=64, help_text="Transaction number (办件编号).")
    level = serializers.IntegerField(
        min_value=1, max_value=5, help_text="1 best … 5 worst; 4–5 are bad reviews."
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    stage = serializers.ChoiceField(choices=Stage.choices, default=Stage.FINISHED)
    reason_tags = serializers.ListField(
        child=serializers.CharField(max_length=32),
        max_length=10,
        default=list,
        help_text="Codes from the tenant's tag list; required for levels 4–5.",
    )
    comment = serializers.CharField(
        allow_blank=True, default="", max_length=MAX_COMMENT_BYTES_GUARD, trim_whitespace=True
    )
    comment_public = serializers.BooleanField(
        default=False,
        help_text="The evaluator agreed that the comment, personal data removed, may be shown on the public "
        "portal (同意在政务服务评价公开平台展示我的评价内容). Default false.",
    )
    answers = serializers.DictField(
        child=serializers.JSONField(),
        default=dict,
        help_text="一事一评 answers keyed by question key (GET /api/v1/questionnaire); all voluntary.",
    )
    questionnaire_version = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        default=None,
        help_text="The questionnaire version the answers were given to; default the item's current one.",
    )
    evaluator = EvaluatorSerializer(default=lambda: {"anonymous": True})
    rated_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the rating was given (offline devices); default now."
    )
    item_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    unit_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    window_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    staff_no = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    platform_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class BulkEvaluationItemSerializer(EvaluationCreateSerializer):
    idempotency_key = serializers.CharField(max_length=100, help_text="Unique per rating; a retry reuses it.")


BULK_MAX_ITEMS = 1000


class BulkEvaluationSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=BULK_MAX_ITEMS)


class EvaluationCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transaction = serializers.CharField()
    stage = serializers.CharField()
    revision = serializers.IntegerField()
    supersedes = serializers.IntegerField(allow_null=True)
    level = serializers.IntegerField()
    level_word = serializers.CharField()
    is_bad = serializers.BooleanField()
    is_supplementary = serializers.BooleanField()
    case_id = serializers.IntegerField(
        allow_null=True, help_text="The bad-review case this rating opened or joined (levels 4–5), else null."
    )
    rated_at = serializers.DateTimeField()


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    idempotency_key = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "duplicate", "error"])
    id = serializers.IntegerField(allow_null=True)
    case_id = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="The bad-review case this rating opened or joined, else null.",
    )
    errors = serializers.ListField(child=serializers.DictField(), required=False)


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)


class TransactionCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    item_code = serializers.CharField(max_length=64)
    unit_code = serializers.CharField(max_length=64)
    channel = serializers.ChoiceField(choices=Channel.choices)
    window_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    platform_code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    staff_no = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    applicant_type = serializers.ChoiceField(choices=ApplicantType.choices, default=ApplicantType.PERSON)
    applicant = EvaluatorSerializer(required=False, default=dict)
    received_at = serializers.DateTimeField(required=False, allow_null=True)
    finished_at = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.CharField(max_length=20, default="received")
    promise_type = serializers.ChoiceField(
        choices=["immediate", "promised"], required=False, allow_blank=True, default=""
    )


class TransactionSerializer(serializers.Serializer):
    number = serializers.CharField()
    item_code = serializers.CharField(source="item.code")
    guide_version = serializers.IntegerField(source="guide_version.version", allow_null=True, default=None)
    unit_code = serializers.CharField(source="unit.code")
    window_code = serializers.CharField(source="window.code", allow_null=True, default=None)
    staff_no = serializers.CharField(source="staff.staff_no", allow_null=True, default=None)
    platform_code = serializers.CharField(source="platform.code", allow_null=True, default=None)
    channel = serializers.CharField()
    applicant_type = serializers.CharField()
    status = serializers.CharField()
    promise_type = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    item_type = serializers.CharField()
    status = serializers.CharField()
    guide_version = serializers.IntegerField(source="current_guide.version", allow_null=True, default=None)
    promise_type = serializers.CharField(source="current_guide.promise_type", allow_null=True, default=None)
    time_limit_days = serializers.IntegerField(
        source="current_guide.time_limit_days", allow_null=True, default=None
    )


class UnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    parent_code = serializers.CharField(source="parent.code", allow_null=True, default=None)
    region_code = serializers.CharField()


class StaffSerializer(serializers.Serializer):
    staff_no = serializers.CharField()
    name = serializers.CharField()
    unit_code = serializers.CharField(source="unit.code")
