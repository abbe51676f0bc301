"""Request ids, tenant-tagged structured logs and the Sentry tenant tag."""

import contextvars
import json
import logging
import re
import uuid

import sentry_sdk

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
tenant_var: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="-")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Gives every request an id (honouring a sane X-Request-ID) and tags logs and Sentry with the tenant."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        tenant = getattr(request, "tenant", None)
        schema = tenant.schema_name if tenant else "-"
        # Set, not reset afterwards: Django logs the response (django.request) after the middleware chain
        # returns, and that line must carry the ids too. The next request on this thread sets its own.
        request_id_var.set(request.id)
        tenant_var.set(schema)
        sentry_sdk.set_tag("tenant", schema)
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "tenant": getattr(record, "tenant", "-"),
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
