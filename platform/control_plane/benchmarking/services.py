"""Writes of national benchmarking: the monthly rollups (kept current by the feed relay) and publishing a
league table (a snapshot that never changes afterwards) or withdrawing it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from control_plane.benchmarking.models import MEASURES, PeerGroup, PublishedRanking
from control_plane.benchmarking.selectors import INDICATOR_COLUMNS, Period, league, month_end, month_start
from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.insight.selectors import INDICATORS
from tenants.models import Tenant

_COLUMNS = ", ".join(MEASURES)
_SUMS = ", ".join(f"sum(d.{c})" for c in MEASURES)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in ("days", *MEASURES, "channels", "refreshed_at"))
# Month rows from day rows (those `filter` selects), channels summed key by key, upserted.
_REFRESH_SQL = f"""
WITH days AS (SELECT d.* FROM control_plane_tenantdaystats d WHERE {{filter}}),
sums AS (
    SELECT d.tenant_id, date_trunc('month', d.day)::date AS month, count(*) AS days, {_SUMS}
    FROM days d GROUP BY 1, 2
),
mix AS (
    SELECT tenant_id, month, jsonb_object_agg(key, n) AS channels FROM (
        SELECT d.tenant_id, date_trunc('month', d.day)::date AS month, c.key, sum(c.value::bigint) AS n
        FROM days d CROSS JOIN LATERAL jsonb_each_text(d.channels) c GROUP BY 1, 2, 3
    ) x GROUP BY 1, 2
)
INSERT INTO benchmarking_tenantmonthstats (tenant_id, month, days, {_COLUMNS}, channels, refreshed_at)
SELECT s.*, coalesce(m.channels, '{{{{}}}}'::jsonb), now()
FROM sums s LEFT JOIN mix m USING (tenant_id, month)
ON CONFLICT (tenant_id, month) DO UPDATE SET {_UPDATES}
"""  # noqa: S608 (column names are constants)


def month_stats_refresh(*, tenant: Tenant, days: Iterable[date]) -> int:
    """Recompute the tenant's month rows for the months `days` fall in, from its day rows (the feed relay
    calls this in the transaction that appended the days). Returns the months refreshed."""
    months = sorted({month_start(d) for d in days})
    if not months:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _REFRESH_SQL.format(
                filter="d.tenant_id = %s AND d.day >= %s AND d.day <= %s "
                "AND date_trunc('month', d.day)::date = ANY(%s::date[])"
            ),
            [tenant.pk, months[0], month_end(months[-1]), months],
        )
        cursor.execute(  # a month whose day rows are all gone holds nothing any more
            "DELETE FROM benchmarking_tenantmonthstats m WHERE m.tenant_id = %s AND m.month = ANY(%s::date[]) "
            "AND NOT EXISTS (SELECT 1 FROM control_plane_tenantdaystats d WHERE d.tenant_id = m.tenant_id "
            "AND d.day >= m.month AND d.day < m.month + interval '1 month')",
            [tenant.pk, months],
        )
    return len(months)


@transaction.atomic
def month_stats_rebuild() -> int:
    """Every tenant's month rows anew from the day rows (after a restore or a replay). Returns the rows."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM benchmarking_tenantmonthstats")
        cursor.execute(_REFRESH_SQL.format(filter="true"))
        return cursor.rowcount


def _snapshot(row, *, ranked: bool) -> dict:
    return {
        "rank": row.rank,
        "previous_rank": row.previous_rank,
        "ranked": ranked,
        "tenant": row.tenant.name,
        "slug": row.tenant.slug,
        "region_code": row.tenant.region_code,
        "region": row.tenant.region_name,
        "numerator": row.numerator,
        "n": row.denominator,
        "value": row.value,
        "low": row.low,
        "high": row.high,
    }


@transaction.atomic
def ranking_publish(
    *,
    actor: Actor,
    group: str,
    indicator: str,
    period: Period,
    min_sample: int,
    exclude_defaults: bool,
    title: str = "",
) -> PublishedRanking:
    """Publish the league table as it stands: its rows are copied, so the public page stays as published."""
    errors: dict[str, list[str]] = {}
    if group not in PeerGroup.values:
        errors["group"] = [_("Choose a peer group.")]
    if indicator not in INDICATOR_COLUMNS:
        errors["indicator"] = [_("Choose an indicator.")]
    if min_sample < 1:
        errors["min_sample"] = [_("The minimum sample must be at least 1.")]
    if period.end > timezone.localdate():
        errors["to"] = [_("Only periods that have ended or end today can be published.")]
    title = (title or "").strip()
    if len(title) > 200:
        errors["title"] = [_("Use at most 200 characters.")]
    if errors:
        raise ValidationError(errors)
    table = league(
        group=group,
        indicator=indicator,
        period=period,
        min_sample=min_sample,
        exclude_defaults=exclude_defaults,
        include_trial=False,  # never published: trial tenants are self-registered and unverified
    )
    if not title:
        title = _("%(indicator)s of %(group)s, %(start)s to %(end)s") % {
            "indicator": INDICATORS[indicator],
            "group": PeerGroup(group).label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        }
    ranking = PublishedRanking.objects.create(
        title=title,
        peer_group=group,
        indicator=indicator,
        period_start=period.start,
        period_end=period.end,
        min_sample=min_sample,
        exclude_defaults=exclude_defaults,
        rows=[_snapshot(r, ranked=True) for r in table.ranked]
        + [_snapshot(r, ranked=False) for r in table.unranked],
        published_by=actor.label[:254],
        publisher_user_id=actor.id if actor.kind == "user" else None,
        published_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="benchmarking.ranking_publish",
        target=ranking,
        data={
            "group": group,
            "indicator": indicator,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "min_sample": min_sample,
            "exclude_defaults": exclude_defaults,
            "ranked": len(table.ranked),
            "unranked": len(table.unranked),
        },
    )
    return ranking


@transaction.atomic
def ranking_withdraw(*, actor: Actor, ranking: PublishedRanking) -> PublishedRanking:
    """Take a publication off the public site (its row stays, for the record)."""
    ranking = PublishedRanking.objects.select_for_update().get(pk=ranking.pk)
    if ranking.withdrawn_at is None:
        ranking.withdrawn_at = timezone.now()
        ranking.save(update_fields=["withdrawn_at"])
        audit_record(actor=actor, action="benchmarking.ranking_withdraw", target=ranking)
    return ranking
