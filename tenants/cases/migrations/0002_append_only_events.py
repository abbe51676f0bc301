"""The database's half of the append-only case history, and the case number sequence.

- Case numbers ("C20261126-000123") take their serial from one sequence per tenant schema.
- case events reference their case with ON DELETE CASCADE (Django does not cascade, see CaseEvent.case).
- A trigger refuses UPDATE of any event, and DELETE of an event whose case still exists: history can only be
  changed by someone who drops the trigger, and the hash chain then shows it. Deleting a whole case (test or
  retention clean-up) takes its events with it; case numbers are serial, so a missing case is a visible gap.

Names are unqualified: they resolve in the tenant schema being migrated (and the template snapshot replays
them under each new schema's name).
"""

from django.db import migrations

FORWARD = [
    "CREATE SEQUENCE cases_case_number_seq",
    "ALTER TABLE cases_caseevent ADD CONSTRAINT cases_caseevent_case_fk "
    "FOREIGN KEY (case_id) REFERENCES cases_case (id) ON DELETE CASCADE",
    """
    CREATE FUNCTION cases_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM cases_case WHERE id = OLD.case_id) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = 'case history is append-only: ' || TG_OP || ' refused',
            ERRCODE = 'integrity_constraint_violation';
    END
    $body$
    """,
    "CREATE TRIGGER cases_event_append_only BEFORE UPDATE OR DELETE ON cases_caseevent "
    "FOR EACH ROW EXECUTE FUNCTION cases_event_append_only()",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_event_append_only ON cases_caseevent",
    "DROP FUNCTION IF EXISTS cases_event_append_only()",
    "ALTER TABLE cases_caseevent DROP CONSTRAINT IF EXISTS cases_caseevent_case_fk",
    "DROP SEQUENCE IF EXISTS cases_case_number_seq",
]


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
