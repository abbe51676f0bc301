import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
application = get_wsgi_application()


def _warm() -> None:
    """Import the URL confs (and so every view, serializer and the libraries they use) and the cache backend
    now. gunicorn loads this module once in its master (preload_app) and forks the workers from it, so a new
    worker, and each one recycled after max_requests, starts warm instead of importing the project on its
    first request. Nothing here opens a connection."""
    from django.conf import settings
    from django.core.cache import caches
    from django.urls import get_resolver

    for urlconf in {settings.ROOT_URLCONF, getattr(settings, "PUBLIC_SCHEMA_URLCONF", settings.ROOT_URLCONF)}:
        get_resolver(urlconf).url_patterns  # noqa: B018 (the import is the point)
    caches["default"]


_warm()
