"""pytest: real PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are set)."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never outside tests
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"principal": "1000/min"}}
CELERY_TASK_ALWAYS_EAGER = False
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Servers started by the tests (gunicorn for browser tests) serve static files without collectstatic.
WHITENOISE_USE_FINDERS = True
# allauth's sign-in rate limits live in the cache and would build up across hundreds of test sign-ins.
ACCOUNT_RATE_LIMITS = False
WHITENOISE_AUTOREFRESH = True
