"""Request ids, tenant-tagged JSON logs, Sentry silent without a DSN and scrubbing personal data."""

import json
import logging

from config.observability import ContextFilter, JsonFormatter
from config.sentry import PII_DENYLIST, init_sentry

from tests.conftest import host_client


def test_request_id_is_echoed_or_made(alpha):
    given = host_client(alpha.host).get("/accounts/login/", HTTP_X_REQUEST_ID="abc-123")
    made = host_client(alpha.host).get("/accounts/login/")
    assert given["X-Request-ID"] == "abc-123"
    assert len(made["X-Request-ID"]) == 32
    hostile = host_client(alpha.host).get("/accounts/login/", HTTP_X_REQUEST_ID="<script>")
    assert hostile["X-Request-ID"] != "<script>"


def test_log_lines_carry_tenant_and_request_id(alpha, caplog):
    handler = logging.StreamHandler()
    lines: list[str] = []
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))  # type: ignore[method-assign]
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        host_client(alpha.host).get("/api/v1/me", HTTP_X_REQUEST_ID="req-42")  # 401 is logged as a warning
    finally:
        logger.removeHandler(handler)
    record = json.loads(lines[-1])
    assert record["tenant"] == "alpha" and record["request_id"] == "req-42" and record["level"] == "WARNING"


def test_sentry_is_silent_without_dsn():
    import sentry_sdk

    assert init_sentry("", environment="test") is False
    assert sentry_sdk.get_client().dsn is None  # nothing would be sent anywhere


def test_sentry_events_carry_the_tenant_and_no_personal_data(alpha):
    import sentry_sdk
    from sentry_sdk.transport import Transport

    sent: list[dict] = []

    class Recorder(Transport):  # the seam: what would cross the network to Sentry
        def capture_envelope(self, envelope):
            sent.extend(item.payload.json for item in envelope.items if item.payload.json)

    assert init_sentry("https://public@sentry.invalid/1", environment="test", transport=Recorder)
    try:
        host_client(alpha.host).get("/accounts/login/")  # the middleware tags the scope with the tenant
        sentry_sdk.set_extra("evaluator", {"phone": "13800138000", "id_number": "440301199001011234"})
        sentry_sdk.capture_message("something broke")
        sentry_sdk.flush()
    finally:
        sentry_sdk.init()  # back to a disabled client
    event = next(e for e in sent if e.get("message") == "something broke")
    assert event["tags"]["tenant"] == "alpha"
    assert "13800138000" not in json.dumps(event) and "440301199001011234" not in json.dumps(event)
    assert {"phone", "id_number"} <= set(PII_DENYLIST)
