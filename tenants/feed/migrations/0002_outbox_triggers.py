"""Outbox rows written by triggers in the writing transaction, and a NOTIFY so the relay wakes at once.

Statement-level triggers with transition tables (one INSERT … SELECT per statement). `pg_notify` is
delivered at commit, once per channel and payload per transaction, so a bulk of 1,000 ratings is one
notification. Names are unqualified (they resolve in the tenant schema).
"""

from django.db import migrations

NOTIFY = "PERFORM pg_notify('hcp_outbox', current_schema());"

FORWARD = [
    """CREATE SEQUENCE feed_day_revision_seq""",
    f"""
    CREATE FUNCTION feed_evaluation_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO feed_feedoutbox (kind, ref_id, revision) SELECT 'evaluation', id, revision FROM new_rows;
        {NOTIFY}
        RETURN NULL;
    END
    $body$
    """,
    f"""
    CREATE FUNCTION feed_evaluation_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO feed_feedoutbox (kind, ref_id, revision)
        SELECT 'exclusion', n.id, CASE WHEN n.excluded THEN 1 ELSE 0 END
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.excluded IS DISTINCT FROM o.excluded;
        IF FOUND THEN {NOTIFY} END IF;
        RETURN NULL;
    END
    $body$
    """,
    f"""
    CREATE FUNCTION feed_case_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO feed_feedoutbox (kind, ref_id, revision) SELECT 'case', id, last_seq FROM new_rows;
        {NOTIFY}
        RETURN NULL;
    END
    $body$
    """,
    f"""
    CREATE FUNCTION feed_case_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        -- every new event of a case (its state changes among them)
        INSERT INTO feed_feedoutbox (kind, ref_id, revision)
        SELECT 'case', n.id, n.last_seq FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.last_seq IS DISTINCT FROM o.last_seq OR n.state IS DISTINCT FROM o.state;
        IF FOUND THEN {NOTIFY} END IF;
        RETURN NULL;
    END
    $body$
    """,
    "CREATE TRIGGER feed_evaluation_inserted AFTER INSERT ON evaluations_evaluation "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_evaluation_inserted()",
    "CREATE TRIGGER feed_evaluation_updated AFTER UPDATE ON evaluations_evaluation "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION feed_evaluation_updated()",
    "CREATE TRIGGER feed_case_inserted AFTER INSERT ON cases_case "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION feed_case_inserted()",
    "CREATE TRIGGER feed_case_updated AFTER UPDATE ON cases_case "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION feed_case_updated()",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS feed_evaluation_inserted ON evaluations_evaluation",
    "DROP TRIGGER IF EXISTS feed_evaluation_updated ON evaluations_evaluation",
    "DROP TRIGGER IF EXISTS feed_case_inserted ON cases_case",
    "DROP TRIGGER IF EXISTS feed_case_updated ON cases_case",
    "DROP FUNCTION IF EXISTS feed_evaluation_inserted()",
    "DROP FUNCTION IF EXISTS feed_evaluation_updated()",
    "DROP FUNCTION IF EXISTS feed_case_inserted()",
    "DROP FUNCTION IF EXISTS feed_case_updated()",
    "DROP SEQUENCE IF EXISTS feed_day_revision_seq",
]


class Migration(migrations.Migration):
    dependencies = [("feed", "0001_initial"), ("evaluations", "0006_comment_public_and_moment"), ("cases", "0004_case_escalated_step")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
