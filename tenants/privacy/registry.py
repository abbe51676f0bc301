"""Every encrypted column of the tenant schema, in one place, for key rotation (and for reviewers)."""

from django.apps import apps

# (app_label.Model, [encrypted text fields])
ENCRYPTED_FIELDS: list[tuple[str, list[str]]] = [
    ("evaluations.Transaction", ["applicant_name", "applicant_phone", "applicant_id_number"]),
    ("evaluations.Evaluation", ["evaluator_name", "evaluator_phone", "evaluator_id_number"]),
    ("assisted.SmsInvitation", ["phone"]),
    ("assisted.SmsInbound", ["phone"]),
    ("assisted.SocialComment", ["contact"]),
    ("supervision.SurveyResponse", ["contact_name", "contact_phone"]),
    ("notify.Notification", ["recipient"]),
]


def encrypted_models():
    for label, fields in ENCRYPTED_FIELDS:
        yield apps.get_model(label), fields
