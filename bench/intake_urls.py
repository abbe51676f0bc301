"""Tenant-host URLs for the intake benchmark: the product's own (config.urls_tenants) plus two reference views.

`POST /bench/insert` (the ceiling) is the cheapest useful thing a Django view on a tenant host can do with a
rating: parse the JSON body and INSERT one row into a small table of the tenant's schema (created by the
bench, see CEILING_TABLE), then answer 201 with a small JSON body.

`POST /bench/rating-sql` does the database work a rating that registers its transaction inline cannot do
without, and nothing else: in one database transaction, INSERT the transaction (item, guide and unit found by
their codes in the same statement) and INSERT the evaluation, into the product's own tables and indexes. It
separates what the data model costs from what the framework and the service add. It writes the columns
directly: when the Transaction or Evaluation models gain a NOT NULL column, add it here.

Both pass through every middleware the API does; they have no DRF, no authentication, no throttle and no
domain rules. They are listed last, so resolving them costs at least as much as resolving the API's URLs.
"""

import json

from config.urls_tenants import urlpatterns as tenant_urlpatterns
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

CEILING_TABLE = "bench_intake_ping"


@csrf_exempt  # as DRF's APIView is: machine clients send no CSRF token
@require_POST
def insert(request):
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CEILING_TABLE} (number, level, created_at) VALUES (%s, %s, now()) RETURNING id",
            [str(body["transaction"])[:64], int(body["level"])],
        )
        pk = cursor.fetchone()[0]
    return JsonResponse({"id": pk, "transaction": body["transaction"]}, status=201)


_TRANSACTION_SQL = """
INSERT INTO evaluations_transaction
    (number, item_id, guide_version_id, unit_id, window_id, platform_id, staff_id, channel, applicant_type,
     applicant_name, applicant_phone, applicant_id_type, applicant_id_number, status, promise_type, received_at,
     finished_at, deadline, created_at)
SELECT %s, i.id, i.current_guide_id, u.id, NULL, NULL, NULL, %s, 'person', '', '', '', '', 'finished',
       COALESCE(g.promise_type, 'promised'), NULL, now(), NULL, now()
FROM catalog_serviceitem i LEFT JOIN catalog_guideversion g ON g.id = i.current_guide_id
     CROSS JOIN organisation_unit u
WHERE i.code = %s AND u.code = %s
RETURNING id, guide_version_id
"""
_EVALUATION_SQL = """
INSERT INTO evaluations_evaluation
    (transaction_id, stage, revision, is_current, channel, level, is_bad, reason_tags, comment, answers,
     questionnaire_version, guide_version_id, anonymous, evaluator_type, evaluator_name, evaluator_phone,
     evaluator_id_type, evaluator_id_number, evaluator_hash, is_default, is_supplementary, excluded,
     excluded_reason, device_id, source, idempotency_key, rated_at, created_at)
VALUES (%s, 'finished', 1, true, %s, %s, %s, %s::varchar(32)[], %s, '{}'::jsonb, NULL, %s, true, 'person', '', '',
        '', '', '', false, false, false, '', NULL, 'bench', NULL, now(), now())
RETURNING id
"""


@csrf_exempt
@require_POST
def rating_sql(request):
    body = json.loads(request.body)
    level = int(body["level"])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _TRANSACTION_SQL, [body["transaction"], body["channel"], body["item_code"], body["unit_code"]]
        )
        transaction_id, guide_id = cursor.fetchone()
        cursor.execute(
            _EVALUATION_SQL,
            [
                transaction_id,
                body["channel"],
                level,
                level >= 4,
                body.get("reason_tags", []),
                body.get("comment", ""),
                guide_id,
            ],
        )
        pk = cursor.fetchone()[0]
    return JsonResponse({"id": pk, "transaction": body["transaction"]}, status=201)


urlpatterns = [
    *tenant_urlpatterns,
    path("bench/insert", insert, name="bench-insert"),
    path("bench/rating-sql", rating_sql, name="bench-rating-sql"),
]
