"""Exclusion records get a growing revision (a sequence, as day records do): a rating excluded, reinstated
and excluded again is three records, never a duplicate dropped by the feed's (tenant, kind, id, revision) key."""

from django.db import migrations

FORWARD = [
    "CREATE SEQUENCE feed_exclusion_revision_seq START 2",  # 0 and 1 were the states' old revisions
    """
    CREATE OR REPLACE FUNCTION feed_evaluation_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO feed_feedoutbox (kind, ref_id, revision)
        SELECT 'exclusion', n.id, nextval('feed_exclusion_revision_seq')
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.excluded IS DISTINCT FROM o.excluded;
        IF FOUND THEN PERFORM pg_notify('hcp_outbox', current_schema()); END IF;
        RETURN NULL;
    END
    $body$
    """,
]

BACKWARD = [
    """
    CREATE OR REPLACE FUNCTION feed_evaluation_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO feed_feedoutbox (kind, ref_id, revision)
        SELECT 'exclusion', n.id, CASE WHEN n.excluded THEN 1 ELSE 0 END
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.excluded IS DISTINCT FROM o.excluded;
        IF FOUND THEN PERFORM pg_notify('hcp_outbox', current_schema()); END IF;
        RETURN NULL;
    END
    $body$
    """,
    "DROP SEQUENCE IF EXISTS feed_exclusion_revision_seq",
]


class Migration(migrations.Migration):
    dependencies = [("feed", "0002_outbox_triggers")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
