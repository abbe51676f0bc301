"""End to end: real ratings in tenant alpha, through its rollups and the national feed relay, reach the
league table with the right numerators and denominators (and the month rows follow the relay)."""

from datetime import date, datetime

from control_plane.benchmarking.models import TenantMonthStats
from control_plane.benchmarking.selectors import Period, league
from control_plane.feed import feed_sweep
from control_plane.models import TenantDayStats
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.insight.services import rollups_drain
from tests.benchmarking.conftest import national_client
from tests.supervision.conftest import rate_transactions

RATED = timezone.make_aware(datetime(2026, 3, 10, 9, 0))
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def ship(world) -> None:
    with schema_context(world.info.schema):
        rollups_drain()
    feed_sweep()


def rows(indicator: str, **kwargs):
    # alpha and beta are trial tenants (the fixtures' default): left out of league tables unless asked
    table = league(
        group="province", indicator=indicator, period=MARCH, min_sample=1, include_trial=True, **kwargs
    )
    return {r.tenant.slug: r for r in table.rows}


def test_ratings_in_a_tenant_reach_the_league_table_through_the_feed(world):
    rate_transactions(world, 3, start=RATED, level=1, prefix="G")
    rate_transactions(world, 2, start=RATED, level=5, prefix="B")  # two bad reviews, two cases
    ship(world)
    alpha = world.info.tenant

    day = TenantDayStats.objects.get(tenant=alpha, day=RATED.date())
    assert (day.ratings, day.good, day.bad, day.cases) == (5, 3, 2, 2)
    month = TenantMonthStats.objects.get(tenant=alpha, month=date(2026, 3, 1))
    assert (month.ratings, month.good, month.bad, month.cases, month.channels) == (5, 3, 2, 2, {"device": 5})

    assert "alpha" not in {
        r.tenant.slug
        for r in league(group="province", indicator="good_rate", period=MARCH, min_sample=1).rows
    }
    good = rows("good_rate")["alpha"]
    assert (good.numerator, good.denominator, good.rank) == (3, 5, 1)
    bad = rows("bad_rate")["alpha"]
    assert (bad.numerator, bad.denominator) == (2, 5)
    reply = rows("reply_rate")["alpha"]
    assert (reply.numerator, reply.denominator) == (0, 2)
    participation = rows("participation_rate")["alpha"]
    assert (participation.numerator, participation.denominator) == (5, 5)
    assert rows("good_rate")["beta"].denominator == 0  # beta rated nothing
    assert good.channels == {"device": 5}

    # more ratings later the same month: the relay refreshes the day and the month
    rate_transactions(world, 4, start=RATED.replace(day=20), level=2, prefix="L")
    ship(world)
    good = rows("good_rate")["alpha"]
    assert (good.numerator, good.denominator) == (7, 9)

    # and the page shows it to national staff
    html = (
        national_client()
        .get(
            "/benchmarking/?group=province&indicator=good_rate&from=2026-03-01&to=2026-03-31&min_sample=1"
            "&include_trial=on"
        )
        .content.decode()
    )
    table = html[html.index('id="league-table"') : html.index('id="unranked-table"')]
    assert (
        'data-slug="alpha" data-rank="1"' in table and '<td class="num">9</td><td class="num">7</td>' in table
    )
