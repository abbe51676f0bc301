"""These tests check behaviour, and read English messages: run them in English (the product default is zh-Hans,
covered by tests/test_i18n.py and the browser tests)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
