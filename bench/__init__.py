"""Benchmark suite: `make bench` (`python -m bench`).

Every module `bench/bench_*.py` exposes `run(ctx: Context) -> list[Row]`; `python -m bench` starts its own
PostgreSQL and Redis, runs the modules in name order against them, prints one table and writes
bench/results.json. A new benchmark is a new module; see bench/core.py for Context and Row.
"""
