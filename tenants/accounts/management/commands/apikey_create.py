from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import api_key_create
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Create an API key for a tenant (or, with --national, for the control plane). Prints the key last."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?", help="tenant slug (omit with --national)")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", required=True)
        parser.add_argument("--national", action="store_true", help="a control-plane key")

    def handle(self, *args, slug=None, role, name, national, **options):
        if national == bool(slug):
            raise CommandError("Give a tenant slug, or --national for a control-plane key (not both).")
        schema = "public"
        if slug:
            tenant = Tenant.objects.filter(slug=slug).exclude(schema_name="public").first()
            if tenant is None:
                raise CommandError(f"No tenant with slug {slug!r}.")
            schema = tenant.schema_name
        with schema_context(schema):
            try:
                key, plaintext = api_key_create(actor=Actor.system("cli"), name=name, role=role)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"Created key {key.prefix}… ({role}) in schema {schema}. It is shown once:")
        self.stdout.write(plaintext)
