"""Django project configuration for 好差评 Cloud."""

from .celery import app as celery_app

__all__ = ["celery_app"]
