"""Tenant themes saved on the old branding page (before inheritance, 0002) carry what that page stored without
the administrator choosing it: the old default primary colour #1d4ed8 (the field's default, and the page's
initial value) and the organisation's own name as display name (the page's initial value). Stored explicitly,
they pin the tenant: a reseller's or the platform's colour never reaches it, and a renamed organisation keeps
its old name. Both are emptied, so that the tenant inherits them again.

The colour is emptied only where the tenant sets neither its text colour on the primary colour nor its
background colour: those were chosen against #1d4ed8, and an inherited primary colour could break their
contrast. Drafts copied from such a theme are treated alike. Nothing else is touched (other scopes, other
colours, names differing from the organisation's).
"""

from django.db import migrations
from django.db.models import F

OLD_DEFAULT_COLOUR = "#1d4ed8"


def tenant_themes_inherit_old_defaults(apps, schema_editor):
    Theme = apps.get_model("themes", "Theme")
    ThemeDraft = apps.get_model("themes", "ThemeDraft")
    for model, prefix in ((Theme, ""), (ThemeDraft, "theme__")):
        rows = model.objects.filter(**{f"{prefix}scope": "tenant"})
        rows.filter(primary_color__iexact=OLD_DEFAULT_COLOUR, on_primary_color="", background_color="").update(
            primary_color=""
        )
        rows.filter(display_name=F(f"{prefix}tenant__name")).update(display_name="")


class Migration(migrations.Migration):
    dependencies = [
        ("themes", "0002_owners_fields_drafts"),
    ]

    operations = [
        migrations.RunPython(tenant_themes_inherit_old_defaults, migrations.RunPython.noop),
    ]
