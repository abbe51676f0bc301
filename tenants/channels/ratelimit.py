"""Fixed-window counters in the Django cache for the public QR pages.

Counted per window and per token, never per IP: every phone in a hall can share one NAT address. Cache keys
carry the tenant's schema (django_tenants.cache.make_key), so tenants never share a budget. Limits come from
settings (CHANNELS_QR_WINDOW_RATE, CHANNELS_QR_TOKEN_RATE) as (requests, seconds), with defaults here.
"""

import time

from django.conf import settings
from django.core.cache import cache

DEFAULT_WINDOW_RATE = (30, 600)  # a window serves a citizen every few minutes; 30 ratings in 10 min is a lot
DEFAULT_TOKEN_RATE = (10, 600)  # a one-time token needs one good submit; a few corrections at most


def _rate(name: str, default: tuple[int, int]) -> tuple[int, int]:
    return tuple(getattr(settings, name, default))


def allow(scope: str, ident: str, *, rate: tuple[int, int]) -> bool:
    """Count one attempt; False when the budget for the current period is spent."""
    limit, period = rate
    bucket = int(time.time() // period)
    key = f"channels:ratelimit:{scope}:{ident}:{bucket}"
    cache.add(key, 0, period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, period + 5)
        count = 1
    return count <= limit


def allow_window(window_id: int) -> bool:
    return allow("window", str(window_id), rate=_rate("CHANNELS_QR_WINDOW_RATE", DEFAULT_WINDOW_RATE))


def allow_token(digest: str) -> bool:
    return allow("token", digest[:32], rate=_rate("CHANNELS_QR_TOKEN_RATE", DEFAULT_TOKEN_RATE))
