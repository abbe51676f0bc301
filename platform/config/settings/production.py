"""Production: secrets required, HTTPS, MFA enforced for admin roles."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY")
MFA_ENFORCE_FOR_ADMINS = env.bool("MFA_ENFORCE_FOR_ADMINS", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
IDENTITY_ENCRYPTION_KEYS = env.list("IDENTITY_ENCRYPTION_KEYS")
IDENTITY_HASH_KEY = env("IDENTITY_HASH_KEY")
