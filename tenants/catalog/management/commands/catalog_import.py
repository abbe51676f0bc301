"""catalog_import <slug> <file> [--valid-only] [--publish] [--kind items|units|staff]

Imports a CSV or XLSX file into one tenant, in this process, printing progress (“12000/130000 (9%)”). The same
service runs the uploads of the web pages in a Celery worker.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.catalog.imports.services import Progress, import_job_create, import_job_run
from tenants.catalog.models import ImportKind, ImportStatus
from tenants.models import Tenant

STAGE = {ImportStatus.CHECKING: "checking", ImportStatus.IMPORTING: "importing"}


class Command(BaseCommand):
    help = "Import service items (or units, or staff) from a CSV or XLSX file into one tenant."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the tenant's slug (its subdomain)")
        parser.add_argument("file", help="a .csv or .xlsx file in the template's format")
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.ITEMS)
        parser.add_argument(
            "--valid-only", action="store_true", help="import the valid rows even when other rows have errors"
        )
        parser.add_argument("--publish", action="store_true", help="publish the imported guides at once")

    def handle(self, *args, slug: str, file: str, kind: str, valid_only: bool, publish: bool, **options):
        tenant = Tenant.objects.exclude(schema_name="public").filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant has the slug “{slug}”.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        last = {"line": ""}

        def show(progress: Progress) -> None:
            stage = STAGE.get(progress.status)
            if stage is None:
                return
            share = int(100 * progress.done / progress.total) if progress.total else 100
            line = f"{stage} {progress.done}/{progress.total} ({share}%)"
            if line != last["line"]:
                last["line"] = line
                self.stdout.write(line)
                self.stdout.flush()

        with schema_context(tenant.schema_name):
            try:
                job = import_job_create(
                    actor=Actor.system("catalog_import command"),
                    kind=kind,
                    filename=path.name,
                    data=path.read_bytes(),
                    valid_only=valid_only,
                    publish=publish,
                    enqueue=False,
                )
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            job = import_job_run(job_id=job.pk, on_progress=show)
        self._report(job, path)

    def _report(self, job, path: Path) -> None:
        if job.errors_file:
            error_path = path.with_name(f"{path.stem}-错误{path.suffix}")
            error_path.write_bytes(bytes(job.errors_file))
            self.stdout.write(f"{job.error_count} rows with errors; see the 错误 column in {error_path}")
            for number, messages in job.errors_preview[:20]:
                self.stdout.write(f"  row {number}: {messages}")
        if job.status == ImportStatus.SUCCEEDED:
            counts = ", ".join(f"{k} {v}" for k, v in job.result.items())
            self.stdout.write(self.style.SUCCESS(f"imported {job.done} rows ({counts})"))
            return
        if job.status == ImportStatus.REJECTED:
            raise CommandError("nothing was imported: fix the rows or use --valid-only")
        raise CommandError(f"the import failed: {job.message}")
