"""Recompute the insight rollups from the raw rows (after a restore, a bug fix, or drift found by rollups_check).

    manage.py rollups_rebuild [--schema <schema>]

Intake carries on meanwhile: changes that arrive during the rebuild are drained afterwards.
"""

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from tenants.insight.management.commands._schemas import add_schema_argument, schemas
from tenants.insight.services import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute every rollup from the raw rows."

    def add_arguments(self, parser):
        add_schema_argument(parser)

    def handle(self, *args, schema: str | None = None, **options):
        for name in schemas(schema):
            with schema_context(name):
                counts = rollups_rebuild(
                    progress=lambda line, name=name: self.stdout.write(f"{name}: {line}")
                )
            self.stdout.write(f"{name}: rebuilt ({counts['insight_ratingrollup']} rating rollup rows)")
