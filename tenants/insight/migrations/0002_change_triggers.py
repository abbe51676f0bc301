"""Change rows written by triggers, in the same transaction as the change (see tenants/insight/models.py).

Statement-level triggers with transition tables: a batch of 1,000 ratings costs one INSERT … SELECT, not a
thousand trigger calls. A rating *counts* when it is the current revision and not excluded by an appeal; the
evaluation triggers record +1 when a rating starts counting and −1 when it stops (superseded or excluded).
Names are unqualified: they resolve in the tenant schema (the template snapshot replays them per tenant).
"""

from django.db import migrations

COUNTED = "(r.is_current AND NOT r.excluded)"
COLUMNS = "evaluation_id, transaction_id, rated_at, channel, level, is_default"
VALUES = "r.id, r.transaction_id, r.rated_at, r.channel, r.level, r.is_default"
KEY = "r.transaction_id, r.rated_at, r.channel, r.level, r.is_default"
KEY_OLD = KEY.replace("r.", "o.")

FORWARD = [
    f"""
    CREATE FUNCTION insight_rating_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO insight_ratingchange ({COLUMNS}, sign)
        SELECT {VALUES}, 1 FROM new_rows r WHERE {COUNTED};
        RETURN NULL;
    END
    $body$
    """,
    f"""
    CREATE FUNCTION insight_rating_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        -- a rating stops counting where it counted before, and starts where it counts now: when it is
        -- superseded or excluded (or comes back), and when a key column was corrected in place
        INSERT INTO insight_ratingchange ({COLUMNS}, sign)
        SELECT {VALUES.replace("r.", "o.")}, -1
        FROM old_rows o JOIN new_rows r ON r.id = o.id
        WHERE (o.is_current AND NOT o.excluded) AND (NOT {COUNTED} OR ({KEY}) IS DISTINCT FROM ({KEY_OLD}))
        UNION ALL
        SELECT {VALUES}, 1
        FROM new_rows r JOIN old_rows o ON o.id = r.id
        WHERE {COUNTED} AND (NOT (o.is_current AND NOT o.excluded) OR ({KEY}) IS DISTINCT FROM ({KEY_OLD}));
        RETURN NULL;
    END
    $body$
    """,
    """
    CREATE FUNCTION insight_transaction_touched() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO insight_transactionchange (transaction_id) SELECT id FROM new_rows;
        RETURN NULL;
    END
    $body$
    """,
    """
    CREATE FUNCTION insight_case_touched() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        INSERT INTO insight_casechange (case_id) SELECT id FROM new_rows;
        RETURN NULL;
    END
    $body$
    """,
    "CREATE TRIGGER insight_rating_inserted AFTER INSERT ON evaluations_evaluation "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insight_rating_inserted()",
    "CREATE TRIGGER insight_rating_updated AFTER UPDATE ON evaluations_evaluation "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION insight_rating_updated()",
    "CREATE TRIGGER insight_transaction_inserted AFTER INSERT ON evaluations_transaction "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insight_transaction_touched()",
    "CREATE TRIGGER insight_transaction_updated AFTER UPDATE ON evaluations_transaction "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insight_transaction_touched()",
    "CREATE TRIGGER insight_case_inserted AFTER INSERT ON cases_case "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insight_case_touched()",
    "CREATE TRIGGER insight_case_updated AFTER UPDATE ON cases_case "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION insight_case_touched()",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS insight_rating_inserted ON evaluations_evaluation",
    "DROP TRIGGER IF EXISTS insight_rating_updated ON evaluations_evaluation",
    "DROP TRIGGER IF EXISTS insight_transaction_inserted ON evaluations_transaction",
    "DROP TRIGGER IF EXISTS insight_transaction_updated ON evaluations_transaction",
    "DROP TRIGGER IF EXISTS insight_case_inserted ON cases_case",
    "DROP TRIGGER IF EXISTS insight_case_updated ON cases_case",
    "DROP FUNCTION IF EXISTS insight_rating_inserted()",
    "DROP FUNCTION IF EXISTS insight_rating_updated()",
    "DROP FUNCTION IF EXISTS insight_transaction_touched()",
    "DROP FUNCTION IF EXISTS insight_case_touched()",
]

# Existing rows become change rows once, so the first drain builds the rollups of a tenant that rated before
# this app existed (a rebuild does the same in one go).
BACKFILL = [
    f"INSERT INTO insight_ratingchange ({COLUMNS}, sign) "
    f"SELECT {VALUES}, 1 FROM evaluations_evaluation r WHERE {COUNTED}",
    "INSERT INTO insight_transactionchange (transaction_id) SELECT id FROM evaluations_transaction",
    "INSERT INTO insight_casechange (case_id) SELECT id FROM cases_case",
]


class Migration(migrations.Migration):
    dependencies = [
        ("insight", "0001_initial"),
        ("evaluations", "0006_comment_public_and_moment"),
        ("cases", "0004_case_escalated_step"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD), migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]
