"""The common case of a single rating in one SQL statement.

Most ratings arrive from a window device or an online platform with a transaction number the server has not
seen yet and the transaction's fields inline (item, unit, window …): register the transaction and store its
first rating. That case needs no lock, no revision and no supplementary check (a transaction registered now
finished now), so it is one statement in autocommit — one round trip, committed when it returns — instead of
BEGIN, a lookup, two INSERTs and COMMIT.

The statement is executed with server-side binding so that PostgreSQL keeps its plan (a prepared statement,
per connection): planning this CTE costs more than executing it (measured: 1.5 → 0.7 ms of server CPU per
rating). Django binds on the client and disables preparation by default; `DB_PREPARE_THRESHOLD` (settings)
turns psycopg's automatic preparation on for server-bound statements only, i.e. for this one.

Everything else returns None and takes the general path (`evaluations_submit`), which also produces the
precise error: a number already registered (a revision, or a retry with the same idempotency key), an unknown
code, a bad review (it opens a case), answers to a questionnaire, a batch.
"""

from contextlib import nullcontext
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.base import ServerBindingCursor

from tenants.catalog.models import PromiseType
from tenants.evaluations.models import BAD_LEVELS, ApplicantType, Evaluation, Stage
from tenants.organisation.models import Device, UnitKind
from tenants.privacy.identity import Identity

# Every code named inline must resolve (else no row, and the general path names the bad field); the rating is
# written only when the transaction row was inserted here (a known number conflicts and yields nothing) and
# its idempotency key is new.
_SQL = f"""
WITH codes AS (
    SELECT i.id AS item_id, i.current_guide_id AS guide_id, COALESCE(g.promise_type, '{PromiseType.PROMISED}') AS pt,
           (SELECT id FROM organisation_unit WHERE code = %(unit)s) AS unit_id,
           (SELECT id FROM organisation_unit WHERE code = %(window)s AND kind = '{UnitKind.WINDOW}') AS window_id,
           (SELECT id FROM organisation_staff WHERE staff_no = %(staff)s) AS staff_id,
           (SELECT id FROM organisation_platform WHERE code = %(platform)s) AS platform_id
    FROM catalog_serviceitem i LEFT JOIN catalog_guideversion g ON g.id = i.current_guide_id
    WHERE i.code = %(item)s
), txn AS (
    INSERT INTO evaluations_transaction
        (number, item_id, guide_version_id, unit_id, window_id, platform_id, staff_id, channel, applicant_type,
         applicant_name, applicant_phone, applicant_id_type, applicant_id_number, status, promise_type,
         finished_at, created_at)
    SELECT %(number)s, item_id, guide_id, COALESCE(unit_id, %(device_unit)s::bigint), COALESCE(window_id, %(device_window)s::bigint),
           platform_id, staff_id, %(channel)s, '{ApplicantType.PERSON}', '', '', '', '', 'finished', pt,
           %(rated_at)s::timestamptz, now()
    FROM codes
    WHERE (%(unit)s = '' OR unit_id IS NOT NULL) AND COALESCE(unit_id, %(device_unit)s::bigint) IS NOT NULL
      AND (%(window)s = '' OR window_id IS NOT NULL) AND (%(staff)s = '' OR staff_id IS NOT NULL)
      AND (%(platform)s = '' OR platform_id IS NOT NULL)
      AND (%(key)s::varchar IS NULL OR NOT EXISTS (
          SELECT 1 FROM evaluations_evaluation WHERE source = %(source)s AND idempotency_key = %(key)s))
    ON CONFLICT (number) DO NOTHING
    RETURNING id, guide_version_id
)
INSERT INTO evaluations_evaluation
    (transaction_id, stage, revision, is_current, channel, level, is_bad, reason_tags, comment, comment_public,
     answers, questionnaire_version, guide_version_id, anonymous, evaluator_type, evaluator_name,
     evaluator_phone, evaluator_id_type, evaluator_id_number, evaluator_hash, is_supplementary, device_id,
     source, idempotency_key, rated_at, is_default, excluded, excluded_reason, created_at)
SELECT txn.id, %(stage)s::varchar, 1, true, %(channel)s::varchar, %(level)s::smallint, false,
       %(tags)s::varchar(32)[], %(comment)s::text, %(comment_public)s::boolean, '{{}}', NULL, txn.guide_version_id,
       %(anonymous)s::boolean, %(evaluator_type)s::varchar, %(name)s::text, %(phone)s::text, %(id_type)s::varchar,
       %(id_number)s::text, %(hash)s::varchar, false, %(device)s::bigint, %(source)s::varchar, %(key)s::varchar,
       %(rated_at)s::timestamptz, false, false, '', now()
FROM txn
RETURNING id, transaction_id, guide_version_id, created_at
"""  # noqa: S608 — constants only; every value is a parameter


def _server_bound_cursor():
    """A cursor on Django's connection (its transaction) that binds parameters on the server.

    While queries are logged (DEBUG, tests counting queries) Django's own cursor is used instead: psycopg does
    not keep the text of a prepared statement's execution, which the log needs. Same statement, same result."""
    if connection.queries_logged:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if not (settings.TENANT_LIMIT_SET_CALLS and connection.search_path_set_schemas):
        connection.cursor().close()  # django-tenants sets the tenant's search_path on the connection here
    return connection.make_cursor(ServerBindingCursor(connection.connection))


def pg_text_array(values: list[str]) -> str:
    """A text[] literal, for arrays passed inside arrays (one row's tags among a batch's), which unnest cannot
    take as a 2-D array when the rows' lengths differ."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def eligible(data) -> bool:
    """Only what the one statement handles completely (see the module docstring)."""
    return (
        bool(data.item_code)
        and data.level not in BAD_LEVELS
        and not data.answers
        and data.stage == Stage.FINISHED
    )


def evaluation_insert_new(
    data, *, identity: Identity | None, source: str, device: Device | None, now: datetime
) -> Evaluation | None:
    """Register the rating's transaction and store the rating in one autocommit statement; None when the
    general path must decide (the number exists, a code is unknown, the key was used)."""
    rated_at = min(data.rated_at or now, now)
    encrypted = identity.encrypted() if identity else {}
    window = device.window if device else None
    # Alone, the statement is its own transaction (committed when it returns); inside a caller's transaction
    # (an Idempotency-Key request, a test) a savepoint keeps a refused statement from spoiling the caller's.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    params = {
        "item": data.item_code,
        "unit": data.unit_code or "",
        "window": data.window_code or "",
        "staff": data.staff_no or "",
        "platform": data.platform_code or "",
        "device_unit": (window.parent_id or window.pk) if window else None,
        "device_window": window.pk if window else None,
        "number": data.transaction,
        "channel": data.channel,
        "rated_at": rated_at,
        "source": source,
        "key": data.idempotency_key,
        "stage": data.stage,
        "level": data.level,
        "tags": pg_text_array(data.reason_tags),
        "comment": data.comment or "",
        "comment_public": bool(data.comment_public),
        "anonymous": identity is None,
        "evaluator_type": (data.evaluator or {}).get("type") or ApplicantType.PERSON,
        "name": encrypted.get("name", ""),
        "phone": encrypted.get("phone", ""),
        "id_type": encrypted.get("id_type", ""),
        "id_number": encrypted.get("id_number", ""),
        "hash": encrypted.get("hash", ""),
        "device": device.pk if device else None,
    }
    try:
        with guard, _server_bound_cursor() as cursor:
            cursor.execute(_SQL, params)
            row = cursor.fetchone()
    except IntegrityError:
        return None  # the same key raced in under another number: the general path reports the duplicate
    if row is None:
        return None
    pk, transaction_id, guide_version_id, created_at = row
    evaluation = Evaluation(
        pk=pk,
        transaction_id=transaction_id,
        guide_version_id=guide_version_id,
        stage=data.stage,
        revision=1,
        is_current=True,
        channel=data.channel,
        level=data.level,
        is_bad=False,
        reason_tags=data.reason_tags,
        comment=data.comment or "",
        comment_public=bool(data.comment_public),
        anonymous=identity is None,
        is_supplementary=False,
        device_id=device.pk if device else None,
        source=source,
        idempotency_key=data.idempotency_key,
        rated_at=rated_at,
        created_at=created_at,
    )
    evaluation._state.adding, evaluation._state.db = False, "default"
    return evaluation
