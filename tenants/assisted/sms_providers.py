"""The SMS provider seam: one interface, a console adapter for development and an HTTP gateway adapter.

Settings (all optional):
- ``SMS_PROVIDER``: ``"console"`` (default; logs the message) or ``"http"``;
- ``SMS_GATEWAY_URL``: where the HTTP adapter POSTs ``{"phone", "text", "reference"}`` as JSON (the
  caller's reference when it gives one, e.g. ``notify-42`` for a notification, else a random one);
- ``SMS_GATEWAY_TOKEN``: sent as ``Authorization: Bearer <token>`` when set;
- ``SMS_GATEWAY_TIMEOUT``: seconds, default 5.

The gateway answers 2xx with an optional JSON body ``{"message_id": "…"}``; anything else is a failure.
"""

import json
import logging
import uuid
from abc import ABC, abstractmethod
from urllib import error, request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tenants.privacy.masking import mask_phone

logger = logging.getLogger(__name__)


class SmsSendError(Exception):
    """The provider did not accept the message."""


class SmsProvider(ABC):
    @abstractmethod
    def send(self, phone: str, text: str, reference: str = "") -> str:
        """Send one message; returns the provider's message id ("" when it gives none). `reference`, when
        given, is the caller's stable id of the message (the same on a retry, so a gateway can de-duplicate)."""


class ConsoleSmsProvider(SmsProvider):
    """Development: the message goes to the log (phone masked), nothing leaves the machine."""

    def send(self, phone: str, text: str, reference: str = "") -> str:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("SMS to %s (%s): %s", mask_phone(phone), message_id, text)
        return message_id


class HttpGatewaySmsProvider(SmsProvider):
    def __init__(self, url: str, token: str = "", timeout: float = 5.0):
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be an http(s) URL")
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str, reference: str = "") -> str:
        reference = reference or uuid.uuid4().hex
        body = json.dumps({"phone": phone, "text": text, "reference": reference}, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        outgoing = request.Request(self.url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
        try:
            with request.urlopen(outgoing, timeout=self.timeout) as response:  # noqa: S310 (http(s) checked above)
                answer = response.read(64 * 1024)
        except error.HTTPError as exc:
            raise SmsSendError(f"gateway answered {exc.code}") from exc
        except (error.URLError, TimeoutError, OSError) as exc:
            raise SmsSendError(f"gateway unreachable: {exc}") from exc
        try:
            message_id = json.loads(answer or b"{}").get("message_id") or ""
        except (ValueError, AttributeError):
            message_id = ""
        return str(message_id)[:100] or reference


def sms_provider() -> SmsProvider:
    kind = getattr(settings, "SMS_PROVIDER", "console")
    if kind == "console":
        return ConsoleSmsProvider()
    if kind == "http":
        return HttpGatewaySmsProvider(
            url=getattr(settings, "SMS_GATEWAY_URL", ""),
            token=getattr(settings, "SMS_GATEWAY_TOKEN", ""),
            timeout=float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 5)),
        )
    raise ImproperlyConfigured(f"Unknown SMS_PROVIDER {kind!r}; use 'console' or 'http'")
