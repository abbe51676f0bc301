"""The SMS provider seam: the HTTP adapter against a real local HTTP server, and the console adapter."""

import logging
import socket

import pytest
from django.core.exceptions import ImproperlyConfigured

from tenants.assisted.sms_providers import (
    ConsoleSmsProvider,
    HttpGatewaySmsProvider,
    SmsSendError,
    sms_provider,
)


def test_http_adapter_posts_json_with_the_token_and_returns_the_gateways_id(gateway):
    provider = HttpGatewaySmsProvider(gateway.url, token="t0k3n")
    assert provider.send("13800138000", "请回复1-5评价") == "gw-1"
    [sent] = gateway.requests
    assert sent["headers"]["Authorization"] == "Bearer t0k3n"
    assert sent["headers"]["Content-Type"].startswith("application/json")
    assert sent["json"]["phone"] == "13800138000" and sent["json"]["text"] == "请回复1-5评价"
    assert sent["json"]["reference"]


def test_http_adapter_without_an_id_in_the_answer_returns_its_reference(gateway):
    gateway.answer = {}
    message_id = HttpGatewaySmsProvider(gateway.url).send("13800138000", "x")
    assert message_id == gateway.requests[0]["json"]["reference"]
    assert "Authorization" not in gateway.requests[0]["headers"]


def test_http_adapter_reports_a_refusal(gateway):
    gateway.status = 503
    with pytest.raises(SmsSendError, match="503"):
        HttpGatewaySmsProvider(gateway.url).send("13800138000", "x")


def test_http_adapter_reports_an_unreachable_gateway():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SmsSendError, match="unreachable"):
        HttpGatewaySmsProvider(f"http://127.0.0.1:{port}/", timeout=2).send("13800138000", "x")


def test_console_adapter_logs_with_the_phone_masked(caplog):
    with caplog.at_level(logging.INFO, logger="tenants.assisted.sms_providers"):
        message_id = ConsoleSmsProvider().send("13800138000", "谢谢您的评价")
    assert message_id.startswith("console-")
    assert "138****8000" in caplog.text and "13800138000" not in caplog.text and "谢谢您的评价" in caplog.text


def test_provider_comes_from_the_settings(settings):
    settings.SMS_PROVIDER = "console"
    assert isinstance(sms_provider(), ConsoleSmsProvider)
    settings.SMS_PROVIDER = "http"
    settings.SMS_GATEWAY_URL = "https://sms.example.cn/send"
    assert isinstance(sms_provider(), HttpGatewaySmsProvider)
    settings.SMS_GATEWAY_URL = "file:///etc/passwd"
    with pytest.raises(ImproperlyConfigured):
        sms_provider()
    settings.SMS_PROVIDER = "pigeon"
    with pytest.raises(ImproperlyConfigured):
        sms_provider()
