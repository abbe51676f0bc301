"""Compare the insight rollups with the raw rows and print every drifting key.

    manage.py rollups_check [--schema <schema>]

Exits with status 1 when anything drifted (for cron and monitoring); `rollups_rebuild` repairs it.
"""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from tenants.insight.management.commands._schemas import add_schema_argument, schemas
from tenants.insight.services import rollups_check


class Command(BaseCommand):
    help = "Compare every rollup with the raw rows."

    def add_arguments(self, parser):
        add_schema_argument(parser)

    def handle(self, *args, schema: str | None = None, **options):
        drifted = 0
        for name in schemas(schema):
            with schema_context(name):
                result = rollups_check()
            for drift in result.drifts:
                self.stdout.write(
                    f"{name}: {drift.table} {drift.key}: raw {drift.raw}, rollup {drift.rollup}"
                )
            drifted += len(result.drifts)
            compared = ", ".join(f"{table} {rows}" for table, rows in result.compared.items())
            self.stdout.write(
                f"{name}: {'ok' if result.ok else f'{len(result.drifts)} drift(s)'} ({compared})"
            )
        if drifted:
            raise CommandError(f"{drifted} drifting rollup row(s)", returncode=1)
