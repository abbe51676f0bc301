"""Settings for the gunicorn the benchmarking bench starts: the intake bench's (base.py, what production runs,
plus bench-only URLs the league pages never touch), with static files collected into the bench's temporary
directory (the pages render `{% static %}` through the manifest storage, as in production).

Not named bench_*.py: `python -m bench` would take it for a benchmark module.
"""

import os

from bench.intake_settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
