"""`python -m bench [NAME …] [--quick]`: run the benchmark modules, print one table, write bench/results.json.

Modules are found as bench/bench_*.py and run in name order, each as `run(ctx) -> list[Row]`; NAME
(e.g. `tenants`) picks some of them. Exit status 1 when a target is missed or a module failed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import time
import traceback
from datetime import UTC, datetime
from types import ModuleType

import bench
from bench.core import RESULTS_PATH, ROOT, Row, git_revision, log, machine_info, render_table, rows_as_json
from bench.core import write_results as write_json
from bench.stack import SETTINGS_MODULE, postgres_version, services

BUDGET_SECONDS = 900.0  # insight (≈ 4 min, first in name order) + intake + tenants
BUSY_LOAD = 0.5  # 1-min load average above which other work on the machine likely skews the figures


def discover(names: list[str]) -> list[str]:
    """Module names to run; they are imported only once Django is set up (they may import models)."""
    found = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in names]
    unknown = set(wanted) - set(found)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(found)}")
    return [name for name in found if not wanted or name in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: checks the suite, figures mean little"
    )
    args = parser.parse_args(argv)
    modules = discover(args.names)

    started_at, start, load_before = datetime.now(UTC), time.monotonic(), os.getloadavg()
    revision = git_revision(ROOT)  # at the start: the code the modules import
    rows: list[Row] = []
    runs: dict[str, dict] = {}
    with services(quick=args.quick, budget_seconds=BUDGET_SECONDS) as ctx:
        for module_name in modules:
            name = module_name.removeprefix("bench_")
            log(f"== {name}")
            module_start = time.monotonic()
            try:
                module: ModuleType = importlib.import_module(f"bench.{module_name}")
                produced = module.run(ctx)
                error = None
            except Exception as exc:  # one broken module must not hide the others' figures
                traceback.print_exc()
                produced, error = [Row("module failed", None, passed=False, note=repr(exc)[:160])], repr(exc)
            for row in produced:
                row.module = name
            rows += produced
            runs[name] = {"seconds": round(time.monotonic() - module_start, 1), "error": error}
        try:
            version = postgres_version()
        except Exception as exc:  # a module may have left the server unusable; still print the figures
            version = f"unknown ({exc.__class__.__name__})"
        machine = machine_info(version)
        details, embedded = ctx.details, ctx.embedded

    wall = time.monotonic() - start
    machine["loadavg_before"], machine["loadavg_after"] = load_before, os.getloadavg()
    title = (
        f"好差评 Cloud bench — {started_at:%Y-%m-%d %H:%M} UTC, {machine['cpu']} ({machine['cores']} cores, "
        f"{machine['ram_gib']} GiB), Python {machine['python']}, PostgreSQL {machine['postgresql']}"
        f"{' (embedded)' if embedded else ''}{', --quick' if args.quick else ''}"
    )
    busy = " (the machine was busy: figures may be inflated)" if load_before[0] > BUSY_LOAD else ""
    footer = (
        f"total wall time {wall:.0f} s (budget {BUDGET_SECONDS:.0f} s); 1-min load average {load_before[0]:.2f} "
        f"before, {machine['loadavg_after'][0]:.2f} after{busy}; figures in {RESULTS_PATH.relative_to(ROOT)}"
    )
    print(render_table(rows, title=title, footer=footer))
    write_json(
        RESULTS_PATH,
        {
            "started_at": started_at.isoformat(timespec="seconds"),
            "wall_seconds": round(wall, 1),
            "quick": args.quick,
            "revision": revision,
            "settings": SETTINGS_MODULE,
            "machine": machine,
            "modules": runs,
            "rows": rows_as_json(rows),
            "details": details,
        },
    )
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; services stopped", file=sys.stderr)
        sys.exit(130)
