"""gunicorn: the production server configuration, also used by `make run` and the benchmarks."""

import multiprocessing
import os

# All interfaces by default: in a container the load balancer connects from outside.
bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
# gthread: a few processes per core, threads for requests that wait on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-" if os.environ.get("ACCESS_LOG", "1") == "1" else None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = True
# gunicorn 27 opens a control socket under $HOME shared by every gunicorn of this user; we do not use it.
control_socket_disable = True
