"""tenant_provision: the happy path, every bad input, re-runs and a concurrent race."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django_tenants.utils import schema_context, schema_exists

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent, User
from tenants.models import Domain, Tenant
from tenants.services import ProvisioningError, tenant_provision

ACTOR = Actor.system("tests")


def schema_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace")
        return cursor.fetchone()[0]


def provision(**overrides):
    values = {
        "slug": "gamma",
        "name": "丙市政务服务数据管理局",
        "kind": "city",
        "region_code": "440100",
        "admin_email": "Admin@Gamma.Example",
    }
    values.update(overrides)
    return tenant_provision(actor=ACTOR, **values)


def test_provision_creates_row_domain_schema_and_admin(tenant_pair, db):
    # when
    result = provision()
    # then
    tenant = Tenant.objects.get(slug="gamma")
    assert result.created and result.tenant == tenant and result.admin_password
    assert tenant.schema_name == "gamma" and tenant.status == "trial"
    assert Domain.objects.get(tenant=tenant).domain == "gamma.localhost"
    assert schema_exists("gamma")
    with schema_context("gamma"):
        admin = User.objects.get()
        assert admin.email == "admin@gamma.example" and admin.role == "tenant_admin"
        assert admin.check_password(result.admin_password)
        # born migrated: the cloned schema records every migration the template has
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM gamma.django_migrations")
            assert cursor.fetchone()[0] > 10
    assert AuditEvent.objects.filter(action="tenant.provision", target_id=str(tenant.pk)).exists()


def test_new_schema_is_isolated_from_existing_tenants(alpha, db):
    provision()
    with schema_context("gamma"):
        assert list(User.objects.values_list("email", flat=True)) == ["admin@gamma.example"]
    with schema_context(alpha.schema):
        assert not User.objects.filter(email="admin@gamma.example").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "Gamma!"}, "slug"),
        ({"slug": "g"}, "slug"),
        ({"slug": "www"}, "slug"),
        ({"slug": "public"}, "slug"),
        ({"slug": "pgadmin"}, "slug"),
        ({"slug": "1abc"}, "slug"),
        ({"region_code": "44010"}, "region_code"),
        ({"region_code": "990000"}, "region_code"),
        ({"region_code": "440000"}, "region_code"),  # a province code for a city
        ({"kind": "planet"}, "kind"),
        ({"name": "   "}, "name"),
        ({"name": "名" * 201}, "name"),
        ({"admin_email": "not-an-email"}, "admin_email"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_created(tenant_pair, db, overrides, field):
    before = (Tenant.objects.count(), schema_count())
    with pytest.raises(ProvisioningError) as caught:
        provision(**overrides)
    assert field in caught.value.message_dict
    assert (Tenant.objects.count(), schema_count()) == before


def test_taken_slug_with_another_organisation_is_refused(alpha, db):
    with pytest.raises(ProvisioningError) as caught:
        provision(slug="alpha", name="另一个机构")
    assert caught.value.error_dict["slug"][0].code == "taken"
    assert Tenant.objects.get(slug="alpha").name == alpha.tenant.name


def test_rerun_with_same_values_returns_the_existing_tenant(tenant_pair, db):
    first = provision()
    again = provision()
    assert not again.created and again.tenant.pk == first.tenant.pk and again.admin_password is None
    assert Tenant.objects.filter(slug="gamma").count() == 1
    with schema_context("gamma"):
        assert User.objects.count() == 1


def test_failure_midway_leaves_nothing_behind(tenant_pair, db, monkeypatch):
    import tenants.services as services

    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "user_create", explode)
    with pytest.raises(RuntimeError):
        provision()
    assert not Tenant.objects.filter(slug="gamma").exists()
    assert not Domain.objects.filter(domain="gamma.localhost").exists()
    assert not schema_exists("gamma")


def test_cli_creates_a_tenant_and_prints_the_password(tenant_pair, db, capsys):
    call_command(
        "tenant_create",
        "delta",
        "--name",
        "丁县政务服务中心",
        "--kind",
        "county",
        "--region",
        "440106",
        "--parent",
        "alpha",
    )
    out = capsys.readouterr().out
    tenant = Tenant.objects.get(slug="delta")
    assert tenant.parent.slug == "alpha" and tenant.kind == "county"
    assert "Password (shown once):" in out


def test_cli_reports_bad_input_clearly(tenant_pair, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="region_code"):
        call_command("tenant_create", "epsilon", "--name", "戊", "--kind", "city", "--region", "12")


@pytest.mark.django_db(transaction=False)
def test_concurrent_provisioning_of_one_slug_one_wins_other_gets_clear_error(tenant_pair):
    """Two real connections race for the same slug; the unique index decides, nothing is half created."""
    outcomes: list = []
    barrier = threading.Barrier(2)

    def attempt(name: str) -> None:
        try:
            barrier.wait()
            outcomes.append(provision(slug="race", name=name, region_code="440300"))
        except ProvisioningError as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("甲市", "乙市")]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [o for o in outcomes if not isinstance(o, Exception)]
        losers = [o for o in outcomes if isinstance(o, ProvisioningError)]
        assert len(winners) == 1 and len(losers) == 1
        assert losers[0].error_dict["slug"][0].code == "taken"
        assert Tenant.objects.filter(slug="race").count() == 1
        assert Tenant.objects.get(slug="race").name == winners[0].tenant.name
    finally:
        Tenant.objects.filter(slug="race").delete()
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA IF EXISTS race CASCADE")
