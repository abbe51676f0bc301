"""Local development with `make run`: production server config, demo-friendly e-mail."""

from .base import *  # noqa: F403
from .base import env

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# The demo approves sign-ups at once (production waits for national staff unless told otherwise).
ONBOARDING_AUTO_APPROVE = env.bool("ONBOARDING_AUTO_APPROVE", default=True)
