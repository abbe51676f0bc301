"""Tenant provisioning and the no-op migrate, at 10, 100 and 1,000 existing tenants.

Why: a tenant is born from the migrated `tenant_template` schema (tenants.services.tenant_provision, whose
template_clone replays the template's stored snapshot, or runs django-tenants' clone_schema when there is
none) on the bet that this beats running the migrations and stays fast as tenants pile up; and
migrate_schemas finds the schemas that are behind in one query instead of visiting each. Both bets only
show at scale.

Measured in one run, on one database that grows: at each level, provisions through tenant_provision (each
on a fresh DB session, as a web request gets one) beside provisions of the same tenant whose schema is
built by running the migrations instead, and by the clone_schema fallback; then `manage.py migrate_schemas`
with nothing to migrate, and django-tenants' visit-every-schema behaviour (`--all-schemas`) for comparison.
Diagnostics of the fallback: django-tenants' CloneSchema re-creates its SQL function on every call, which
costs time per call and slows a session that provisions repeatedly; and the production password hash that
the test settings leave out.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from unittest import mock

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.clone import CloneSchema

from bench.core import Context, Row, log, percentile, slope, timed
from bench.tenancy import TenantFiller, drop_tenants, tenant_count

PROVISION_TARGET_S = 0.5
NOOP_MIGRATE_TARGET_S = 30.0
ALL_SCHEMAS_MAX_S = 180.0  # the comparison run is stopped and extrapolated beyond this
RESERVE_S = 40.0  # left for what follows and for stopping the services
PROGRESS = re.compile(r"\[(\d+)/(\d+) \(\d+%\) ")
# tenant_provision builds the new schema with template_clone(slug); the comparisons swap it out here.
SCHEMA_BUILDER = "tenants.services.template_clone"

SchemaBuilder = Callable[[str], None]


class _Sizes:
    def __init__(self, quick: bool) -> None:
        self.levels = (5, 30) if quick else (10, 100, 1000)
        self.samples = 4 if quick else 15  # tenant_provision as it is, per level
        self.other_samples = 2 if quick else 5  # per other schema builder, per level
        self.diagnostic_samples = (
            3 if quick else 6
        )  # clone_schema with the function installed once, top level
        self.back_to_back = 4 if quick else 10  # clone_schema provisions on one session, first level


# --- schema builders that stand in for template_clone inside tenant_provision ----------------------------


def build_by_migrating(schema: str) -> None:
    """Every tenant migration run in a new schema, as django-tenants does without a template."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=0)


def build_by_clone_schema(schema: str) -> None:
    """django-tenants' clone_schema, template_clone's fallback when no snapshot matches the template."""
    CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, schema, set_connection=False)


class CloneWithFunctionOnce(CloneSchema):
    """Proposed fix for the fallback: install the clone_schema() SQL function when missing, not every call."""

    def _create_clone_schema_function(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS(SELECT 1 FROM pg_proc WHERE proname = 'clone_schema' "
                "AND pronamespace = 'public'::regnamespace)"
            )
            if cursor.fetchone()[0]:
                return
        super()._create_clone_schema_function()


def build_by_clone_schema_function_once(schema: str) -> None:
    CloneWithFunctionOnce().clone_schema(settings.TENANT_BASE_SCHEMA, schema, set_connection=False)


class Provisioner:
    """Provisions numbered tenants through tenant_provision, optionally with another schema builder."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self._serial = 0

    def provision(
        self, prefix: str, builder: SchemaBuilder | None = None, *, fresh_session: bool = True
    ) -> float:
        """Seconds for one tenant_provision call (the session reset before it is not timed)."""
        from tenants.accounts.actors import Actor
        from tenants.services import tenant_provision

        self._serial += 1
        slug = f"{prefix}{self._serial:05d}"
        if fresh_session:
            connection.close()

        def call() -> None:
            tenant_provision(
                actor=Actor.system("bench"),
                slug=slug,
                name=f"基准租户 {slug}",
                kind="agency",
                region_code="110000",
                admin_email=f"admin@{slug}.example",
            )

        if builder is None:
            seconds = timed(call)
        else:
            with mock.patch(SCHEMA_BUILDER, builder):
                seconds = timed(call)
        self.created.append(slug)
        return seconds

    def series(
        self, n: int, prefix: str, builder: SchemaBuilder | None = None, *, fresh_session: bool = True
    ) -> list[float]:
        return [self.provision(prefix, builder, fresh_session=fresh_session) for _ in range(n)]


# --- the benchmark -------------------------------------------------------------------------------------


def run(ctx: Context) -> list[Row]:
    from tenants.services import control_plane_ensure, tenant_template_ensure

    sizes = _Sizes(ctx.quick)
    control_plane_ensure()
    tenant_template_ensure()
    filler, provisioner = TenantFiller(), Provisioner()
    if not ctx.embedded:
        ctx.at_exit(lambda: drop_tenants(filler.created + provisioner.created))
    path = "template snapshot" if _snapshot_in_use() else "NO snapshot: clone_schema"
    details: dict = ctx.details.setdefault(
        "tenants", {"levels": {}, "diagnostics": {}, "provision_path": path}
    )
    rows: list[Row] = []

    for level in sizes.levels:
        fill = filler.fill_to(level)
        existing = tenant_count()
        log(
            f"{existing} tenants (+{fill.created} background in {fill.seconds:.1f} s); provisioning samples …"
        )
        load = os.getloadavg()[0]
        provision = provisioner.series(sizes.samples, "pt")
        migrate = provisioner.series(sizes.other_samples, "pm", build_by_migrating)
        clone = provisioner.series(sizes.other_samples, "pc", build_by_clone_schema)
        top = level == sizes.levels[-1]
        p50, migrate_p50 = percentile(provision, 50), statistics.median(migrate)
        details["levels"][existing] = {
            "provision_s": provision,
            "migrate_s": migrate,
            "clone_schema_s": clone,
            "fill_created": fill.created,
            "fill_s": fill.seconds,
            "loadavg_1min_before": load,
        }
        rows += [
            Row(
                f"provision p50 @ {existing} tenants",
                p50,
                target=f"≤ {PROVISION_TARGET_S:g} s" if top else "",
                passed=(p50 <= PROVISION_TARGET_S) if top else None,
                note=f"tenant_provision as is ({path}), n={len(provision)}, fresh DB session each",
            ),
            Row(
                f"provision p95 @ {existing} tenants",
                percentile(provision, 95),
                note=f"max {max(provision):.3f} s",
            ),
            Row(
                f"provision by migrating p50 @ {existing}",
                migrate_p50,
                note=f"schema by CREATE SCHEMA + migrate_schemas --schema, n={len(migrate)}",
            ),
            Row(
                f"provision by clone_schema p50 @ {existing}",
                statistics.median(clone),
                note=f"schema by django-tenants' clone_schema (the fallback), n={len(clone)}",
            ),
            Row(
                f"migrating ÷ provision @ {existing}",
                migrate_p50 / p50,
                unit="x",
                target="> 1× (faster)" if top else "",
                passed=(migrate_p50 > p50) if top else None,
                note="p50 by migrating ÷ p50 as is",
            ),
        ]
        if fill.created:
            rows.append(
                Row(
                    f"fill: +{fill.created} background tenants",
                    fill.seconds,
                    note="template_clone + bulk Tenant/Domain rows, 2 sessions in parallel (bench/tenancy.py)",
                )
            )

        if level == sizes.levels[0]:
            rows += _session_leak(provisioner, sizes.back_to_back, existing, details)
        if top:
            rows += _clone_function_cost(provisioner, sizes.diagnostic_samples, existing, clone, details)
            rows.append(_password_hash_cost(details))

    rows += _noop_migrate(ctx, details)
    return rows


def _snapshot_in_use() -> bool:
    """Whether tenant_provision will replay the template snapshot (rather than fall back to clone_schema)."""
    try:
        from tenants.template import template_script_for
    except ImportError:
        return False
    return template_script_for("probe") is not None


def _session_leak(provisioner: Provisioner, n: int, existing: int, details: dict) -> list[Row]:
    """clone_schema back to back on one DB session: re-creating the SQL function makes each call slower."""
    log("diagnostics: clone_schema back to back on one session …")
    connection.close()
    chained = provisioner.series(n, "pb", build_by_clone_schema, fresh_session=False)
    connection.close()
    chained_once = provisioner.series(n, "pq", build_by_clone_schema_function_once, fresh_session=False)
    details["diagnostics"]["one_session_s"] = chained
    details["diagnostics"]["one_session_function_once_s"] = chained_once
    return [
        Row(
            f"clone_schema ×{n} on one DB session @ {existing}",
            slope(chained) * 1000,
            unit="ms",
            note=f"growth per provision (least squares), function re-created each call; "
            f"first {chained[0]:.3f} s, last {chained[-1]:.3f} s",
        ),
        Row(
            f"clone_schema ×{n} on one session, fix @ {existing}",
            slope(chained_once) * 1000,
            unit="ms",
            note=f"same, function installed once; first {chained_once[0]:.3f} s, last {chained_once[-1]:.3f} s",
        ),
    ]


def _clone_function_cost(
    provisioner: Provisioner, n: int, existing: int, as_is: list[float], details: dict
) -> list[Row]:
    """What django-tenants' CloneSchema spends re-creating its SQL function on every call, at the top level."""
    log("diagnostics: clone_schema function re-creation …")
    connection.close()
    recreate = [timed(CloneSchema()._create_clone_schema_function) for _ in range(5)]
    once = provisioner.series(n, "po", build_by_clone_schema_function_once)
    details["diagnostics"].update(create_function_s=recreate, clone_schema_function_once_s=once)
    return [
        Row(
            f"clone_schema: function re-created per call @ {existing}",
            statistics.median(recreate) * 1000,
            unit="ms",
            note="CloneSchema._create_clone_schema_function, median of 5, warm session; "
            "plus a plpgsql compile on first use",
        ),
        Row(
            f"clone_schema, function installed once, p50 @ {existing}",
            percentile(once, 50),
            note=f"proposed fix for the fallback, simulated; n={len(once)}; "
            f"{percentile(as_is, 50):.3f} s as is (above)",
        ),
    ]


def _password_hash_cost(details: dict) -> Row:
    """The first admin's password hash: MD5 under the test settings the bench runs, PBKDF2 in production."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    hasher = PBKDF2PasswordHasher()
    seconds = statistics.median(timed(lambda: hasher.encode("x" * 16, hasher.salt())) for _ in range(3))
    details["diagnostics"]["pbkdf2_s"] = seconds
    return Row(
        "production password hash, per provision",
        seconds,
        note=f"PBKDF2 ({hasher.iterations:,} iterations); the bench's test settings use MD5, "
        "so add this to the provision figures for production",
    )


def _noop_migrate(ctx: Context, details: dict) -> list[Row]:
    """`manage.py migrate_schemas` with nothing to do, as a deploy runs it; then django-tenants' way."""
    from tenants.selectors import schemas_behind, tenant_schemas

    existing = tenant_count()
    figure, figure_all = (
        f"no-op migrate_schemas, {existing} tenants",
        f"no-op migrate_schemas --all-schemas, {existing}",
    )
    # Only meaningful with nothing to migrate: a migration added on disk during the run would turn the
    # "no-op" into migrating every schema.
    pending = schemas_behind([settings.TENANT_BASE_SCHEMA, *tenant_schemas()])
    if pending:
        why = f"NOT MEASURED: {len(pending)} schemas are behind the migrations on disk (changed during the run?)"
        return [Row(figure, None, note=why), Row(figure_all, None, note=why)]
    log(f"no-op migrate_schemas over {existing} tenants …")
    connection.close()
    timeout = max(NOOP_MIGRATE_TARGET_S, min(4 * NOOP_MIGRATE_TARGET_S, ctx.remaining() - RESERVE_S))
    output: list[str] = []
    try:
        seconds = timed(
            lambda: output.append(ctx.manage("migrate_schemas", "--noinput", timeout=timeout).stdout)
        )
    except subprocess.TimeoutExpired:
        return [
            Row(
                figure,
                None,
                target=f"≤ {NOOP_MIGRATE_TARGET_S:g} s",
                passed=False,
                note=f"killed after {timeout:.0f} s",
            ),
            Row(figure_all, None, note="skipped"),
        ]
    found = re.search(r"(\d+) of (\d+) tenant schemas need migrations", output[0])
    behind, schemas = (int(found[1]), int(found[2])) if found else (None, None)
    details["noop_migrate"] = {"seconds": seconds, "behind": behind, "schemas": schemas}
    return [
        Row(
            figure,
            seconds,
            target=f"≤ {NOOP_MIGRATE_TARGET_S:g} s",
            passed=seconds <= NOOP_MIGRATE_TARGET_S and behind == 0,
            note=f"manage.py subprocess; {behind} of {schemas} schemas behind",
        ),
        _all_schemas(ctx, figure_all, ours=seconds, details=details),
    ]


def _all_schemas(ctx: Context, figure: str, *, ours: float, details: dict) -> Row:
    """django-tenants' own no-op migrate, which runs Django's migrate in every schema in turn.

    It is followed schema by schema from its progress lines; if it would overrun the time left, it is
    stopped and its total extrapolated from the pace it kept, and the row says so.
    """
    allowance = min(ALL_SCHEMAS_MAX_S, ctx.remaining() - RESERVE_S)
    if allowance < 30:
        return Row(figure, None, note="skipped: the time budget is spent")
    log(f"migrate_schemas --all-schemas (at most {allowance:.0f} s) …")
    connection.close()
    command = [sys.executable, str(ctx.root / "manage.py"), "migrate_schemas", "--noinput", "--all-schemas"]
    start = time.perf_counter()
    progress: list[tuple[int, int, float]] = []  # (schema number, schema count, seconds since start)
    with subprocess.Popen(
        command,
        env={**ctx.env, "PYTHONUNBUFFERED": "1"},
        cwd=ctx.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as child:
        try:
            for line in child.stdout:
                found = PROGRESS.search(line)
                if found and "Starting migration" in line:
                    progress.append((int(found[1]), int(found[2]), time.perf_counter() - start))
                if time.perf_counter() - start > allowance:
                    break
        finally:
            if child.poll() is None:
                child.terminate()
            child.wait()
    elapsed = time.perf_counter() - start
    details["all_schemas"] = {"seconds": elapsed, "exit": child.returncode, "last_progress": progress[-1:]}
    if child.returncode == 0:
        return Row(
            figure,
            elapsed,
            note=f"django-tenants' visit-every-schema path, measured; {elapsed / ours:.0f}× ours",
        )
    if len(progress) < 3:
        return Row(figure, None, note=f"stopped after {elapsed:.0f} s, too little progress to extrapolate")
    (first, count, t_first), (last, _count, t_last) = progress[0], progress[-1]
    pace = (t_last - t_first) / (last - first)
    projected = t_first + pace * (count - first + 1)
    details["all_schemas"].update(pace_s=pace, projected_s=projected)
    return Row(
        figure,
        projected,
        note=f"EXTRAPOLATED: stopped at schema {last}/{count} after {elapsed:.0f} s, {pace:.3f} s/schema; "
        f"≈{projected / ours:.0f}× ours",
    )
