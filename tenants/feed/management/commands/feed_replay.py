"""Queue a tenant's whole history for the national feed again: every rating revision, every exclusion, every
case (its current event) and every day's figures. Records already in the feed are dropped by the relay's
(tenant, kind, id, revision) key, so replaying is safe; it back-fills what is missing.

    manage.py feed_replay --schema <schema> [--since YYYY-MM-DD]
"""

from datetime import date

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from tenants.feed.services import feed_replay


class Command(BaseCommand):
    help = "Queue a tenant's history for the national feed (back-fill / replay)."

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True)
        parser.add_argument(
            "--since", type=date.fromisoformat, help="only ratings rated on or after this day"
        )

    def handle(self, *args, schema: str, since: date | None = None, **options):
        with schema_context(schema):
            counts = feed_replay(since=since)
        self.stdout.write(f"{schema}: queued " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
