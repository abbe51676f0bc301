from django.core.management.base import BaseCommand, CommandError

from tenants.accounts.actors import Actor
from tenants.models import Tenant, TenantKind
from tenants.services import ProvisioningError, tenant_provision


class Command(BaseCommand):
    help = "Provision a tenant: registry row, domain, schema cloned from the template, first administrator."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=TenantKind.values)
        parser.add_argument("--region", required=True, help="6-digit GB/T 2260 region code")
        parser.add_argument("--parent", help="slug of the parent tenant")
        parser.add_argument("--admin-email", help="first administrator (default admin@<slug>.example)")
        parser.add_argument("--admin-password", help="default: generated and printed once")

    def handle(
        self, *args, slug, name, kind, region, parent=None, admin_email=None, admin_password=None, **options
    ):
        parent_tenant = None
        if parent:
            parent_tenant = Tenant.objects.filter(slug=parent).first()
            if parent_tenant is None:
                raise CommandError(f"parent: no tenant with slug {parent!r}.")
        try:
            result = tenant_provision(
                actor=Actor.system("cli"),
                slug=slug,
                name=name,
                kind=kind,
                region_code=region,
                admin_email=admin_email or f"admin@{slug}.example",
                admin_password=admin_password,
                parent=parent_tenant,
            )
        except ProvisioningError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            ) from exc
        verb = "Created" if result.created else "Already provisioned"
        self.stdout.write(f"{verb}: {result.tenant.name} → schema {result.tenant.schema_name}")
        self.stdout.write(f"Admin: {result.admin_email}")
        if result.admin_password:
            self.stdout.write(f"Password (shown once): {result.admin_password}")
