"""Shared fixtures: two committed tenants (alpha, beta) on a real PostgreSQL, clients bound to a host, keys."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import api_key_create, user_create
from tenants.middleware import host_cache_clear
from tenants.models import Tenant
from tenants.services import control_plane_ensure, tenant_provision
from tests.sms_gateway import TOKEN as SMS_GATEWAY_TOKEN
from tests.sms_gateway import Gateway, running_gateway

PASSWORD = "correct-horse-battery-9"
NATIONAL_EMAIL = "national@test.example"


@dataclass(frozen=True)
class TenantInfo:
    tenant: Tenant
    host: str
    admin_email: str

    @property
    def schema(self) -> str:
        return self.tenant.schema_name


@pytest.fixture(scope="session")
def tenant_pair(django_db_setup, django_db_blocker) -> dict[str, TenantInfo]:
    """Committed once per session: the control plane, tenants alpha and beta, each with an admin."""
    with django_db_blocker.unblock():
        control_plane_ensure()
        with schema_context("public"):
            user_create(
                actor=Actor.system("tests"), email=NATIONAL_EMAIL, role=Role.NATIONAL_STAFF, password=PASSWORD
            )
        pair = {}
        for slug, name, region in [
            ("alpha", "甲省政务服务管理局", "130000"),
            ("beta", "乙省政务服务管理局", "140000"),
        ]:
            result = tenant_provision(
                actor=Actor.system("tests"),
                slug=slug,
                name=name,
                kind="province",
                region_code=region,
                admin_email=f"admin@{slug}.example",
                admin_password=PASSWORD,
            )
            pair[slug] = TenantInfo(
                tenant=result.tenant, host=f"{slug}.localhost", admin_email=f"admin@{slug}.example"
            )
        connection.set_schema_to_public()
    return pair


@pytest.fixture
def alpha(tenant_pair, db) -> TenantInfo:
    return tenant_pair["alpha"]


@pytest.fixture
def beta(tenant_pair, db) -> TenantInfo:
    return tenant_pair["beta"]


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    host_cache_clear()
    yield
    connection.set_schema_to_public()
    host_cache_clear()
    process_caches_clear()
    # Redis is not rolled back with the test's transaction: forget cached views of rolled-back rows. Keys and
    # patterns carry the connection's schema (django_tenants.cache.make_key), so clear each schema's own.
    for schema in ("public", "alpha", "beta"):
        with schema_context(schema):
            for pattern in ("*theme:*", "*intake-config*", "*workcalendar:*"):
                cache.delete_pattern(pattern)


def process_caches_clear() -> None:
    """In-process caches of rows a test's rollback removes (keys, devices, intake configuration)."""
    from api.views import capture
    from tenants.accounts import services as accounts
    from tenants.evaluations import selectors

    accounts.api_key_cache_clear()
    capture._device_cache.clear()
    selectors._local.clear()


def host_client(host: str, **defaults) -> Client:
    return Client(HTTP_HOST=host, **defaults)


def make_key(schema: str, role: str, name: str = "test key") -> str:
    with schema_context(schema):
        _key, plaintext = api_key_create(actor=Actor.system("tests"), name=name, role=role)
    return plaintext


def key_client(host: str, plaintext: str) -> Client:
    return host_client(host, HTTP_AUTHORIZATION=f"Api-Key {plaintext}")


@pytest.fixture
def national_key(tenant_pair, db) -> str:
    return make_key("public", Role.NATIONAL_STAFF, "national test key")


def _test_database_url() -> str:
    """DATABASE_URL pointing at the test database pytest-django created (for subprocesses)."""
    import os
    from urllib.parse import urlsplit, urlunsplit

    from django.db import connection as conn

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + conn.settings_dict["NAME"]))


@pytest.fixture(scope="session")
def subprocess_env(tenant_pair) -> dict:
    """Environment for processes (Celery worker, gunicorn) that must see the test database."""
    import os

    env = dict(os.environ)
    env.update(
        DATABASE_URL=_test_database_url(), DJANGO_SETTINGS_MODULE="config.settings.test", LOG_FORMAT="text"
    )
    return env


@contextmanager
def running_celery_worker(env: dict):
    """A real Celery worker process on the test broker and database, stopped on exit."""
    from config.celery import app

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--hostname=test-worker@%h",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class CaptureWorld:
    """A hall with a window, staff, a platform, a published item and a device key, inside one tenant."""

    info: TenantInfo
    department: object
    hall: object
    window: object
    staff: object
    platform: object
    item: object
    device: object
    device_key: str
    integration_key: str


def build_capture_world(info: TenantInfo) -> CaptureWorld:
    from tenants.organisation.models import UnitKind
    from tenants.organisation.services import device_register
    from tests.factories import PlatformFactory, ServiceItemFactory, StaffFactory, UnitFactory

    with schema_context(info.schema):
        department = UnitFactory(code="D01", name="市场监督管理局", kind=UnitKind.DEPARTMENT)
        hall = UnitFactory(code="H01", name="市民中心政务服务大厅", kind=UnitKind.HALL, parent=department)
        window = UnitFactory(code="W01", name="A01 综合受理窗口", kind=UnitKind.WINDOW, parent=hall)
        staff = StaffFactory(staff_no="S001", name="张敏", unit=hall)
        platform = PlatformFactory(code="WEB", name="政务服务网")
        item = ServiceItemFactory(code="ITEM-001", name="食品经营许可证核发", responsible_unit=department)
        device, device_key = device_register(
            actor=Actor.system("tests"), code="DEV-W01", name="评价器", window=window
        )
    return CaptureWorld(
        info=info,
        department=department,
        hall=hall,
        window=window,
        staff=staff,
        platform=platform,
        item=item,
        device=device,
        device_key=device_key,
        integration_key=make_key(info.schema, Role.INTEGRATION, "window system"),
    )


@pytest.fixture
def world(alpha) -> CaptureWorld:
    return build_capture_world(alpha)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    """A local HTTP SMS gateway recording every POST (tests/sms_gateway.py): set `status`, `statuses` or
    `answer` to change how it answers."""
    with running_gateway() as state:
        yield state


@pytest.fixture
def http_sms(settings, gateway) -> Gateway:
    """The product configured to send SMS through the local gateway, with the bearer token `tests.sms_gateway.TOKEN`."""
    settings.SMS_PROVIDER = "http"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = SMS_GATEWAY_TOKEN
    settings.SMS_GATEWAY_TIMEOUT = 5
    return gateway


def committed(fn):
    """Run `fn` on a connection of its own and commit, outside the test's transaction (for processes such as a
    Celery worker or gunicorn, which only see committed rows). Returns fn's result; clean up the same way."""
    import threading

    from django.db import connections

    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
