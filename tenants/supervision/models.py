"""Government supervision (监督查评): item questionnaires (一事一评), surveys, random-sample callbacks (回访)
and third-party assessment records. Integrity signals are computed, never stored on ratings."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


# --- item questionnaires (一事一评) -----------------------------------------------------------------
class ItemQuestionKind(models.TextChoices):
    SCALE = "scale", _("Scale 1–5 (1 is best)")
    YES_NO = "yes_no", _("Yes or no")
    TEXT = "text", _("Free text")


class Questionnaire(models.Model):
    """The detailed questionnaire shown after an online rating: the tenant default (no item) or one item's."""

    item = models.ForeignKey(
        "catalog.ServiceItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service item"),
    )
    title = models.CharField(_("title"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "QuestionnaireVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item_id", "id"]
        constraints = [
            # One default (item NULL) and one per item.
            models.UniqueConstraint(fields=["item"], nulls_distinct=False, name="questionnaire_one_per_item"),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionnaireVersion(models.Model):
    """A frozen set of questions. Evaluation.questionnaire_version holds this row's id; a version that has
    answers is never edited (an edit makes the next version)."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # [{"key": "guide_clear", "text": "…", "kind": "scale", "required": false}, …]
    questions = models.JSONField(default=list)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="questionnaire_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} v{self.number}"


# --- surveys (监督查评问卷) ---------------------------------------------------------------------------
class SurveyTopic(models.TextChoices):
    POLICY = "policy", _("New pro-business policy")
    SERVICE = "service", _("New service")
    GENERAL = "general", _("General service quality")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SurveyQuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Scale 1–5 (1 is best)")
    TEXT = "text", _("Free text")


def _public_token() -> str:
    return secrets.token_urlsafe(12)


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("introduction"), blank=True)
    topic = models.CharField(
        _("topic"), max_length=10, choices=SurveyTopic.choices, default=SurveyTopic.GENERAL
    )
    status = models.CharField(max_length=8, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    public_token = models.CharField(max_length=32, unique=True, default=_public_token, editable=False)
    collect_contact = models.BooleanField(_("offer optional contact fields"), default=True)
    max_per_minute = models.PositiveIntegerField(_("most answers accepted per minute"), default=120)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == SurveyStatus.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == SurveyStatus.OPEN


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=SurveyQuestionKind.choices)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("hint"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    options = models.JSONField(default=list, blank=True)  # choice questions: ["选项一", …]

    class Meta:
        ordering = ["survey", "position", "id"]

    def __str__(self) -> str:
        return self.text


class SurveyResponse(models.Model):
    """One respondent's answers. Anonymous: only a hash of the browser's token, and contact details (encrypted)
    when the respondent chose to leave them."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    respondent_hash = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(auto_now_add=True)
    has_contact = models.BooleanField(default=False)
    contact_name = models.TextField(blank=True)  # encrypted (tenants.privacy.crypto)
    contact_phone = models.TextField(blank=True)  # encrypted

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "respondent_hash"], name="survey_one_response_per_browser"
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.pk}"


class SurveyAnswer(models.Model):
    """One row per chosen option (so a multiple choice has several), or one with a scale value or a text."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    option = models.PositiveSmallIntegerField(null=True, blank=True)
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["question", "option"]), models.Index(fields=["question", "value"])]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


# --- random-sample callbacks (回访) ----------------------------------------------------------------
class SampleMode(models.TextChoices):
    PERCENT = "percent", _("A percentage of the evaluations")
    COUNT = "count", _("A number of evaluations")


class CallbackSample(models.Model):
    name = models.CharField(_("name"), max_length=200)
    period_start = models.DateField(_("rated from"))
    period_end = models.DateField(_("rated until"))
    mode = models.CharField(_("draw"), max_length=8, choices=SampleMode.choices)
    amount = models.DecimalField(_("amount"), max_digits=9, decimal_places=2)
    unit = models.ForeignKey(
        "organisation.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contactable_only = models.BooleanField(_("only evaluations with a phone number"), default=True)
    # The draw orders the population by md5(seed:id): the same seed over the same population draws the same.
    seed = models.BigIntegerField()
    population = models.PositiveIntegerField(default=0)
    is_open = models.BooleanField(default=True)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CallbackMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    VISIT = "visit", _("Visit")


class CallbackTask(models.Model):
    sample = models.ForeignKey(CallbackSample, on_delete=models.CASCADE, related_name="tasks")
    evaluation = models.ForeignKey("evaluations.Evaluation", on_delete=models.PROTECT, related_name="+")
    # Copy of sample.is_open so the database itself refuses an evaluation in two open samples.
    sample_open = models.BooleanField(default=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    done = models.BooleanField(default=False)
    called_at = models.DateTimeField(_("time of the callback"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=8, choices=CallbackMethod.choices, blank=True)
    reached = models.BooleanField(_("evaluator reached"), null=True, blank=True)
    confirmed = models.BooleanField(_("evaluator confirmed the rating"), null=True, blank=True)
    freely_given = models.BooleanField(_("rating was given freely"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.CharField(max_length=254, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sample", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "evaluation"], name="callback_task_once_per_sample"),
            models.UniqueConstraint(
                fields=["evaluation"], condition=Q(sample_open=True), name="callback_task_one_open_sample"
            ),
        ]
        indexes = [models.Index(fields=["assignee", "done"])]

    def __str__(self) -> str:
        return f"{self.sample_id}/{self.evaluation_id}"


# --- third-party assessments (第三方评估) ----------------------------------------------------------
class ThirdPartyAssessment(models.Model):
    organisation = models.CharField(_("assessing organisation"), max_length=200)
    scope = models.TextField(_("scope"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    report_name = models.CharField(max_length=200, blank=True)
    report_content_type = models.CharField(max_length=100, blank=True)
    report_size = models.PositiveIntegerField(default=0)
    report_data = models.BinaryField(null=True, blank=True)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_end", "-id"]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.period_start}–{self.period_end})"
