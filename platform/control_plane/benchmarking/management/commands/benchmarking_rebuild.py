"""`manage.py benchmarking_rebuild`: every tenant's month rows anew from the national daily figures (after a
restore, or if the month table was ever suspected of drifting from the day table)."""

from django.core.management.base import BaseCommand
from django.db import connection

from control_plane.benchmarking.services import month_stats_rebuild


class Command(BaseCommand):
    help = "Rebuild the benchmarking month rows (TenantMonthStats) from TenantDayStats."

    def handle(self, *args, **options):
        connection.set_schema_to_public()
        rows = month_stats_rebuild()
        self.stdout.write(f"{rows} month rows rebuilt")
