"""`python -m devstack run`: the whole product on one machine, as `make run` starts it.

Starts embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set, migrates the public and
tenant schemas, seeds the demo (idempotent), then runs infra/Procfile (gunicorn web, Celery worker and
beat) under honcho. Ctrl-C stops everything it started; data stays under .data/ for the next run.
"""

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from devstack.services import start_postgres, start_redis

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".data"


def _manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)


def run(port: int) -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    # infra/Procfile names gunicorn and celery: use this venv's copies even when it is not activated.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    started = []
    DATA.mkdir(exist_ok=True)
    try:
        if not env.get("DATABASE_URL"):
            postgres = start_postgres(DATA / "postgres")
            started.append(postgres)
            env["DATABASE_URL"] = postgres.url
        if not env.get("REDIS_URL"):
            redis = start_redis(DATA / "redis")
            started.append(redis)
            env["REDIS_URL"] = redis.url
        # A second shell's manage.py finds the running services through this file (see settings/base.py).
        (DATA / "services.env").write_text(
            f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}\n"
        )
        env["PORT"] = str(port)
        print("→ migrating the public schema, the template and every tenant that is behind …", flush=True)
        _manage("migrate_schemas", "--noinput", "--executor=multiprocessing", env=env)
        print("→ seeding the demo …", flush=True)
        _manage("seed_demo", env=env)
        _manage("collectstatic", "--noinput", "-v0", env=env)
        _manage("demo_banner", f"--port={port}", env=env)
        honcho = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "honcho",
                "-f",
                str(ROOT / "infra" / "Procfile"),
                "-d",
                str(ROOT),
                "start",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            honcho.send_signal(signal.SIGINT)
            return honcho.wait()
    finally:
        for service in reversed(started):
            service.stop()
        (DATA / "services.env").unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    return run(args.port)


if __name__ == "__main__":
    sys.exit(main())
