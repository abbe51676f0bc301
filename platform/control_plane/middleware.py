import json

from django.http import HttpResponse

from control_plane.health import readiness


def _json(payload: dict, status: int) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before tenant routing, so probes work on any host name or bare IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return _json({"status": "ok"}, 200)
        if request.path == "/readyz":
            checks = readiness()
            down = sorted(name for name, result in checks.items() if result != "ok")
            return _json(
                {"status": "down" if down else "ok", "down": down, "checks": checks}, 503 if down else 200
            )
        return self.get_response(request)
