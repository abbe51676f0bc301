"""Host → tenant routing, with a short in-process cache so each request costs no registry query."""

import time

from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

HOST_CACHE_SECONDS = 10.0
_host_cache: dict[str, tuple[float, object]] = {}


def host_cache_clear() -> None:
    _host_cache.clear()


class TenantMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model, hostname):
        cached = _host_cache.get(hostname)
        now = time.monotonic()
        if cached and now - cached[0] < HOST_CACHE_SECONDS:
            return cached[1]
        tenant = super().get_tenant(domain_model, hostname)
        _host_cache[hostname] = (now, tenant)
        return tenant

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After routing and authentication, before the view: a suspended or archived tenant's limits and the
        # support session's checks (control_plane/console/gate.py).
        from control_plane.console.gate import tenant_gate

        return tenant_gate(request)

    def no_tenant_found(self, request, hostname):
        # Never fall back to another tenant: an unknown host is a plain, explained 404.
        return render(request, "tenants/unknown_host.html", {"hostname": hostname}, status=404)
