"""New tenants are born from the migrated template: replayed from its snapshot, or cloned when none matches."""

from django.conf import settings
from django.db import connection

from tenants.accounts.actors import Actor
from tenants.models import TemplateSnapshot
from tenants.services import tenant_provision
from tenants.template import template_script_for, template_snapshot_refresh, template_state


def fingerprint(schema: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'rel:' || c.relkind::text, count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s GROUP BY 1 UNION ALL SELECT 'con:' || contype::text, count(*) FROM pg_constraint con "
            "JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = %s GROUP BY 1",
            [schema, schema],
        )
        found = dict(cursor.fetchall())
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations')
        found["migrations"] = cursor.fetchone()[0]
        cursor.execute(f'SELECT count(*) FROM "{schema}".evaluations_reasontag')
        found["reason_tags"] = cursor.fetchone()[0]
    return found


def provision(slug: str):
    return tenant_provision(
        actor=Actor.system("t"),
        slug=slug,
        name=slug,
        kind="agency",
        region_code="110000",
        admin_email=f"a@{slug}.example",
    )


def test_snapshot_matches_the_template_and_births_identical_schemas(tenant_pair, db):
    template_snapshot_refresh()
    assert TemplateSnapshot.objects.filter(state=template_state()).exists()
    provision("replayed")
    assert fingerprint("replayed") == fingerprint(settings.TENANT_BASE_SCHEMA)


def test_stale_snapshot_is_never_used(tenant_pair, db):
    template_snapshot_refresh()
    with connection.cursor() as cursor:  # the template moves on (a migration applied after the snapshot)
        cursor.execute(
            f"INSERT INTO {settings.TENANT_BASE_SCHEMA}.django_migrations (app, name, applied) "
            "VALUES ('evaluations', '9999_future', now())"
        )
    assert template_script_for("whatever") is None
    provision("cloned")
    assert fingerprint("cloned") == fingerprint(settings.TENANT_BASE_SCHEMA)
