import time

from django.core.cache import cache
from django_redis import get_redis_connection
from rest_framework.throttling import SimpleRateThrottle


class PrincipalRateThrottle(SimpleRateThrottle):
    """Per API key or per user, never per IP alone: a hall's devices share one NAT address.

    Cache keys carry the schema (django_tenants.cache.make_key), so key ids never collide across tenants.
    A counter per fixed window (one Redis round trip, constant size) rather than DRF's list of every request's
    time, which is read, filtered and written back whole on every request.
    """

    scope = "principal"

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
        window = int(self.now // self.duration)
        key = cache.make_key(f"{self.key}:{window}")
        pipe = get_redis_connection("default").pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, self.duration + 1)
        count, _ = pipe.execute()
        return count <= self.num_requests

    def wait(self):
        return self.duration - (self.timer() % self.duration)

    def timer(self):
        return time.time()
