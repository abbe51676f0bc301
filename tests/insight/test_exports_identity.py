"""The exports' batch decryption gives exactly what tenants.privacy.crypto.decrypt gives, or raises as it does."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from tenants.insight.exports.identity import _keys, decrypt_many, masked_identities
from tenants.privacy import crypto

VALUES = [
    "",
    "李",
    "欧阳娜娜",
    "13912345678",
    "11010519491231002X",
    "a" * 15,
    "b" * 16,
    "c" * 17,
    "长名字" * 20,
    "Zhang Min-Wei O'Neil",
    "\u0000\u0001 control",
]


@pytest.fixture
def keys(settings):
    """Fresh keys for the test; the cached ciphers of both modules follow them."""

    def use(*configured: str) -> None:
        settings.IDENTITY_ENCRYPTION_KEYS = list(configured)
        crypto._fernet.cache_clear()
        _keys.cache_clear()

    yield use
    crypto._fernet.cache_clear()
    _keys.cache_clear()


def test_same_as_crypto_decrypt(keys):
    keys(Fernet.generate_key().decode())
    tokens = [crypto.encrypt(v) for v in VALUES * 50]

    assert decrypt_many(tokens) == [crypto.decrypt(t) for t in tokens] == VALUES * 50


def test_rotated_keys_decrypt_old_and_new_tokens(keys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    keys(old)
    old_tokens = [crypto.encrypt(v) for v in VALUES]
    keys(new, old)
    new_tokens = [crypto.encrypt(v) for v in VALUES]

    mixed = [t for pair in zip(old_tokens, new_tokens, strict=True) for t in pair]
    assert decrypt_many(mixed) == [v for v in VALUES for _ in range(2)]


def test_a_token_no_key_signs_raises(keys):
    keys(Fernet.generate_key().decode())
    good = crypto.encrypt("13912345678")
    keys(Fernet.generate_key().decode())

    with pytest.raises(ImproperlyConfigured):
        decrypt_many([good])


@pytest.mark.parametrize("token", ["not base64 !!", "gAAAAA", "x" * 100, "gAAAA\nAAAA", "令牌令牌"])
def test_malformed_tokens_raise(keys, token):
    keys(Fernet.generate_key().decode())
    with pytest.raises(ImproperlyConfigured):
        decrypt_many([crypto.encrypt("ok"), token])


def test_tampered_ciphertext_raises(keys):
    keys(Fernet.generate_key().decode())
    token = bytearray(crypto.encrypt("13912345678").encode())
    token[40] = ord("A") if token[40] != ord("A") else ord("B")

    with pytest.raises(ImproperlyConfigured):
        decrypt_many([bytes(token).decode()])


def test_masked_identities(keys):
    keys(Fernet.generate_key().decode())
    rows = [
        (crypto.encrypt("欧阳娜娜"), crypto.encrypt("13912345678"), crypto.encrypt("11010519491231002X")),
        ("", "", ""),
    ]

    assert masked_identities(rows) == [("欧***", "139****5678", "110***********002X"), ("", "", "")]
