"""Sentry: on only when SENTRY_DSN is set; personal data scrubbed before anything leaves."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST, EventScrubber

# Evaluator identity fields (issue: capture) and API keys must never reach Sentry.
PII_DENYLIST = [*DEFAULT_DENYLIST, "phone", "id_number", "name", "evaluator", "api_key", "idempotency_key"]


def init_sentry(dsn: str, *, environment: str, **overrides) -> bool:
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        event_scrubber=EventScrubber(denylist=PII_DENYLIST, recursive=True),
        traces_sample_rate=0.0,
        **overrides,
    )
    return True
