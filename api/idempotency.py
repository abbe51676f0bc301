"""`Idempotency-Key` on every API POST: the same key and body replay the first response; the same key with
another body is a 409. The record is written in the request's own transaction, so a replay is only ever
served for a request whose effects were committed, and concurrent retries wait for the first to finish."""

import hashlib
import json

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import Resolver404, resolve

from api.exceptions import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Responses that say nothing about the request itself are not remembered: the client may fix and retry.
_NOT_REMEMBERED = {401, 403, 408, 429}


def _problem(status: int, code: str, title: str, detail: str) -> HttpResponse:
    body = {"type": PROBLEM_TYPE_BASE + code, "title": title, "status": status, "detail": detail}
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def _principal(request) -> str:
    header = request.headers.get("Authorization", "")
    if header:
        return "auth:" + hashlib.sha256(header.encode()).hexdigest()[:40]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"


def _with_cors(request, response: HttpResponse) -> HttpResponse:
    """Answers given here on behalf of a cross-origin view (api.views.channels.cors, the widget) carry its CORS
    headers, or the browser hides a replay or a refusal from the calling page."""
    try:
        match = resolve(request.path_info, urlconf=getattr(request, "urlconf", None))
    except Resolver404:
        return response
    for name, value in getattr(match.func, "cors_headers", {}).items():
        response[name] = value
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return _with_cors(
                request,
                _problem(
                    400,
                    "idempotency_key",
                    "Invalid Idempotency-Key",
                    f"{HEADER}: give 1–{MAX_KEY_LENGTH} characters.",
                ),
            )
        principal, digest = _principal(request), hashlib.sha256(request.body).hexdigest()
        with transaction.atomic():
            if not self._claim(principal, key, request.path, digest):
                return _with_cors(request, self._replay(principal, key, request.path, digest))
            response = self.get_response(request)
            if response.status_code >= 500 or response.status_code in _NOT_REMEMBERED or response.streaming:
                # Nothing is remembered and nothing the request did survives: a retry starts afresh.
                transaction.set_rollback(True)
                return response
            IdempotencyRecord.objects.filter(principal=principal, key=key).update(
                status_code=response.status_code,
                content_type=response.get("Content-Type", ""),
                body=response.content,
            )
        return response

    @staticmethod
    def _claim(principal: str, key: str, path: str, digest: str) -> bool:
        """Insert the record; False if one exists (after waiting for a concurrent first request to finish)."""
        # The table name comes from the model; every value is a parameter.
        table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
        insert = f"INSERT INTO {table} (principal, key, method, path, body_digest, content_type, body, created_at) "
        with connection.cursor() as cursor:
            cursor.execute(
                insert + "VALUES (%s, %s, 'POST', %s, %s, '', ''::bytea, now()) "
                "ON CONFLICT (principal, key) DO NOTHING RETURNING id",
                [principal, key, path, digest],
            )
            return cursor.fetchone() is not None

    @staticmethod
    def _replay(principal: str, key: str, path: str, digest: str) -> HttpResponse:
        record = IdempotencyRecord.objects.get(principal=principal, key=key)
        if record.body_digest != digest or record.path != path:
            return _problem(
                409,
                "idempotency_conflict",
                "Idempotency-Key reused",
                f"{HEADER} was already used with a different request; use a new key.",
            )
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response
