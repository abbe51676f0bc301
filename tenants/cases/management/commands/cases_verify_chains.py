"""Recompute every case's hash chain, in every tenant schema (or one), and print each broken case.

    manage.py cases_verify_chains [--schema <schema>]

Exits with status 1 when a chain is broken (for cron and monitoring).
"""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from tenants.cases.models import Case
from tenants.cases.services import case_chain_verify


class Command(BaseCommand):
    help = "Recompute the hash chain of every case and print the broken ones."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="one tenant schema (default: every tenant)")

    def handle(self, *args, schema: str | None = None, **options):
        schemas = (
            [schema]
            if schema
            else list(
                get_tenant_model().objects.exclude(schema_name="public").values_list("schema_name", flat=True)
            )
        )
        broken_total = 0
        for name in schemas:
            with schema_context(name):
                total = broken = 0
                for case in Case.objects.only("id", "number", "head_hash", "last_seq").iterator(
                    chunk_size=500
                ):
                    total += 1
                    report = case_chain_verify(case=case)
                    if not report.ok:
                        broken += 1
                        self.stdout.write(
                            f"{name}: {case.number} broken at event {report.first_bad_seq} ({report.reason})"
                        )
            broken_total += broken
            self.stdout.write(f"{name}: {total} cases, {broken} broken")
        if broken_total:
            raise CommandError(f"{broken_total} broken case chain(s)", returncode=1)
