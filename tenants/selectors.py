"""Reads on the tenant registry."""

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tenants.models import Tenant


def tenant_app_migrations() -> set[str]:
    """Every migration on disk, as 'app.name'. A tenant schema records all of them (the router only decides
    which create tables there), so a schema is current when it has recorded each one."""
    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    replaced = {key for migration in loader.disk_migrations.values() for key in migration.replaces}
    return {f"{app}.{name}" for (app, name) in loader.disk_migrations if (app, name) not in replaced}


def schemas_behind(schemas: list[str], expected: set[str] | None = None) -> list[str]:
    """The schemas missing any tenant migration on disk, found with two queries whatever their number:
    one lists the schemas that have a migration table, one counts applied migrations in all of them."""
    expected = tenant_app_migrations() if expected is None else expected
    if not schemas:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [list(schemas)],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        counts: dict[str, int] = {}
        if with_table:
            ordered = sorted(with_table)
            # Schema names are quoted identifiers from the registry; values go as parameters.
            union = " UNION ALL ".join(
                f"SELECT %s, count(*) FROM {connection.ops.quote_name(s)}.django_migrations "  # noqa: S608
                "WHERE app || '.' || name IN (SELECT m FROM expected)"
                for s in ordered
            )
            cursor.execute(
                f"WITH expected(m) AS (SELECT unnest(%s::text[])) {union}", [list(expected), *ordered]
            )
            counts = dict(cursor.fetchall())
    return [s for s in schemas if counts.get(s, 0) < len(expected)]


def tenant_schemas() -> list[str]:
    return list(
        Tenant.objects.exclude(schema_name="public").order_by("pk").values_list("schema_name", flat=True)
    )


PROBE_CHUNK = 400  # schemas per probing query


def schemas_with_rows(schema_names: list[str], tables: tuple[str, ...]) -> list[str]:
    """Which of these tenant schemas have a row in any of `tables` (queues such as change or outbox tables):
    one UNION query per chunk of schemas, each arm a primary-key probe (microseconds), instead of a query per
    tenant. Runs in the public schema."""
    from django_tenants.utils import schema_context

    found: list[str] = []
    with schema_context("public"), connection.cursor() as cur:
        # only schemas that have every table (one behind on migrations must not break the probe for all)
        cur.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE n.nspname = ANY(%s) AND c.relname = ANY(%s) GROUP BY n.nspname HAVING count(*) = %s",
            [list(schema_names), list(tables), len(tables)],
        )
        ready = sorted(row[0] for row in cur.fetchall())
        for i in range(0, len(ready), PROBE_CHUNK):
            chunk = ready[i : i + PROBE_CHUNK]
            arms = [
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {connection.ops.quote_name(name)}.{table})"  # noqa: S608
                for name in chunk
                for table in tables
            ]
            cur.execute(" UNION ".join(arms), [name for name in chunk for _ in tables])
            found.extend(row[0] for row in cur.fetchall())
    return sorted(found)
