"""Signed QR tokens (django.core.signing). Each salt carries the tenant's schema, so a token made on one
tenant's host does not verify on another's: the other tenant answers 404 and nothing happens.

- A window token is permanent (it is printed on a poster); it names the window by id, so renaming or
  re-coding the window keeps old posters working, and deactivating the window stops them.
- A transaction token is for one transaction and one rating; it carries the time it was issued and expires
  after the tenant's supplementary-rating period. Its use is recorded (models.QrTokenUse) by digest.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import connection

WINDOW_SALT = "channels.window-qr"
TRANSACTION_SALT = "channels.transaction-qr"
MAX_TOKEN_LENGTH = 300


def _salt(base: str) -> str:
    return f"{base}:{connection.schema_name}"


def window_token(window_id: int) -> str:
    return signing.Signer(salt=_salt(WINDOW_SALT)).sign(str(window_id))


def window_id_from_token(token: str) -> int | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = signing.Signer(salt=_salt(WINDOW_SALT)).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def transaction_token(number: str) -> str:
    return signing.dumps({"n": number}, salt=_salt(TRANSACTION_SALT))


@dataclass(frozen=True)
class TransactionTokenCheck:
    """`status` is "ok", "expired" or "invalid"; `number` is known for ok and expired tokens."""

    status: str
    number: str = ""


def transaction_token_check(token: str, *, max_age_days: int) -> TransactionTokenCheck:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return TransactionTokenCheck("invalid")
    salt = _salt(TRANSACTION_SALT)
    try:
        payload = signing.loads(token, salt=salt, max_age=timedelta(days=max(max_age_days, 1)))
    except signing.SignatureExpired:
        payload = signing.loads(token, salt=salt)  # genuine but too old: say so rather than "invalid"
        return TransactionTokenCheck("expired", str(payload.get("n", "")))
    except (signing.BadSignature, ValueError):
        return TransactionTokenCheck("invalid")
    number = payload.get("n") if isinstance(payload, dict) else None
    if not isinstance(number, str) or not number:
        return TransactionTokenCheck("invalid")
    return TransactionTokenCheck("ok", number)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
