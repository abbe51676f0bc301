"""The tenant's side of the national feed: what goes into the outbox besides the triggers' rows, and what a
record says (built when the relay ships it, from the tenant's own rows)."""

from collections.abc import Iterable
from datetime import date

from django.db import connection

NOTIFY_CHANNEL = "hcp_outbox"


def feed_days_changed(*, days: Iterable[date]) -> int:
    """Queue a `day` record for each day whose rollups changed (called by the insight drain, in its
    transaction). Each gets a new revision, so the latest figures win downstream."""
    ordinals = sorted({d.toordinal() for d in days})
    if not ordinals:
        return 0
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO feed_feedoutbox (kind, ref_id, revision) "
            "SELECT 'day', d, nextval('feed_day_revision_seq') FROM unnest(%s::bigint[]) AS d",
            [ordinals],
        )
        cur.execute("SELECT pg_notify(%s, current_schema())", [NOTIFY_CHANNEL])
    return len(ordinals)


def feed_replay(*, since: date | None = None) -> dict[str, int]:
    """Queue the tenant's history (from `since`, by rating day) into its outbox; the relay de-duplicates."""
    from tenants.insight.services import day_bounds

    low = day_bounds(since, since)[0] if since else None
    counts = {}
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO feed_feedoutbox (kind, ref_id, revision) SELECT 'evaluation', id, revision "
            "FROM evaluations_evaluation WHERE %s::timestamptz IS NULL OR rated_at >= %s ORDER BY id",
            [low, low],
        )
        counts["evaluation"] = cur.rowcount
        # an excluded rating the feed has no exclusion record of (the feed is in this same database)
        cur.execute(
            "INSERT INTO feed_feedoutbox (kind, ref_id, revision) "
            "SELECT 'exclusion', e.id, nextval('feed_exclusion_revision_seq') FROM evaluations_evaluation e "
            "WHERE e.excluded AND (%s::timestamptz IS NULL OR e.rated_at >= %s) AND NOT EXISTS ("
            "  SELECT 1 FROM public.control_plane_feedrecord f"
            "  WHERE f.tenant_id = (SELECT id FROM public.tenants_tenant WHERE schema_name = current_schema())"
            "  AND f.kind = 'exclusion' AND f.ref_id = e.id"
            ") ORDER BY e.id",
            [low, low],
        )
        counts["exclusion"] = cur.rowcount
        cur.execute(
            "INSERT INTO feed_feedoutbox (kind, ref_id, revision) SELECT 'case', id, last_seq "
            "FROM cases_case WHERE %s::timestamptz IS NULL OR opened_at >= %s ORDER BY id",
            [low, low],
        )
        counts["case"] = cur.rowcount
        # every day with figures: rated, or with transactions or cases only (participation, 未评率)
        cur.execute(
            "SELECT day FROM insight_ratingdayrollup UNION SELECT day FROM insight_transactiondayrollup "
            "UNION SELECT day FROM insight_casedayrollup"
        )
        days = [row[0] for row in cur.fetchall() if since is None or row[0] >= since]
    counts["day"] = feed_days_changed(days=days)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_notify(%s, current_schema())", [NOTIFY_CHANNEL])
    return counts
