"""The selective migrate_schemas: finds the schemas that are behind and migrates only those."""

from io import StringIO

from django.core.management import call_command
from django.db import connection

from tenants.selectors import schemas_behind, tenant_app_migrations


def test_all_current_schemas_are_not_behind(tenant_pair, db):
    assert schemas_behind(["alpha", "beta", "tenant_template"]) == []


def test_a_schema_missing_a_migration_is_found(tenant_pair, db):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM beta.django_migrations WHERE app = 'accounts'")
    assert schemas_behind(["alpha", "beta"]) == ["beta"]


def test_a_schema_without_a_migration_table_is_behind(tenant_pair, db):
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA empty_one")
    assert schemas_behind(["alpha", "empty_one"]) == ["empty_one"]


def test_noop_run_visits_no_tenant(tenant_pair, db):
    out = StringIO()
    call_command("migrate_schemas", "--noinput", stdout=out)
    assert "0 of 3 tenant schemas need migrations." in out.getvalue()


def test_behind_schema_is_migrated_and_others_left_alone(tenant_pair, db):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM beta.django_migrations WHERE app = 'api'")
        cursor.execute("DROP TABLE beta.api_idempotencyrecord")
    out = StringIO()
    call_command("migrate_schemas", "--noinput", "--tenant", stdout=out)
    assert "1 of 3 tenant schemas need migrations." in out.getvalue()
    assert schemas_behind(["alpha", "beta"]) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('beta.api_idempotencyrecord')")
        assert cursor.fetchone()[0] is not None


def test_expected_migrations_cover_tenant_apps():
    names = tenant_app_migrations()
    assert {"accounts.0001_initial", "api.0001_initial", "mfa.0001_initial"} <= names
