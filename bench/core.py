"""What every benchmark module shares: the run context, result rows, the table and results.json."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = ROOT / "bench" / "results.json"
_STARTED = time.monotonic()


@dataclass
class Row:
    """One figure of the table. `passed` stays None for figures that have no target."""

    figure: str
    value: float | None
    unit: str = "s"  # "s", "ms", "x" (a ratio) or "" (a count)
    target: str = ""
    passed: bool | None = None
    note: str = ""
    module: str = ""  # filled in by the runner

    def shown_value(self) -> str:
        if self.value is None:
            return "—"
        if self.unit == "s":
            return f"{self.value:.3f} s" if self.value < 10 else f"{self.value:.1f} s"
        if self.unit == "ms":
            return f"{self.value:.1f} ms"
        if self.unit == "x":
            return f"{self.value:.2f}×"
        return f"{self.value:g} {self.unit}".strip()

    def result(self) -> str:
        return {None: "", True: "PASS", False: "FAIL"}[self.passed]


@dataclass
class Context:
    """Handed to every module's run(): where the services are and how much time is left."""

    root: Path
    workdir: Path  # temporary, removed at the end
    database_url: str
    redis_url: str
    env: dict[str, str]  # for child processes (manage.py): the bench's services, never the developer's
    embedded: bool  # True when the bench started PostgreSQL itself (a throwaway database)
    quick: bool  # --quick: small sizes, for checking the suite works rather than for figures
    deadline: float  # time.monotonic() by which the whole suite should be done
    details: dict[str, Any] = field(default_factory=dict)  # extra figures for results.json, per module
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def at_exit(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` before the services stop (only needed for data left in a database we did not start)."""
        self._cleanups.append(cleanup)

    def run_cleanups(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()

    def manage(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        """`manage.py ARGS` in a child process against the bench's services, as an operator would run it."""
        return subprocess.run(
            [sys.executable, str(self.root / "manage.py"), *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )


def log(message: str) -> None:
    """Progress goes to stderr so that stdout carries only the table."""
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), so p95 of 15 samples is meaningful."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def slope(values: Sequence[float]) -> float:
    """Least-squares growth per step of a series (how much each further call costs more than the last)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    return sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / sum(
        (i - mean_x) ** 2 for i in range(n)
    )


def machine_info(postgres_version: str) -> dict[str, Any]:
    """What the figures were measured on; results are only comparable on similar machines."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024**2, 1)
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres_version,
    }


def git_revision(root: Path) -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{rev}{'+dirty' if dirty else ''}"


def render_table(rows: Sequence[Row], *, title: str, footer: str) -> str:
    headers = ("Module", "Figure", "Value", "Target", "Result", "Notes")
    cells = [(r.module, r.figure, r.shown_value(), r.target, r.result(), r.note) for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers[:-1])]

    def line(values: Sequence[str]) -> str:
        left = "  ".join(
            v.rjust(w) if i == 2 else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=False))
        )
        return f"{left}  {values[-1]}".rstrip()

    rule = "-" * (sum(widths) + 2 * len(widths) + len(headers[-1]))
    return "\n".join([title, rule, line(headers), rule, *(line(c) for c in cells), rule, footer])


def write_results(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def rows_as_json(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [{**asdict(r), "result": r.result() or None} for r in rows]
