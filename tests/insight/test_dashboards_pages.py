"""The dashboard pages: who may see them, what they show, their CSV/XLSX downloads, bad filters, and that one
tenant's people never see another's figures. The fixture is the one of test_dashboards_selectors.py."""

import csv
import io
import json
import re

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.conftest import host_client
from tests.insight.test_dashboards_selectors import build
from tests.supervision.conftest import signed_in

PERIOD = "from=2026-03-01&to=2026-04-30"
PAGES = ("/insight/", "/insight/breakdown/", "/insight/coverage/")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def fx(world):
    return build(world)


@pytest.fixture
def supervisor(alpha):
    return signed_in(alpha, "supervisor")


def text(response) -> str:
    return response.content.decode()


def charts(response) -> dict:
    match = re.search(
        r'<script id="insight-charts" type="application/json">(.*?)</script>', text(response), re.S
    )
    assert match, "no chart data embedded"
    return json.loads(match.group(1))


def csv_rows(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


# --- who may see them ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["supervisor", "officer", "auditor", "tenant_admin"])
def test_permitted_roles_see_every_page(alpha, role):
    client = signed_in(alpha, role)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        assert 'id="figures-status"' in text(response)


def test_window_staff_may_not_and_strangers_are_sent_to_sign_in(alpha):
    staff = signed_in(alpha, "window_staff")
    anonymous = host_client(alpha.host)
    for page in PAGES:
        assert staff.get(page).status_code == 403
        assert staff.get(page + "?download=csv&table=coverage").status_code == 403
        response = anonymous.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


DOWNLOADS = (
    f"/insight/?{PERIOD}&download=csv&table=channels",
    f"/insight/?{PERIOD}&download=xlsx&table=indicators",
    f"/insight/breakdown/?{PERIOD}&by=staff&download=xlsx&table=by-staff",
    f"/insight/breakdown/?{PERIOD}&by=staff&download=csv&table=by-staff",
    f"/insight/coverage/?{PERIOD}&download=csv&table=uncovered-staff",
)


def test_table_downloads_need_the_export_permission_and_only_those_who_have_it_see_the_links(fx):
    """Staff-level tables are data exports: officers (VIEW_INSIGHT only) read the pages, without download
    links, and get 403 for a download; supervisors, auditors and administrators (EXPORT_DATA) download."""
    officer = signed_in(fx.world.info, "officer")
    for url in DOWNLOADS:
        assert officer.get(url).status_code == 403, url
    for page in PAGES:
        response = officer.get(f"{page}?{PERIOD}")
        assert response.status_code == 200 and 'id="table-' in text(response)
        assert "data-download=" not in text(response) and "download=csv" not in text(response)
    for role in ("supervisor", "auditor", "tenant_admin"):
        client = signed_in(fx.world.info, role)
        assert 'data-download="xlsx"' in text(client.get(f"/insight/breakdown/?{PERIOD}&by=staff"))
        for url in DOWNLOADS:
            response = client.get(url)
            assert response.status_code == 200 and "attachment" in response["Content-Disposition"], (
                role,
                url,
            )


def test_the_breakdown_table_shows_a_limited_number_of_rows_and_the_download_has_them_all(
    fx, supervisor, monkeypatch
):
    from tenants.insight.dashboards import panels

    monkeypatch.setattr(panels, "BREAKDOWN_SHOWN", 2)
    page = text(supervisor.get(f"/insight/breakdown/?{PERIOD}&by=window"))
    body = re.search(r'<table id="table-by-window".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert body.count("<tr>") == 2
    assert 'data-truncated="by-window"' in page and "The first 2 of 3 rows are shown" in page
    assert "the download has them all" in page
    rows = csv_rows(supervisor.get(f"/insight/breakdown/?{PERIOD}&by=window&download=csv&table=by-window"))
    assert len(rows) == 4  # the header and all three windows
    officer = text(signed_in(fx.world.info, "officer").get(f"/insight/breakdown/?{PERIOD}&by=window"))
    assert "The first 2 of 3 rows are shown" in officer and "the download has them all" not in officer


# --- what they show ------------------------------------------------------------------------------------------
def test_overview_shows_the_indicators_charts_and_their_tables(fx, supervisor):
    response = supervisor.get(f"/insight/?{PERIOD}")
    assert response.status_code == 200
    page = text(response)
    assert re.search(r'data-kpi="volume"><span class="value">8</span>', page)
    assert re.search(r'data-kpi="good_rate"><span class="value">75.00%</span>', page)
    assert "6 / 8" in page and "5 / 7" in page  # good rate; active good rate without the default rating
    assert "Figures as of" in page and "Period: 2026-03-01 to 2026-04-30." in page
    data = charts(response)
    assert set(data) == {"trend", "channels", "hours", "rectification"}
    assert len(data["trend"]["x"]) == 61 and sum(data["trend"]["counts"]["data"]) == 8
    assert {d["name"]: d["value"] for d in data["channels"]["data"]} == {
        "Window rating device": 5,
        "QR code": 2,
        "Web": 1,
    }
    for name in ("indicators", "trend", "channels", "hours", "rectification"):
        assert f'<table id="table-{name}"' in page and f'id="table-{name}-caption"' in page
        assert f"download=csv&amp;table={name}" in page and f"download=xlsx&amp;table={name}" in page
    for chart in ("trend", "channels", "hours", "rectification"):
        assert re.search(rf'data-chart="{chart}" role="img" aria-label="[^"]+"', page)
    assert '<th scope="col"' in page and '<th scope="row"' in page
    assert "<script>" not in page  # chart data only as JSON, drawn by charts.js


def test_the_trend_switches_to_weeks_and_months(fx, supervisor):
    weeks = charts(supervisor.get(f"/insight/?{PERIOD}&granularity=week"))["trend"]
    assert weeks["x"][:2] == ["2026-02-23", "2026-03-02"] and weeks["counts"]["data"][1] == 4
    months = supervisor.get(f"/insight/?{PERIOD}&granularity=month")
    assert charts(months)["trend"]["x"] == ["2026-03", "2026-04"]
    assert 'data-granularity="month" aria-current="true"' in text(months)


def test_a_long_period_is_drawn_per_week_or_month_unless_asked(fx, supervisor):
    year = charts(supervisor.get("/insight/?from=2025-05-01&to=2026-04-30"))["trend"]
    assert year["x"][:2] == ["2025-04-28", "2025-05-05"] and sum(year["counts"]["data"]) == 8
    assert len(charts(supervisor.get("/insight/?from=2023-06-01&to=2026-04-30"))["trend"]["x"]) == 35
    daily = charts(supervisor.get("/insight/?from=2025-05-01&to=2026-04-30&granularity=day"))["trend"]
    assert len(daily["x"]) == 365


def test_overview_downloads_as_csv_and_xlsx(fx, supervisor):
    response = supervisor.get(f"/insight/?{PERIOD}&download=csv&table=channels")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="insight-overview-20260301-20260430-channels.csv"'
    )
    assert csv_rows(response) == [
        ["Channel", "Ratings", "Share (%)"],
        ["Window rating device", "5", "62.5"],
        ["QR code", "2", "25.0"],
        ["Web", "1", "12.5"],
    ]
    response = supervisor.get(f"/insight/?{PERIOD}&granularity=month&download=xlsx&table=trend")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith(
        'filename="insight-overview-20260301-20260430-trend.xlsx"'
    )
    rows = xlsx_rows(response)
    assert rows[0][:4] == ("Month", "Ratings", "Good (levels 1–3)", "Bad (levels 4–5)")
    assert rows[1][:5] == ("2026-03", 7, 5, 2, 71.43) and rows[2][:4] == ("2026-04", 1, 1, 0)
    indicators = xlsx_rows(supervisor.get(f"/insight/?{PERIOD}&download=xlsx&table=indicators"))
    assert ("Good-review rate (好评率)", 75, 6, 8) in indicators
    heat = csv_rows(supervisor.get(f"/insight/?{PERIOD}&download=csv&table=hours"))
    assert heat[1][0] == "Monday" and heat[1][1 + 9] == "2" and heat[5][1 + 20] == "1"


def test_an_unknown_table_or_format_is_not_found(fx, supervisor):
    assert supervisor.get("/insight/?download=csv&table=nope").status_code == 404
    assert supervisor.get("/insight/?download=pdf&table=trend").status_code == 404


def test_breakdown_drills_down_the_unit_tree(fx, supervisor):
    top = supervisor.get(f"/insight/breakdown/?{PERIOD}")
    assert top.status_code == 200 and "parent=D01" in text(top)  # D01 has children: it links to them
    assert "parent=D02" not in text(top)
    halls = supervisor.get(f"/insight/breakdown/?{PERIOD}&by=unit&parent=D01")
    page = text(halls)
    assert "parent=H01" in page and "parent=H02" in page
    crumbs = re.search(r'<nav aria-label="Unit tree" class="breadcrumb">(.*?)</nav>', page, re.S).group(1)
    assert "All units" in crumbs and 'aria-current="location">市场监督管理局' in crumbs
    assert charts(halls)["by-unit"]["categories"] == ["市民中心政务服务大厅", "分中心大厅"]
    rows = csv_rows(
        supervisor.get(f"/insight/breakdown/?{PERIOD}&by=unit&parent=D01&download=csv&table=by-unit")
    )
    assert rows[0][:6] == [
        "Name",
        "Code",
        "Ratings",
        "Good (levels 1–3)",
        "Bad (levels 4–5)",
        "Given by the evaluator",
    ]
    assert rows[0][9] == "Bad-review cases"
    assert rows[1][:6] == ["市民中心政务服务大厅", "H01", "6", "5", "1", "5"] and rows[1][9] == "1"
    windows = text(supervisor.get(f"/insight/breakdown/?{PERIOD}&by=unit&parent=H01"))
    assert "A01 综合受理窗口" in windows and "parent=W01" not in windows  # windows have nothing below


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("window", {"W01": 4, "W02": 2, "W03": 1}),
        ("hall", {"H01": 6, "H02": 1}),
        ("staff", {"S001": 5, "S002": 2}),
        ("item", {"ITEM-001": 5, "ITEM-002": 3}),
        ("platform", {"WEB": 1}),
    ],
)
def test_breakdown_by_each_dimension_downloads_its_rows(fx, supervisor, by, expected):
    page = supervisor.get(f"/insight/breakdown/?{PERIOD}&by={by}")
    assert page.status_code == 200 and f'data-by="{by}" aria-current="page"' in text(page)
    rows = xlsx_rows(supervisor.get(f"/insight/breakdown/?{PERIOD}&by={by}&download=xlsx&table=by-{by}"))
    assert {r[1]: r[2] for r in rows[1:]} == expected


def test_coverage_page_lists_what_got_no_rating(fx, supervisor):
    response = supervisor.get(f"/insight/coverage/?{PERIOD}")
    page = text(response)
    assert response.status_code == 200 and "ITEM-003" in page and "W04" in page and "S003" in page
    assert charts(response)["coverage"]["series"][0]["data"] == [66.67, 83.33, 66.67, 33.33]
    rows = csv_rows(supervisor.get(f"/insight/coverage/?{PERIOD}&download=csv&table=coverage"))
    assert rows[1] == ["Service items", "2", "3", "66.67", "1"]
    items = xlsx_rows(supervisor.get(f"/insight/coverage/?{PERIOD}&download=xlsx&table=uncovered-items"))
    assert items == [("Name", "Code"), ("就业登记", "ITEM-003")]


# --- bad filters ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("page", "query", "message"),
    [
        ("/insight/", "from=yesterday", "Enter a valid date."),
        ("/insight/", "unit=NOPE", "No unit has the code NOPE."),
        ("/insight/", "item=NOPE", "No service item has the code NOPE."),
        ("/insight/", "from=2026-03-10&to=2026-03-01", "The end of the period is before its start."),
        ("/insight/", "granularity=year", "Select a valid choice."),
        ("/insight/", "channel=pigeon&download=csv&table=trend", "Select a valid choice."),
        ("/insight/breakdown/", "by=colour", "Select a valid choice."),
        ("/insight/breakdown/", "parent=NOPE", "No unit has the code NOPE."),
        ("/insight/coverage/", "to=2099-13-01", "Enter a valid date."),
        # dates out of range: a form error naming the field, never an overflow (500)
        ("/insight/", "to=0001-01-01", "“To” must be on or after 2000-01-01."),
        ("/insight/", "from=0001-01-01", "“From” must be on or after 2000-01-01."),
        ("/insight/", "from=9999-12-01&to=9999-12-31&granularity=month", "“From” must be on or before"),
        ("/insight/", "to=9999-12-31", "“To” must be on or before"),
        ("/insight/breakdown/", "to=0001-01-05", "“To” must be on or after 2000-01-01."),
        ("/insight/coverage/", "from=9999-12-31", "“From” must be on or before"),
    ],
)
def test_a_bad_filter_shows_the_form_error(alpha, supervisor, page, query, message):
    response = supervisor.get(f"{page}?{query}")
    assert response.status_code == 200
    assert 'id="filter-errors"' in text(response) and message in text(response)
    assert "insight-charts" not in text(response)


# --- across tenants ------------------------------------------------------------------------------------------
def test_a_beta_user_never_sees_alpha_figures(fx, beta):
    client = signed_in(beta, "supervisor")
    response = client.get(f"/insight/?{PERIOD}")
    assert response.status_code == 200
    assert re.search(r'data-kpi="volume"><span class="value">0</span>', text(response))
    assert sum(charts(response)["trend"]["counts"]["data"]) == 0
    assert csv_rows(client.get(f"/insight/?{PERIOD}&download=csv&table=channels")) == [
        ["Channel", "Ratings", "Share (%)"]
    ]
    rows = csv_rows(client.get(f"/insight/breakdown/?{PERIOD}&by=window&download=csv&table=by-window"))
    assert len(rows) == 1
    for query in ("unit=W01", "by=unit&parent=D01"):
        page = text(client.get(f"/insight/breakdown/?{PERIOD}&{query}"))
        assert "No unit has the code" in page and "A01 综合受理窗口" not in page
    coverage = text(client.get(f"/insight/coverage/?{PERIOD}"))
    assert "ITEM-003" not in coverage and "S003" not in coverage
    # alpha's own supervisor does see them
    alpha_page = text(signed_in(fx.world.info, "supervisor").get(f"/insight/?{PERIOD}"))
    assert re.search(r'data-kpi="volume"><span class="value">8</span>', alpha_page)
