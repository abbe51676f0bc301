"""Month rows for the day rows the national feed appended before this app existed (the relay keeps them
current from now on: control_plane.feed._national_days → services.month_stats_refresh)."""

from django.db import migrations

FILL = """
WITH sums AS (
    SELECT d.tenant_id, date_trunc('month', d.day)::date AS month, count(*) AS days, sum(d.ratings), sum(d.good),
           sum(d.bad), sum(d.given), sum(d.given_good), sum(d.defaults), sum(d.transactions), sum(d.rated),
           sum(d.finished_closed), sum(d.finished_unrated), sum(d.immediate), sum(d.cases), sum(d.replied),
           sum(d.rectified), sum(d.satisfied), sum(d.verified), sum(d.closed), sum(d.verified_closed),
           sum(d.on_time), sum(d.realname_total), sum(d.realname_done)
    FROM control_plane_tenantdaystats d GROUP BY 1, 2
),
mix AS (
    SELECT tenant_id, month, jsonb_object_agg(key, n) AS channels FROM (
        SELECT d.tenant_id, date_trunc('month', d.day)::date AS month, c.key, sum(c.value::bigint) AS n
        FROM control_plane_tenantdaystats d CROSS JOIN LATERAL jsonb_each_text(d.channels) c GROUP BY 1, 2, 3
    ) x GROUP BY 1, 2
)
INSERT INTO benchmarking_tenantmonthstats (tenant_id, month, days, ratings, good, bad, given, given_good, defaults,
    transactions, rated, finished_closed, finished_unrated, immediate, cases, replied, rectified, satisfied, verified,
    closed, verified_closed, on_time, realname_total, realname_done, channels, refreshed_at)
SELECT s.*, coalesce(m.channels, '{}'::jsonb), now()
FROM sums s LEFT JOIN mix m USING (tenant_id, month)
ON CONFLICT (tenant_id, month) DO NOTHING
"""


class Migration(migrations.Migration):
    dependencies = [
        ("benchmarking", "0001_initial"),
        ("control_plane", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop)]
