"""The scorecard pages: who may see them, what they show (n, rate, interval and rank change beside every rank,
candidates with the rules, warnings with their evidence and never the evaluator), the CSV, and tenant isolation."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from tenants.organisation.models import UnitKind
from tests.factories import StaffFactory, UnitFactory
from tests.insight.test_scorecards import drained, local, rate
from tests.supervision.conftest import signed_in

MARCH = "from=2026-03-01&to=2026-03-31"
PAGES = (
    f"/insight/scorecards/?{MARCH}",
    "/insight/scorecards/candidates/?month=2026-03",
    "/insight/scorecards/warnings/?month=2026-03",
)


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English messages; the zh-Hans catalogue is checked centrally (tests/test_i18n.py)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def rated(world):
    """March: W01/S001 with 95 good and 5 bad of 100 ratings; W02/S002 with 3 good of 3. February: W01 30/30,
    W03 (a third window) 40/40, so W01 was second then."""
    with schema_context(world.info.schema):
        w02 = UnitFactory(code="W02", name="A02 综合受理窗口", kind=UnitKind.WINDOW, parent=world.hall)
        w03 = UnitFactory(code="W03", name="A03 社保窗口", kind=UnitKind.WINDOW, parent=world.hall)
        s002 = StaffFactory(staff_no="S002", name="王芳", unit=world.hall)
    rate(world, 95, start=local(2026, 3, 2, 8), prefix="G", step=timedelta(minutes=10))
    rate(world, 5, start=local(2026, 3, 20, 9), prefix="B", level=5)
    rate(world, 3, start=local(2026, 3, 3, 9), prefix="S", staff=s002, window=w02)
    rate(world, 30, start=local(2026, 2, 10, 8), prefix="F")
    rate(world, 40, start=local(2026, 2, 10, 8), prefix="H", staff=s002, window=w03)
    drained(world)
    return world, w02, w03, s002


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_the_insight_permission(alpha, path):
    assert signed_in(alpha, "supervisor").get(path).status_code == 200
    assert signed_in(alpha, "officer").get(path).status_code == 200
    assert signed_in(alpha, "window_staff").get(path).status_code == 403
    anonymous = signed_in(alpha, "auditor")
    anonymous.logout()
    assert anonymous.get(path).status_code == 302


def test_rankings_page_shows_n_rate_interval_and_rank_change_beside_every_rank(alpha, rated):
    world, w02, _w03, _s002 = rated
    client = signed_in(alpha, "supervisor")
    html = client.get(f"/insight/scorecards/?level=window&{MARCH}").content.decode()
    ranked = html[html.index('id="ranking-table"') : html.index('id="unranked-table"')]
    assert f'data-id="{world.window.pk}" data-rank="1"' in ranked
    assert "A01 综合受理窗口" in ranked and ">100<" in ranked and ">95<" in ranked
    assert "95.00%" in ranked and "88.82% – 97.85%" in ranked  # Wilson 95/100
    assert "▲ 1" in ranked and "up 1 place" in ranked and "was 2" in ranked  # second in February
    unranked = html[html.index('id="unranked-table"') :]
    assert f'data-id="{w02.pk}"' in unranked and "43.85% – 100.00%" in unranked
    assert f'href="/insight/scorecards/window/{world.window.pk}/?from=2026-03-01&amp;to=2026-03-31"' in ranked
    assert 'id="ranking-data"' in html and "echarts-5.6.0.min.js" in html
    # a lower minimum ranks the small sample, below the large one
    html = client.get(f"/insight/scorecards/?level=window&min_sample=3&{MARCH}").content.decode()
    assert f'data-id="{w02.pk}" data-rank="2"' in html


def test_rankings_page_rejects_bad_controls(alpha):
    client = signed_in(alpha, "supervisor")
    assert client.get("/insight/scorecards/?level=galaxy").status_code == 400
    assert client.get("/insight/scorecards/?min_sample=0").status_code == 400
    assert client.get("/insight/scorecards/?from=2026-03-05&to=2026-03-01").status_code == 400


def test_rankings_csv_for_those_who_may_export(alpha, rated):
    response = signed_in(alpha, "supervisor").get(f"/insight/scorecards/?level=window&{MARCH}&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "ranking-window-20260301-20260331.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][:10] == ["1", "2", "1", "W01", "A01 综合受理窗口", "100", "95", "5", "95.0", "88.82"]
    assert rows[2][:6] == ["", "", "", "W02", "A02 综合受理窗口", "3"]
    # officers see the rankings but may not export them
    assert signed_in(alpha, "officer").get(f"/insight/scorecards/?{MARCH}&format=csv").status_code == 403


def test_staff_and_window_scorecard_pages(alpha, rated):
    world, w02, _w03, s002 = rated
    client = signed_in(alpha, "supervisor")
    html = client.get(f"/insight/scorecards/staff/{world.staff.pk}/?{MARCH}").content.decode()
    assert "张敏" in html and "95 / 100" in html and "88.82% – 97.85%" in html
    assert '<dd data-measure="total">5</dd>' in html
    assert html.count("<tr data-evaluation=") == 5
    assert "李0明" not in html and "13900130000" not in html  # never the evaluator
    html = client.get(f"/insight/scorecards/window/{w02.pk}/?{MARCH}").content.decode()
    assert "A02 综合受理窗口" in html and "3 / 3" in html and "王芳" in html
    assert client.get(f"/insight/scorecards/window/{world.hall.pk}/").status_code == 404  # not a window
    assert client.get("/insight/scorecards/staff/987654321/").status_code == 404
    assert signed_in(alpha, "window_staff").get(f"/insight/scorecards/staff/{s002.pk}/").status_code == 403


def test_candidates_page_lists_rules_and_evidence(alpha, rated):
    world, *_ = rated
    html = (
        signed_in(alpha, "supervisor").get("/insight/scorecards/candidates/?month=2026-03").content.decode()
    )
    assert "为民服务标兵" in html and "群众满意窗口" in html and "At least 30 ratings in the month." in html
    # S001: 100 ratings, 5 bad reviews in March → on the warning list, not eligible
    ineligible = html[html.index('id="ineligible-staff"') :]
    assert f'data-id="{world.staff.pk}"' in ineligible and "Repeated bad reviews this month" in ineligible
    html = (
        signed_in(alpha, "supervisor").get("/insight/scorecards/candidates/?month=2026-02").content.decode()
    )
    eligible = html[html.index('id="candidates-window"') :]
    assert 'data-position="1"' in eligible and "A03 社保窗口" in eligible  # 40/40 before 30/30
    assert eligible.index("A03 社保窗口") < eligible.index("A01 综合受理窗口")
    assert (
        signed_in(alpha, "supervisor").get("/insight/scorecards/candidates/?month=2026-13").status_code == 400
    )


def test_warnings_page_shows_the_evidence_and_never_the_evaluator(alpha, rated):
    world, *_ = rated
    html = signed_in(alpha, "supervisor").get("/insight/scorecards/warnings/?month=2026-03").content.decode()
    card = html[html.index(f'data-kind="staff" data-id="{world.staff.pk}"') :]
    assert "5 bad reviews this month." in card
    assert card.count("<tr data-evaluation=") >= 5 and "2026-03-20 09:01" in card
    assert "李0明" not in html and "13900130000" not in html
    with schema_context(alpha.schema):
        from tenants.cases.models import Case

        numbers = list(Case.objects.values_list("number", flat=True))
    assert len(numbers) == 5 and all(n in card for n in numbers)
    quiet = signed_in(alpha, "supervisor").get("/insight/scorecards/warnings/?month=2026-02").content.decode()
    assert "No warnings." in quiet and "warning-card" not in quiet


def test_another_tenant_sees_none_of_it(alpha, beta, rated):
    world, *_ = rated
    with schema_context(beta.schema):
        beta_unit = UnitFactory(code="BD1", name="乙方部门", kind=UnitKind.DEPARTMENT)
        beta_staff = StaffFactory(pk=987654321, staff_no="B001", name="乙方员工", unit=beta_unit)
    beta_client = signed_in(beta, "supervisor")
    # beta's own staff page works on beta's host; its id means nothing on alpha's host
    assert beta_client.get(f"/insight/scorecards/staff/{beta_staff.pk}/").status_code == 200
    alpha_client = signed_in(alpha, "supervisor")
    assert alpha_client.get(f"/insight/scorecards/staff/{beta_staff.pk}/").status_code == 404
    # alpha's staff and windows do not exist on beta's host, and beta's rankings hold none of alpha's units
    assert beta_client.get(f"/insight/scorecards/staff/{world.staff.pk}/").status_code == 404
    assert beta_client.get(f"/insight/scorecards/window/{world.window.pk}/").status_code == 404
    for level in ("department", "hall", "window", "staff"):
        html = beta_client.get(f"/insight/scorecards/?level={level}&{MARCH}").content.decode()
        assert "A01 综合受理窗口" not in html and "张敏" not in html and "市场监督管理局" not in html
    html = beta_client.get("/insight/scorecards/warnings/?month=2026-03").content.decode()
    assert "张敏" not in html and "warning-card" not in html
    html = beta_client.get("/insight/scorecards/candidates/?month=2026-02").content.decode()
    assert "A01 综合受理窗口" not in html
    # a signed-in beta user on alpha's host is not signed in there
    beta_client.defaults["HTTP_HOST"] = alpha.host
    assert beta_client.get(f"/insight/scorecards/?{MARCH}").status_code in (302, 403)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/insight/scorecards/?to=0001-01-05", "“To” must be on or after 2000-01-01."),
        ("/insight/scorecards/?from=9999-12-01&to=9999-12-31", "“From” must be on or before"),
        ("/insight/scorecards/candidates/?month=9999-12", "Give a month from 2000-01 to"),
        ("/insight/scorecards/warnings/?month=0001-01", "Give a month from 2000-01 to"),
        ("/insight/scorecards/warnings/?month=1999-12", "Give a month from 2000-01 to"),
    ],
)
def test_dates_out_of_range_are_refused_with_the_form_never_a_500(alpha, url, message):
    response = signed_in(alpha, "supervisor").get(url)
    assert response.status_code == 400 and message in response.content.decode()


def test_a_scorecard_with_dates_out_of_range_is_refused(world):
    client = signed_in(world.info, "supervisor")
    for query in ("to=0001-01-01", "from=9999-12-01&to=9999-12-31"):
        response = client.get(f"/insight/scorecards/staff/{world.staff.pk}/?{query}")
        assert response.status_code == 400 and 'class="error-summary"' in response.content.decode(), query
