"""The tenant schemas a rollup command works on: one (--schema) or every tenant."""

from django_tenants.utils import get_tenant_model


def add_schema_argument(parser) -> None:
    parser.add_argument("--schema", help="one tenant schema (default: every tenant)")


def schemas(schema: str | None) -> list[str]:
    if schema:
        return [schema]
    return list(
        get_tenant_model().objects.exclude(schema_name="public").values_list("schema_name", flat=True)
    )
