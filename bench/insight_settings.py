"""Settings for the gunicorn the insight benchmark starts: the intake bench's (base.py, what production runs,
plus bench-only URLs that the pages never touch), with static files collected into the bench's temporary
directory. Pages render `{% static %}` through the manifest storage as in production, which needs
`collectstatic` first; the bench runs it into BENCH_STATIC_ROOT rather than the checkout's staticfiles/.

Not named bench_*.py: `python -m bench` would take it for a benchmark module.
"""

import os

from bench.intake_settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
