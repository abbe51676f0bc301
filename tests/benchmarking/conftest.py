"""Fixtures for national benchmarking: Tenant rows without schemas (rankings read only the public schema's
rollups), their daily figures written as the feed relay writes them, and national staff signed in on the
control-plane host."""

from datetime import date

import pytest
from control_plane.benchmarking.services import month_stats_refresh
from control_plane.models import TenantDayStats
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tenants.models import Tenant, TenantStatus
from tests.conftest import NATIONAL_EMAIL, host_client

CONTROL_PLANE = "localhost"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))


def make_tenant(slug: str, kind: str, region_code: str, name: str = "", status=TenantStatus.ACTIVE) -> Tenant:
    """A registry row only: no schema is created (nothing here queries one)."""
    return Tenant.objects.create(
        schema_name=slug,
        slug=slug,
        name=name or f"{slug} 政务服务",
        kind=kind,
        region_code=region_code,
        status=status,
    )


def put_day(tenant: Tenant, day: date, revision: int = 1, **figures) -> TenantDayStats:
    """A day's figures as the relay stores them (TenantDayStats upserted, then the month rows refreshed)."""
    row, _created = TenantDayStats.objects.update_or_create(
        tenant=tenant, day=day, defaults={"revision": revision, **figures}
    )
    month_stats_refresh(tenant=tenant, days=[day])
    return row


def national_client(email: str = NATIONAL_EMAIL):
    """A client signed in on the control-plane host; the session is made in the public schema."""
    client = host_client(CONTROL_PLANE)
    with schema_context("public"):
        client.force_login(User.objects.get(email=email), backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def national(tenant_pair, db):
    return national_client()


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English labels; the Chinese catalogue is checked centrally (tests/test_i18n.py)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def counties(tenant_pair, db):
    """Five counties with hand-made figures (see the tests for the arithmetic), one city, one archived county.

    March 2026 (good of ratings, bad, given good of given):
      A 95/100 (5 bad; active 55/60), B 190/200 (10 bad; active 40/50), E 45/50 (5 bad; active 45/50),
      C 29/29 (below the minimum sample of 30), D nothing at all.
    February 2026: A 99/100, B 150/200, E 49/50.
    """
    t = {
        "A": make_tenant("cnta", "county", "130102", "甲县"),
        "B": make_tenant("cntb", "county", "130103", "乙县"),
        "C": make_tenant("cntc", "county", "140105", "丙县"),
        "D": make_tenant("cntd", "county", "140106", "丁县"),
        "E": make_tenant("cnte", "county", "440305", "戊县"),
        "city": make_tenant("cityx", "city", "130100", "某市"),
        "gone": make_tenant("cntz", "county", "130104", "已归档县", status=TenantStatus.ARCHIVED),
    }
    march = {
        "A": {"ratings": 100, "good": 95, "bad": 5, "given": 60, "given_good": 55, "defaults": 40},
        "B": {"ratings": 200, "good": 190, "bad": 10, "given": 50, "given_good": 40, "defaults": 150},
        "E": {"ratings": 50, "good": 45, "bad": 5, "given": 50, "given_good": 45, "defaults": 0},
        "C": {"ratings": 29, "good": 29, "bad": 0, "given": 29, "given_good": 29, "defaults": 0},
        "city": {"ratings": 1000, "good": 1000, "bad": 0, "given": 1000, "given_good": 1000},
        "gone": {"ratings": 1000, "good": 1000, "bad": 0, "given": 1000, "given_good": 1000},
    }
    february = {
        "A": {"ratings": 100, "good": 99, "bad": 1, "given": 100, "given_good": 99},
        "B": {"ratings": 200, "good": 150, "bad": 50, "given": 200, "given_good": 150},
        "E": {"ratings": 50, "good": 49, "bad": 1, "given": 50, "given_good": 49},
    }
    for key, figures in march.items():
        # split over two days to check that days are summed
        first = {k: v // 2 for k, v in figures.items()}
        second = {k: v - first[k] for k, v in figures.items()}
        put_day(t[key], date(2026, 3, 3), **first)
        put_day(t[key], date(2026, 3, 20), **second)
    for key, figures in february.items():
        put_day(t[key], date(2026, 2, 10), **figures)
    return t
