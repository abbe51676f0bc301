"""Errors as RFC 9457 problem details (application/problem+json), naming the offending fields."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from billing.entitlements import UPGRADE_PATH, EntitlementExceeded

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://docs.haochaping.cloud/problems/"


def _flatten(detail, prefix: str = "") -> list[dict]:
    """DRF error detail → [{"field": "a.b", "message": "…", "code": "…"}]."""
    if isinstance(detail, dict):
        return [
            err
            for key, value in detail.items()
            for err in _flatten(value, f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [
                {"field": prefix or None, "message": str(item), "code": getattr(item, "code", "invalid")}
                for item in detail
            ]
        return [err for index, item in enumerate(detail) for err in _flatten(item, f"{prefix}[{index}]")]
    return [{"field": prefix or None, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


def problem_response(
    *,
    status_code: int,
    title: str,
    detail: str = "",
    code: str = "error",
    errors: list[dict] | None = None,
    headers: dict | None = None,
) -> Response:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status_code,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    response = Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    return response


def plan_limit_problem(exc: EntitlementExceeded) -> Response:
    """403 `plan-limit`: what the tenant's plan does not allow, which plan, and where to upgrade."""
    response = problem_response(
        status_code=status.HTTP_403_FORBIDDEN,
        title="Plan limit reached",
        detail=exc.text,
        code="plan-limit",
    )
    response.data.update(
        {
            "feature": exc.feature,
            "limit": exc.limit,
            "used": exc.used,
            "plan": exc.plan.code if exc.plan is not None else None,
            "plan_name": exc.plan.name if exc.plan is not None else None,
            "upgrade": UPGRADE_PATH,
        }
    )
    return response


def problem_exception_handler(exc, context):
    if isinstance(exc, EntitlementExceeded):  # before the generic 400: a plan limit is not bad input
        return plan_limit_problem(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = [
            {**e, "field": e["field"] if e["field"] != "non_field_errors" else None}
            for e in _flatten(exc.detail)
        ]
        named = next((e["field"] for e in errors if e["field"]), None)
        detail = (
            f"{named}: {errors[0]['message']}"
            if named
            else errors[0]["message"]
            if errors
            else "Invalid input."
        )
        return problem_response(
            status_code=status.HTTP_400_BAD_REQUEST,
            title="Invalid request",
            detail=detail,
            code="validation",
            errors=errors,
            headers=_carry_headers(response),
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ParseError):
        code = "malformed"
    return problem_response(
        status_code=response.status_code,
        title=str(getattr(exc, "default_detail", "Error")),
        detail=str(detail),
        code=code,
        headers=_carry_headers(response),
    )


def _carry_headers(response: Response) -> dict:
    return {
        name: value
        for name, value in response.items()
        if name in {"WWW-Authenticate", "Retry-After", "Allow"}
    }
