"""The public portal's pages: what they show, what they hide, how they may be cached, who configures them."""

import re
from datetime import date

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import AuditEvent
from tenants.cases.models import Case
from tenants.insight.reports.models import Report, ReportKind, ReportStatus
from tenants.insight.selectors import INDICATORS, Scope, indicators
from tenants.portal.models import PortalSettings
from tenants.portal.selectors import Month, month_choose, months_recent
from tests.conftest import host_client
from tests.portal.conftest import month_key
from tests.supervision.conftest import signed_in

PAGES = ("/portal/", "/portal/results/", "/portal/rankings/", "/portal/bad-reviews/", "/portal/reports/")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def text(response) -> str:
    return response.content.decode()


def settings_set(schema: str, **values) -> None:
    with schema_context(schema):
        PortalSettings.objects.update_or_create(pk=1, defaults=values)


STAFF_PDF = b"%PDF-1.4 the staff's report, every hall named"


def report(
    schema: str, *, title: str, published: bool = True, status: str = ReportStatus.DONE, public: bool = True
) -> int:
    """A report row; published ones carry the public PDF (PDF) next to the staff's (STAFF_PDF)."""
    with schema_context(schema):
        return Report.objects.create(
            title=title,
            kind=ReportKind.MONTHLY,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            status=status,
            published=published,
            pdf=STAFF_PDF,
            public_pdf=PDF if published and public else None,
            created_by="tests",
        ).pk


# --- months -------------------------------------------------------------------------------------------------
def test_the_last_twelve_months_end_with_the_current_one():
    months = months_recent(today=date(2026, 3, 15))
    assert [m.key for m in months][:2] == ["2025-04", "2025-05"] and months[-1].key == "2026-03"
    assert months[-1] == Month(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert months[-2].end == date(2026, 2, 28)
    assert month_choose("2025-05", months).key == "2025-05"
    assert month_choose("2024-01", months).key == "2026-03"  # outside the twelve: the newest
    assert month_choose("'; drop", months).key == "2026-03"
    assert (
        month_choose("9999-12", months).key == "2026-03" and month_choose("0001-01", months).key == "2026-03"
    )


def test_months_out_of_range_show_the_newest_month_never_a_500(portal):
    client = host_client(portal.host)
    for path in PAGES:
        for month in ("9999-12", "0001-01", "2026-00", "99999-01"):
            response = client.get(path, {"month": month, "page": "99999999999999999999"})
            assert response.status_code == 200, (path, month)


# --- every page: public, cacheable, cookie-free ---------------------------------------------------------------
@pytest.mark.parametrize("path", PAGES)
def test_pages_open_without_sign_in_are_cacheable_and_set_no_cookie(portal, path):
    portal.rate(6)
    response = host_client(portal.host).get(path)
    assert response.status_code == 200
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF cookie, no language cookie
    assert "csrfmiddlewaretoken" not in text(response)
    assert 'method="post"' not in text(response).lower()


def test_a_post_is_refused(portal):
    assert host_client(portal.host).post("/portal/").status_code == 405


def card(page: str, indicator: str) -> str:
    return re.search(rf'data-indicator="{indicator}">(.*?)</li>', page, re.S).group(1)


def test_the_home_page_shows_every_indicator_with_numerator_and_denominator(portal):
    portal.rate(6)
    portal.rate(2, level=5)
    with schema_context(portal.schema):  # the same figures as the core's indicators (whatever else is there)
        expected = indicators(Scope(start=timezone.localdate().replace(day=1), end=timezone.localdate()))
    page = text(host_client(portal.host).get("/portal/"))
    for key in INDICATORS:
        value = expected[key]
        shown = card(page, key)
        assert (f"{value.numerator} / {value.denominator}" in shown) is (value.value is not None), key
        if value.value is not None:
            assert f"{value.percent:.1f}%" in shown, key
    assert expected["bad_rate"].numerator >= 2 and expected["good_rate"].numerator >= 6
    assert "insight/vendor/echarts-5.6.0.min.js" in page and 'id="portal-chart-data"' in page
    chosen = text(host_client(portal.host).get("/portal/", {"indicator": "bad_rate"}))
    table = chosen[chosen.index('id="trend-table"') :]
    assert table.count('<th scope="row">') == 12 and month_key() in table
    bad = expected["bad_rate"]
    assert f"{bad.percent:.1f}%</td>\n        <td>{bad.numerator} / {bad.denominator}</td>" in table
    assert 'aria-current="true">Bad-review rate' in chosen


def test_the_intro_is_shown(portal):
    settings_set(portal.schema, intro="本平台公开本省政务服务评价结果。")
    assert "本平台公开本省政务服务评价结果。" in text(host_client(portal.host).get("/portal/"))


# --- groups below the threshold ------------------------------------------------------------------------------
def test_results_hide_groups_below_the_smallest_size_and_show_those_at_it(portal):
    portal.rate(4)
    portal.rate(1, level=4)  # the large hall: 5 ratings, exactly the default threshold
    portal.rate(4, small=True)  # the small department and hall: 4 ratings
    page = text(host_client(portal.host).get("/portal/results/", {"month": month_key()}))
    large = re.search(r'<tr data-unit="H01">(.*?)</tr>', page, re.S).group(1)
    assert "80.0%" in large and "4 / 5" in large and "样本不足" not in large
    small = re.search(r'<tr class="suppressed" data-unit="H02">(.*?)</tr>', page, re.S).group(1)
    assert "样本不足，不单独公示" in small and "4" not in re.sub(r"<[^>]+>", "", small).replace(
        "样本不足", ""
    )
    assert re.search(r'<tr class="suppressed" data-unit="D02">', page)
    assert re.search(r'<tr data-unit="D01">', page)
    # a lower threshold shows the small groups too
    settings_set(portal.schema, min_group_size=4)
    page = text(host_client(portal.host).get("/portal/results/", {"month": month_key()}))
    assert re.search(r'<tr data-unit="H02">', page) and "样本不足，不单独公示" not in page


def test_bad_reviews_of_small_units_are_only_counted(portal):
    portal.rate(6)
    portal.rate(1, level=5, comment="大厅空调坏了", public=True)
    portal.rate(2, small=True, level=5, comment="小单位的意见", public=True)
    client = host_client(portal.host)
    page = text(client.get("/portal/bad-reviews/", {"month": month_key()}))
    assert page.count('class="review"') + page.count('class="review closed"') == 1
    assert "大厅空调坏了" in page and "小单位的意见" not in page
    assert 'data-hidden="2"' in page
    assert "东区便民服务大厅" not in page and "不动产登记中心" not in page  # not even in the unit filter
    # asking for the small unit by code names and counts nothing
    refused = text(client.get("/portal/bad-reviews/", {"month": month_key(), "unit": "H02"}))
    assert "小单位的意见" not in refused and "data-hidden" not in refused and "too few ratings" in refused
    # nor may a window be asked for
    assert 'class="review' not in text(client.get("/portal/bad-reviews/", {"unit": "W01"}))


def test_bad_reviews_show_the_unit_item_reasons_and_rectification_in_plain_words(portal):
    portal.rate(5)
    [evaluation_id] = portal.rate(1, level=4, tags=["attitude", "long_wait"])
    with schema_context(portal.schema):
        case = Case.objects.get(evaluation_id=evaluation_id)
    page = text(host_client(portal.host).get("/portal/bad-reviews/", {"month": month_key(), "unit": "D01"}))
    entry = re.search(rf'data-case="{case.number}">(.*?)</li>', page, re.S).group(1)
    assert "市民中心政务服务大厅" in entry and "食品经营许可证核发" in entry
    assert "服务态度差" in entry and "窗口等候时间长" in entry
    assert "Received, being handled" in entry
    assert "A01 综合受理窗口" not in page  # the window is shown as its hall


def test_bad_reviews_are_paginated_and_the_filters_are_kept(portal):
    portal.rate(30, level=4)
    client = host_client(portal.host)
    first = text(client.get("/portal/bad-reviews/", {"month": month_key(), "unit": "H01"}))
    assert first.count("data-case=") == 20 and "Page 1 of 2" in first
    assert f"?month={month_key()}&amp;unit=H01&amp;page=2" in first
    second = text(client.get("/portal/bad-reviews/", {"month": month_key(), "unit": "H01", "page": 2}))
    assert second.count("data-case=") == 10


def test_rankings_rank_only_large_enough_samples_and_never_name_small_groups(portal):
    portal.rate(40)
    portal.rate(4, small=True)
    page = text(host_client(portal.host).get("/portal/rankings/", {"month": month_key()}))
    assert re.search(r'<tr data-unit="D01">\s*<td data-label="Rank" class="rank">\d+</td>', page)
    assert "不动产登记中心" not in page and "东区便民服务大厅" not in page
    assert "1 more unit had too few ratings" in page
    settings_set(portal.schema, min_group_size=3)
    page = text(host_client(portal.host).get("/portal/rankings/", {"month": month_key()}))
    assert re.search(r'<li data-unit="D02">不动产登记中心 · 4 ratings</li>', page)  # listed apart, unranked


# --- reports ---------------------------------------------------------------------------------------------------
def test_only_published_finished_reports_are_listed_and_served(portal):
    shown = report(portal.schema, title="2026年1月好差评月报")
    draft = report(portal.schema, title="未公开的月报", published=False)
    failed = report(portal.schema, title="失败的月报", status=ReportStatus.FAILED)
    no_public = report(portal.schema, title="没有公开版的月报", public=False)
    client = host_client(portal.host)
    page = text(client.get("/portal/reports/"))
    assert "2026年1月好差评月报" in page and "未公开的月报" not in page and "失败的月报" not in page
    assert "没有公开版的月报" not in page
    response = client.get(f"/portal/reports/{shown}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # the public variant only, never the staff's PDF
    assert response.content == PDF and "max-age=60" in response["Cache-Control"]
    assert client.get(f"/portal/reports/{draft}.pdf").status_code == 404
    assert client.get(f"/portal/reports/{failed}.pdf").status_code == 404
    assert client.get(f"/portal/reports/{no_public}.pdf").status_code == 404
    assert client.get("/portal/reports/999999.pdf").status_code == 404


# --- the portal withdrawn --------------------------------------------------------------------------------------
def test_a_disabled_portal_answers_404_with_a_friendly_page(portal):
    published = report(portal.schema, title="月报")
    settings_set(portal.schema, enabled=False)
    client = host_client(portal.host)
    for path in (*PAGES, f"/portal/reports/{published}.pdf"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "The public results are not available" in text(response)
        assert not response.cookies


# --- cross-tenant ----------------------------------------------------------------------------------------------
def test_another_tenants_portal_shows_none_of_alphas_bad_reviews_or_reports(portal, beta):
    portal.rate(6)
    portal.rate(2, level=5, comment="甲省的差评内容", public=True)
    alpha_report = report(portal.schema, title="甲省一月月报")
    client = host_client(beta.host)
    for path in PAGES:
        page = text(client.get(path, {"month": month_key()}))
        for secret in ("甲省的差评内容", "甲省一月月报", "市民中心政务服务大厅", "食品经营许可证核发"):
            assert secret not in page, (path, secret)
    assert client.get(f"/portal/reports/{alpha_report}.pdf").status_code == 404
    beta_page = text(client.get("/portal/bad-reviews/", {"month": month_key()}))
    assert "data-case=" not in beta_page
    alpha_page = text(host_client(portal.host).get("/portal/bad-reviews/", {"month": month_key()}))
    assert "甲省的差评内容" in alpha_page


# --- settings ---------------------------------------------------------------------------------------------------
def test_only_the_tenant_admin_opens_the_settings(portal):
    assert host_client(portal.host).get("/settings/portal/").status_code == 302  # to the sign-in page
    for role in ("supervisor", "officer", "auditor", "window_staff"):
        assert signed_in(portal.world.info, role).get("/settings/portal/").status_code == 403, role
    assert signed_in(portal.world.info, "tenant_admin").get("/settings/portal/").status_code == 200


def test_settings_are_saved_and_audited(portal):
    admin = signed_in(portal.world.info, "tenant_admin")
    response = admin.post(
        "/settings/portal/",
        {"enabled": "on", "min_group_size": "10", "intro": "  欢迎监督  "},  # show_comments unticked
    )
    assert response.status_code == 302
    with schema_context(portal.schema):
        saved = PortalSettings.objects.get()
        event = AuditEvent.objects.filter(action="portal.settings").latest("id")
    assert (saved.enabled, saved.min_group_size, saved.show_comments, saved.intro) == (
        True,
        10,
        False,
        "欢迎监督",
    )
    assert event.actor_label == admin.user.email
    assert event.data["before"]["min_group_size"] == 5 and event.data["after"]["min_group_size"] == 10
    assert event.data["after"]["show_comments"] is False


def test_settings_refuse_a_threshold_out_of_range(portal):
    admin = signed_in(portal.world.info, "tenant_admin")
    response = admin.post("/settings/portal/", {"enabled": "on", "min_group_size": "0"})
    assert response.status_code == 400
    with schema_context(portal.schema):
        assert not PortalSettings.objects.exists()
        assert not AuditEvent.objects.filter(action="portal.settings").exists()


def test_an_officer_cannot_change_the_settings(portal):
    officer = signed_in(portal.world.info, "officer")
    assert officer.post("/settings/portal/", {"enabled": "", "min_group_size": "5"}).status_code == 403
    with schema_context(portal.schema):
        assert not PortalSettings.objects.exists()
