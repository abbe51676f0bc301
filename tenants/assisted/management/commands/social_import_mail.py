"""Import complaint and praise e-mail into a tenant's social comments.

    manage.py social_import_mail <slug> <path>

`path` is one .eml file, an mbox file, a Maildir, or a folder of .eml files. Safe to re-run: messages
already imported (same Message-ID) are counted as duplicates and not stored again.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context, tenant_context

from tenants.accounts.actors import Actor
from tenants.assisted.mail import mail_messages_at
from tenants.assisted.services.social import social_mail_import
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Import e-mail (.eml, mbox or Maildir) as social comments of one tenant."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the tenant's subdomain, e.g. guangdong")
        parser.add_argument("path", help=".eml file, mbox file, Maildir or folder of .eml files")

    def handle(self, *args, slug: str, path: str, **options):
        source = Path(path)
        if not source.exists():
            raise CommandError(f"{path} does not exist")
        with schema_context("public"):
            tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None or tenant.is_control_plane:
            raise CommandError(f"No tenant with the slug {slug!r}")
        with tenant_context(tenant):
            report = social_mail_import(
                actor=Actor.system("social_import_mail"), messages=mail_messages_at(source)
            )
        self.stdout.write(
            f"{slug}: {report.created} imported, {report.duplicates} already there, {len(report.failed)} failed"
        )
        for failure in report.failed:
            self.stderr.write(f"  {failure}")
