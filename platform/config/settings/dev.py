"""Local development with `make run`: production server config, demo-friendly e-mail."""

from .base import *  # noqa: F403
from .base import env

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
