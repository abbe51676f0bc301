from rest_framework.throttling import SimpleRateThrottle


class PrincipalRateThrottle(SimpleRateThrottle):
    """Per API key or per user, never per IP alone: a hall's devices share one NAT address.

    Cache keys carry the schema (django_tenants.cache.make_key), so key ids never collide across tenants.
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
