"""Bring the bench database to N tenants quickly, without making them any less real.

Figures "at 1,000 tenants" need 1,000 tenants whose schemas weigh on the catalog exactly as provisioned
ones do (clone_schema's catalog queries and the no-op migrate both scale with them). Background tenants are
therefore built by the product's own schema builder, tenants.services.template_clone (the template snapshot
replayed under the new name, or clone_schema when there is none), a few to a transaction on two sessions in
parallel, with their Tenant and Domain rows bulk-inserted. The first one is checked object for object
against the template. Compared with tenant_provision this skips only input validation, the first admin user
and the audit rows, which no benchmarked code path reads.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from bench.core import log

FILL_PREFIX = "bg"  # background tenants: bg00001, bg00002, …
LOCKS_PER_BATCH = 2000  # each new relation holds a lock until commit; the server's table holds ~6,400
WORKERS = min(2, os.cpu_count() or 1)  # parallel sessions building schemas


@dataclass(frozen=True)
class FillReport:
    created: int
    seconds: float


def tenant_count() -> int:
    """Tenants with a schema of their own (the control plane's public row excluded)."""
    from tenants.models import Tenant

    return Tenant.objects.exclude(schema_name="public").count()


def analyze_catalog() -> None:
    """ANALYZE the system catalogs, as autovacuum would after a fill this big, so plans match a live system."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r'"
        )
        names = [row[0] for row in cursor.fetchall()]
        cursor.execute("ANALYZE " + ", ".join(f"pg_catalog.{name}" for name in names))


def template_relations() -> int:
    """Relations (tables, indexes, sequences) in the template: what one new schema adds to the catalog."""
    return sum(
        n for kind, n in schema_fingerprint(settings.TENANT_BASE_SCHEMA).items() if kind.startswith("rel:")
    )


def schema_fingerprint(schema: str) -> dict[str, int]:
    """Counts of the objects a schema holds, by kind, and of its recorded migrations."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'rel:' || c.relkind::text, count(*) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s GROUP BY 1 "
            "UNION ALL SELECT 'con:' || contype::text, count(*) FROM pg_constraint con "
            "JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = %s GROUP BY 1",
            [schema, schema],
        )
        found = dict(cursor.fetchall())
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations')
        found["django_migrations"] = cursor.fetchone()[0]
    return found


class TenantFiller:
    """Adds background tenants (schema, Tenant and Domain rows) until the registry holds the number asked for."""

    def __init__(self) -> None:
        self._next = 1
        self.created: list[str] = []

    def fill_to(self, target: int) -> FillReport:
        missing = target - tenant_count()
        if missing <= 0:
            return FillReport(created=0, seconds=0.0)
        start = time.perf_counter()
        connection.set_schema_to_public()
        slugs = [self._slug() for _ in range(missing)]
        size = max(1, LOCKS_PER_BATCH // template_relations())
        batches = [slugs[i : i + size] for i in range(0, missing, size)]
        if not self.created:  # the first batch alone, so its first schema is checked before building more
            self._create(batches[0])
            self._check_equivalent(batches[0][0])
            self.created.extend(batches.pop(0))
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for batch in pool.map(self._create_on_own_session, batches):
                self.created.extend(batch)
                if len(self.created) % 200 < size:
                    log(f"  background tenants: {len(self.created)}/{target}")
        analyze_catalog()
        return FillReport(created=missing, seconds=time.perf_counter() - start)

    def _create_on_own_session(self, slugs: list[str]) -> list[str]:
        """One batch on this worker thread's own DB session, closed afterwards."""
        try:
            self._create(slugs)
        finally:
            connection.close()
        return slugs

    def _slug(self) -> str:
        slug = f"{FILL_PREFIX}{self._next:05d}"
        self._next += 1
        return slug

    @staticmethod
    def _create(slugs: list[str]) -> None:
        from tenants.models import Domain, Tenant, TenantKind, TenantStatus
        from tenants.services import template_clone, tenant_domain_name

        with transaction.atomic():
            for slug in slugs:
                template_clone(slug)
            tenants = Tenant.objects.bulk_create(
                Tenant(
                    schema_name=slug,
                    slug=slug,
                    name=f"背景租户 {slug}",
                    kind=TenantKind.AGENCY,
                    region_code="110000",
                    status=TenantStatus.ACTIVE,
                )
                for slug in slugs
            )
            Domain.objects.bulk_create(
                Domain(domain=tenant_domain_name(t.slug), tenant=t, is_primary=True) for t in tenants
            )

    @staticmethod
    def _check_equivalent(schema: str) -> None:
        template = schema_fingerprint(settings.TENANT_BASE_SCHEMA)
        built = schema_fingerprint(schema)
        if built != template:
            raise RuntimeError(f"background schema {schema} differs from the template: {built} != {template}")


def drop_tenants(slugs: list[str]) -> None:
    """Remove tenants the bench added (only needed in a database the bench did not create)."""
    from tenants.models import Domain, Tenant

    connection.set_schema_to_public()
    size = max(1, LOCKS_PER_BATCH // template_relations())
    for start in range(0, len(slugs), size):
        chunk = slugs[start : start + size]
        with transaction.atomic(), connection.cursor() as cursor:
            for slug in chunk:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{slug}" CASCADE')
            Domain.objects.filter(tenant__schema_name__in=chunk).delete()
            Tenant.objects.filter(schema_name__in=chunk).delete()
