"""Every tenant schema starts with the default 一事一评 questionnaire (DOMAIN §5.2): guidance, procedure,
materials, interface, suggestions, all voluntary. It runs in the template schema too, so cloned tenants
are born with it. The texts are tenant data (editable by the tenant), hence Chinese here."""

from django.db import migrations

QUESTIONS = [
    {"key": "guide_clear", "text": "办事指南是否清晰易懂", "kind": "scale", "required": False},
    {"key": "procedure_convenient", "text": "办理流程是否便捷", "kind": "scale", "required": False},
    {"key": "materials_streamlined", "text": "申报材料是否精简", "kind": "scale", "required": False},
    {"key": "interface_friendly", "text": "办事界面是否友好易用", "kind": "yes_no", "required": False},
    {"key": "suggestion", "text": "您对改进服务有什么建议", "kind": "text", "required": False},
]


def seed(apps, schema_editor):
    Questionnaire = apps.get_model("supervision", "Questionnaire")
    QuestionnaireVersion = apps.get_model("supervision", "QuestionnaireVersion")
    if Questionnaire.objects.filter(item__isnull=True).exists():
        return
    questionnaire = Questionnaire.objects.create(title="一事一评详细评价", active=True)
    version = QuestionnaireVersion.objects.create(
        questionnaire=questionnaire, number=1, questions=QUESTIONS, created_by="system"
    )
    questionnaire.current_version = version
    questionnaire.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
