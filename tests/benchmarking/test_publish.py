"""Publishing a league table: a snapshot shown publicly without sign-in, unchanged whatever the data does
afterwards; withdrawn or unknown ids are 404; audited."""

from datetime import date, timedelta

import pytest
from control_plane.benchmarking.models import PublishedRanking
from control_plane.benchmarking.selectors import Period
from control_plane.benchmarking.services import ranking_publish
from django.core.exceptions import ValidationError
from django.utils import timezone

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tests.benchmarking.conftest import CONTROL_PLANE, put_day
from tests.conftest import host_client

FORM = {
    "group": "county",
    "indicator": "good_rate",
    "from": "2026-03-01",
    "to": "2026-03-31",
    "min_sample": "30",
    "title": "2026年3月 县级好评率排名",
}


def publish(national, **changes):
    response = national.post("/benchmarking/publish/", {**FORM, **changes})
    assert response.status_code == 302, response.content[:500]
    return PublishedRanking.objects.latest("pk"), response


def public_table(html: str) -> str:
    return html[html.index('id="public-table"') :]


def test_publishing_snapshots_the_rows_and_audits(national, counties):
    ranking, response = publish(national)
    assert response["Location"] == f"/benchmarking/public/{ranking.pk}/"
    assert (ranking.peer_group, ranking.indicator, ranking.min_sample, ranking.exclude_defaults) == (
        "county", "good_rate", 30, False,
    )  # fmt: skip
    assert (ranking.period_start, ranking.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert ranking.published_by == "national@test.example" and ranking.publisher_user_id is not None
    assert [(r["slug"], r["rank"], r["numerator"], r["n"]) for r in ranking.rows] == [
        ("cntb", 1, 190, 200), ("cnta", 2, 95, 100), ("cnte", 3, 45, 50), ("cntc", None, 29, 29), ("cntd", None, 0, 0),
    ]  # fmt: skip
    event = AuditEvent.objects.get(action="benchmarking.ranking_publish", target_id=str(ranking.pk))
    assert event.data["ranked"] == 3 and event.data["unranked"] == 2


def test_the_public_page_needs_no_sign_in_and_never_changes(national, counties):
    ranking, _response = publish(national)
    anonymous = host_client(CONTROL_PLANE)
    first = anonymous.get(f"/benchmarking/public/{ranking.pk}/")
    assert first.status_code == 200
    assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
    assert not first.cookies  # no session, no CSRF cookie
    html = first.content.decode()
    assert "2026年3月 县级好评率排名" in html
    table = public_table(html)
    assert table.index("乙县") < table.index("甲县") < table.index("戊县")
    assert "91.04% – 97.26%" in table and '<td class="num">200</td>' in table and "130103" in table
    # the data change afterwards: E becomes the best, A is renamed
    put_day(counties["E"], date(2026, 3, 25), ratings=1000, good=1000)
    counties["A"].name = "甲县（新名）"
    counties["A"].save()
    again = anonymous.get(f"/benchmarking/public/{ranking.pk}/").content.decode()
    assert public_table(again) == table
    # while the staff's league table moves on
    live = national.get("/benchmarking/?group=county&indicator=good_rate&from=2026-03-01&to=2026-03-31")
    assert live.context["table"].ranked[0].tenant.slug == "cnte"


def test_the_public_index_lists_live_publications_and_withdrawn_ones_are_gone(national, counties):
    ranking, _ = publish(national)
    other, _ = publish(national, indicator="bad_rate", title="差评率")
    anonymous = host_client(CONTROL_PLANE)
    index = anonymous.get("/benchmarking/public/").content.decode()
    assert "2026年3月 县级好评率排名" in index and "差评率" in index
    assert national.post(f"/benchmarking/published/{other.pk}/withdraw/").status_code == 302
    assert anonymous.get(f"/benchmarking/public/{other.pk}/").status_code == 404
    assert "差评率" not in anonymous.get("/benchmarking/public/").content.decode()
    assert AuditEvent.objects.filter(action="benchmarking.ranking_withdraw", target_id=str(other.pk)).exists()
    assert anonymous.get(f"/benchmarking/public/{ranking.pk}/").status_code == 200
    assert anonymous.get(f"/benchmarking/public/{ranking.pk + 1000}/").status_code == 404
    assert anonymous.post(f"/benchmarking/public/{ranking.pk}/").status_code == 405
    staff = national.get("/benchmarking/published/").content.decode()
    assert "差评率" in staff and "withdrawn" in staff


def test_anonymous_people_cannot_publish_or_withdraw(tenant_pair, counties):
    anonymous = host_client(CONTROL_PLANE)
    response = anonymous.post("/benchmarking/publish/", FORM)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not PublishedRanking.objects.exists()


def test_the_public_pages_do_not_exist_on_a_tenant_host(alpha, national, counties):
    ranking, _ = publish(national)
    assert host_client(alpha.host).get(f"/benchmarking/public/{ranking.pk}/").status_code == 404


def test_exclude_defaults_and_lower_is_better_are_published_as_chosen(national, counties):
    ranking, _ = publish(national, exclude_defaults="on", title="")
    assert ranking.exclude_defaults and [r["slug"] for r in ranking.rows if r["ranked"]] == [
        "cnta",
        "cnte",
        "cntb",
    ]
    assert ranking.title == "Good-review rate (好评率) of Counties, 2026-03-01 to 2026-03-31"
    html = host_client(CONTROL_PLANE).get(f"/benchmarking/public/{ranking.pk}/").content.decode()
    assert "Default ratings are left out" in html


def test_a_period_that_has_not_ended_cannot_be_published(counties):
    tomorrow = timezone.localdate().replace(day=1)
    with pytest.raises(ValidationError):
        ranking_publish(
            actor=Actor.system("tests"), group="county", indicator="good_rate",
            period=Period(tomorrow, date(tomorrow.year + 1, 1, 1)), min_sample=30, exclude_defaults=False,
        )  # fmt: skip


def test_a_failed_publication_goes_back_to_the_table_with_the_reason(national, counties):
    today = timezone.localdate()
    later = {"from": today.replace(day=1).isoformat(), "to": (today + timedelta(days=10)).isoformat()}
    response = national.post("/benchmarking/publish/", {**FORM, **later}, follow=True)
    assert response.status_code == 200 and not PublishedRanking.objects.exists()
    assert "Not published" in response.content.decode()


def test_trial_tenants_are_never_published_even_when_shown(national, counties):
    from tests.benchmarking.conftest import make_tenant

    trial = make_tenant("cnttrial", "county", "130105", "试用县", status="trial")
    put_day(trial, date(2026, 3, 5), ratings=500, good=500, bad=0, given=500, given_good=500)
    ranking, _response = publish(national, include_trial="on")
    assert "cnttrial" not in [r["slug"] for r in ranking.rows]
    assert (
        "试用县" not in host_client(CONTROL_PLANE).get(f"/benchmarking/public/{ranking.pk}/").content.decode()
    )
