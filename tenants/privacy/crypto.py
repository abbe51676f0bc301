"""Encryption at rest for evaluator and applicant identity (name, phone, ID number).

Fernet (AES-128-CBC + HMAC-SHA256) from the `cryptography` package, through MultiFernet so keys rotate:
`IDENTITY_ENCRYPTION_KEYS` is a comma-separated list, the first key encrypts, every key decrypts.
Rotation: put a new key first, deploy, run `manage.py identity_rotate_keys` (re-encrypts every row with
the first key), then drop the old key. A keyed hash (HMAC-SHA256 with `IDENTITY_HASH_KEY`) gives a stable,
non-reversible token for de-duplication and the national feed.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.IDENTITY_ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured("IDENTITY_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("identity token cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode() if token else ""


def keyed_hash(value: str) -> str:
    if not value:
        return ""
    return hmac.new(settings.IDENTITY_HASH_KEY.encode(), value.strip().encode(), hashlib.sha256).hexdigest()
