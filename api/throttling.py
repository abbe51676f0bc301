import threading
import time

from django.core.cache import cache
from django_redis import get_redis_connection
from rest_framework.throttling import SimpleRateThrottle

# Requests a process admits on its own count before it adds them to the shared Redis counter: far from the
# limit a key's requests cost one Redis round trip per BATCH instead of one each. Once the shared total this
# process last saw is within NEAR × BATCH of the limit, every request is counted in Redis at once. A limit is
# overshot by at most BATCH − 1 requests per serving process.
BATCH = 10
NEAR = 4


class _Window:
    """This process's view of one principal's counter in the current window."""

    __slots__ = ("id", "pending", "shared")

    def __init__(self, window_id: int) -> None:
        self.id = window_id
        self.pending = 0  # admitted here, not yet added to Redis
        self.shared = 0  # the Redis total after this process's last INCRBY


class PrincipalRateThrottle(SimpleRateThrottle):
    """Per API key or per user, never per IP alone: a hall's devices share one NAT address.

    Cache keys carry the schema (django_tenants.cache.make_key), so key ids never collide across tenants.
    A counter per fixed window in Redis (constant size) rather than DRF's list of every request's time; each
    process adds its requests in batches (see BATCH).
    """

    scope = "principal"
    _windows: dict[str, _Window] = {}
    _lock = threading.Lock()  # gunicorn's gthread workers serve several requests at once

    def get_cache_key(self, request, view):
        user = request.user
        if getattr(user, "throttle_ident", None):
            ident = user.throttle_ident
        elif user and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window_id = int(self.now // self.duration)
        name = cache.make_key(self.key)
        with self._lock:
            state = self._windows.get(name)
            if state is None or state.id != window_id:
                if len(self._windows) > 10_000:
                    self._windows.clear()
                state = self._windows[name] = _Window(window_id)
            state.pending += 1
            near_limit = state.shared + NEAR * BATCH >= self.num_requests
            if state.pending < BATCH and not near_limit:
                return state.shared + state.pending <= self.num_requests
            pending, state.pending = state.pending, 0
        pipe = get_redis_connection("default").pipeline(transaction=False)
        pipe.incrby(f"{name}:{window_id}", pending)
        pipe.expire(f"{name}:{window_id}", self.duration + 1)
        total, _ = pipe.execute()
        with self._lock:
            if state.shared < total:
                state.shared = total
        return total <= self.num_requests

    def wait(self):
        return self.duration - (self.timer() % self.duration)

    def timer(self):
        return time.time()
