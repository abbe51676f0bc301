"""Re-encrypt every identity column of every tenant with the first key of IDENTITY_ENCRYPTION_KEYS.

Rotation: put the new key first in IDENTITY_ENCRYPTION_KEYS (keep the old one after it), deploy, run this
command, then remove the old key. Rows are processed in batches inside each schema; it can be re-run.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django_tenants.utils import get_tenant_model, schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.privacy.crypto import rotate
from tenants.privacy.registry import encrypted_models

BATCH = 2000


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    def handle(self, *args, **options):
        schemas = (
            get_tenant_model().objects.exclude(schema_name="public").values_list("schema_name", flat=True)
        )
        for schema in schemas:
            with schema_context(schema):
                total = sum(self._rotate(model, fields) for model, fields in encrypted_models())
                audit_record(
                    actor=Actor.system("identity_rotate_keys"),
                    action="identity.rotate_keys",
                    data={"rows": total},
                )
            self.stdout.write(f"{schema}: {total} rows re-encrypted")

    @staticmethod
    def _rotate(model, fields: list[str]) -> int:
        has_value = Q()
        for name in fields:
            has_value |= ~Q(**{name: ""})
        ids = list(model.objects.filter(has_value).values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            with transaction.atomic():
                rows = list(
                    model.objects.select_for_update()
                    .filter(pk__in=ids[start : start + BATCH])
                    .only("pk", *fields)
                )
                for row in rows:
                    for name in fields:
                        setattr(row, name, rotate(getattr(row, name)))
                model.objects.bulk_update(rows, fields)
        return len(ids)
