"""A real HTTP server on 127.0.0.1 standing in for api.stripe.com: it answers each call with a RECORDED Stripe
response (the JSON files beside this module, shaped exactly like Stripe's objects) and records what the client
sent (method, path, headers, form-encoded parameters), so tests assert on what the product asked Stripe for.
Also: Stripe's webhook signing scheme, and events built around recorded objects."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

RECORDINGS = Path(__file__).parent
WEBHOOK_SECRET = "whsec_test_6d2Yq9Lr0Vb3Kx8Tn4Pw1Hs7"
API_KEY = "sk_test_51SZa0bL2eZvKYlo2TestKeyForRecordedResponsesOnly"

# (method, path pattern) → recording answered by default
ROUTES = [
    ("POST", r"/v1/customers", "customer"),
    ("POST", r"/v1/checkout/sessions", "checkout_session"),
    ("POST", r"/v1/subscriptions", "subscription_send_invoice"),
    ("POST", r"/v1/subscription_items", "subscription_item"),
    ("POST", r"/v1/subscription_items/[^/]+", "subscription_item"),
    ("GET", r"/v1/prices/[^/]+", "price"),
    ("POST", r"/v1/billing_portal/sessions", "billing_portal_session"),
    ("POST", r"/v1/billing/meter_events", "billing_meter_event"),
]


def recording(name: str) -> dict:
    """A fresh copy of a recorded object (tests may change it)."""
    return json.loads((RECORDINGS / f"{name}.json").read_text())


@dataclass
class Sent:
    method: str
    path: str
    headers: dict
    params: dict  # form fields by their bracketed names: {"line_items[0][price]": "price_…"}

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


@dataclass
class StripeAPI:
    """What the fake API received, and how it answers. `answer(method, path, body, status)` replaces the
    recorded answer for calls whose path matches (a regular expression), e.g. a card_error with 402."""

    url: str = ""
    sent: list[Sent] = field(default_factory=list)
    overrides: list[tuple[str, str, int, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, body: dict, status: int = 200) -> None:
        with self.lock:
            self.overrides.insert(0, (method, path, status, body))

    def calls(self, method: str, path: str) -> list[Sent]:
        """The requests whose method is `method` and whose path matches `path` entirely."""
        return [s for s in self.sent if s.method == method and re.fullmatch(path, s.path)]

    def respond(self, method: str, raw_path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        parts = urlsplit(raw_path)
        params = dict(parse_qsl(body.decode() if body else parts.query, keep_blank_values=True))
        with self.lock:
            self.sent.append(Sent(method=method, path=parts.path, headers=headers, params=params))
            for o_method, o_path, status, answer in self.overrides:
                if o_method == method and re.fullmatch(o_path, parts.path):
                    return status, copy.deepcopy(answer)
        for r_method, r_path, name in ROUTES:
            if r_method == method and re.fullmatch(r_path, parts.path):
                return 200, recording(name)
        return 404, {
            "error": {
                "message": f"Unrecognized request URL ({method}: {parts.path}).",
                "type": "invalid_request_error",
            }
        }


@contextmanager
def running_stripe() -> Iterator[StripeAPI]:
    state = StripeAPI()
    request_ids = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            status, answer = state.respond(self.command, self.path, dict(self.headers), body)
            payload = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", f"req_test{next(request_ids):06d}")
            self.send_header("Stripe-Version", "2026-10-28.endive")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- webhooks ---------------------------------------------------------------------------------------------
def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's `Stripe-Signature` header: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


_event_numbers = itertools.count(1)


def event(
    kind: str, obj: dict, created: int, event_id: str | None = None, previous: dict | None = None
) -> dict:
    """A webhook event as Stripe sends it (the recorded envelope) around `obj`."""
    envelope = recording("event")
    envelope.update(
        id=event_id or f"evt_1SZtest{next(_event_numbers):016d}",
        type=kind,
        created=created,
        data={"object": obj, **({"previous_attributes": previous} if previous else {})},
    )
    return envelope


def subscription_object(
    tenant, *, status: str = "active", sub_id: str | None = None, recorded: str = "subscription", **changes
) -> dict:
    """The recorded subscription, made the tenant's (its metadata names it, as our creates set it)."""
    obj = recording(recorded)
    obj["metadata"] = {"plan": "standard", "tenant": tenant.slug, "tenant_id": str(tenant.pk)}
    if sub_id:
        obj["id"] = sub_id
        for item in obj["items"]["data"]:
            item["subscription"] = sub_id
    obj["status"] = status
    if status == "canceled":
        obj["canceled_at"] = obj["ended_at"] = changes.pop("ended_at", obj["created"] + 86400 * 40)
    obj.update(changes)
    return obj


def invoice_object(
    tenant, *, sub_id: str, status: str = "open", invoice_id: str | None = None, **changes
) -> dict:
    obj = recording("invoice")
    obj["parent"]["subscription_details"]["subscription"] = sub_id
    obj["parent"]["subscription_details"]["metadata"] = {
        "plan": "standard",
        "tenant": tenant.slug,
        "tenant_id": str(tenant.pk),
    }
    obj["status"] = status
    if invoice_id:
        obj["id"] = invoice_id
    if status == "paid":
        obj.update(amount_paid=obj["amount_due"], amount_remaining=0, attempted=True)
        obj["status_transitions"]["paid_at"] = obj["created"] + 3600
    obj.update(changes)
    return obj


def checkout_completed_object(tenant, **changes) -> dict:
    obj = recording("checkout_session_completed")
    obj["metadata"] = {"plan": "standard", "tenant": tenant.slug, "tenant_id": str(tenant.pk)}
    obj["client_reference_id"] = f"tenant-{tenant.pk}"
    obj.update(changes)
    return obj
