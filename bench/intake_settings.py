"""Settings for the gunicorn the intake benchmark starts: the shared base settings (what production runs,
minus its HTTPS-only and secrets-required parts) plus one bench-only URL, `POST /bench/insert`.

Deliberately NOT config.settings.test: that one turns persistent database connections off (CONN_MAX_AGE=0,
a new PostgreSQL session per request) and tightens the API throttle, neither of which production does.
Middleware, database options, cache and REST framework settings are exactly base.py's, for the ceiling
view and for the API alike, so the ratio between the two is an honest one.

Not named bench_*.py: `python -m bench` would take it for a benchmark module.
"""

from config.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.intake_urls"
