"""Imports of units and staff, on the catalogue's import framework (tenants.catalog.imports).

Units: rows may come in any order (a parent further down the file is fine); a code that exists is updated
(and moved with its whole subtree when its parent changes); an empty region code takes the parent's.
Staff: units must exist first; a 工号 that exists is updated; a window code starts an assignment at that
window from 上岗日期 (the previous open one ends the day before); 离职 needs a 离职日期 and ends open
assignments that day; an empty window cell leaves assignments as they are.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.entitlements import entitlement_check
from tenants.accounts.roles import Perm
from tenants.catalog.imports.columns import Column, choice_column
from tenants.catalog.imports.spec import ImportSpec, Row
from tenants.catalog.models import ImportKind
from tenants.organisation.models import Staff, Unit, UnitKind, WindowAssignment
from tenants.organisation.services import COUNTED_UNIT_KINDS, region_code_problem, unit_move_subtree

UNIT_KIND_NAMES = {
    UnitKind.DEPARTMENT: ("部门", "单位", "委办局"),
    UnitKind.HALL: ("大厅", "政务服务大厅", "办事大厅"),
    UnitKind.CENTRE: ("中心", "政务服务中心", "服务中心"),
    UnitKind.STATION: ("站点", "服务站", "便民服务站"),
    UnitKind.WINDOW: ("窗口",),
    UnitKind.SERVICE_POINT: ("服务点", "便民服务点", "代办点"),
}
UNIT_FIELDS = ("name", "kind", "parent_id", "region_code", "active")


def _chunked(values: list, size: int = 5000) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class UnitImport(ImportSpec):
    kind = ImportKind.UNITS
    title = gettext_lazy("Units")
    sheet_title = "机构"
    permission = Perm.MANAGE_ORGANISATION
    export_permission = Perm.READ_CATALOG
    columns = (
        Column(
            "code",
            "单位编码",
            gettext_lazy("Unique code of the unit"),
            required=True,
            max_length=64,
            example="H01",
        ),
        Column(
            "name",
            "单位名称",
            gettext_lazy("Name"),
            required=True,
            max_length=200,
            example="市民中心政务服务大厅",
        ),
        choice_column(
            "kind",
            "单位类型",
            UNIT_KIND_NAMES,
            help=gettext_lazy("Kind of unit"),
            required=True,
            example="大厅",
        ),
        Column(
            "parent",
            "上级单位编码",
            gettext_lazy("Code of the unit above (empty for a top unit)"),
            max_length=64,
            example="D01",
        ),
        Column(
            "region_code",
            "行政区划代码",
            gettext_lazy("GB/T 2260 region code, 6, 9 or 12 digits; empty takes the parent's"),
            max_length=12,
            example="130102",
        ),
        Column(
            "active",
            "是否启用",
            gettext_lazy("是 or 否; empty means 是"),
            kind="bool",
            default=True,
            example="是",
        ),
    )
    notes = (
        gettext_lazy("Rows may come in any order: a parent can be further down the file."),
        gettext_lazy("A code that exists updates that unit; a new parent moves it with everything below it."),
        gettext_lazy("A window cannot contain other units."),
    )

    def new_state(self, job) -> dict:
        # code → (row number, parent code, kind, region code) of the file's readable rows
        return {
            "job": job,
            "file": {},
            "bad": set(),
            "rows": [],
            "counts": dict.fromkeys(("created", "updated", "moved", "unchanged"), 0),
        }

    def check(self, rows: list[Row], state: dict) -> None:
        for row in rows:
            code, parent = row.values.get("code"), row.values.get("parent")
            if code and code in state["file"]:
                row.fail(self.column("code"), _("also on row %(n)s") % {"n": state["file"][code][0]})
                continue
            if code and parent == code:
                row.fail(self.column("parent"), _("a unit cannot be its own parent"))
            if problem := region_code_problem(row.values.get("region_code") or ""):
                row.fail(self.column("region_code"), problem)
            if code:
                state["file"][code] = (row.number, parent or "", row.values.get("kind"), row.errors == [])
                if row.errors:
                    state["bad"].add(code)

    def finish_check(self, state: dict) -> dict[int, list[str]]:
        db = {
            code: (parent or "", kind, pk)
            for code, parent, kind, pk in Unit.objects.values_list("code", "parent__code", "kind", "pk")
        }
        with_devices = set(Unit.objects.filter(devices__isnull=False).values_list("code", flat=True))
        file = state["file"]
        errors: dict[int, list[str]] = {}

        def fail(code: str, message: str) -> None:
            errors.setdefault(file[code][0], []).append(message)

        def parent_of(code: str) -> str:
            return file[code][1] if code in file else db.get(code, ("", None, None))[0]

        def kind_of(code: str):
            return file[code][2] if code in file else db.get(code, ("", None, None))[1]

        parent_header, kind_header = self.column("parent").header, self.column("kind").header
        children_in_db: dict[str, list[str]] = {}
        for child, (parent, _kind, _pk) in db.items():
            if parent:
                children_in_db.setdefault(parent, []).append(child)
        for code, (_number, parent, kind, readable) in file.items():
            if not readable:
                continue
            if parent and parent not in file and parent not in db:
                fail(code, f"{parent_header}：" + _("no unit has the code “%(code)s”") % {"code": parent})
            elif parent and kind_of(parent) == UnitKind.WINDOW:
                fail(code, f"{parent_header}：" + _("a window cannot contain other units"))
            if kind == UnitKind.WINDOW and code in db and db[code][1] != UnitKind.WINDOW:
                staying = [c for c in children_in_db.get(code, []) if parent_of(c) == code]
                if staying:
                    fail(code, f"{kind_header}：" + _("a unit with sub-units cannot become a window"))
            if code in with_devices and kind != UnitKind.WINDOW:
                fail(code, f"{kind_header}：" + _("this window has rating devices; it must stay a window"))
        # Loops: walk up from every file unit along the parents as they will be after the import.
        for code, (_number, _parent, _kind, readable) in file.items():
            if not readable:
                continue
            seen, current = {code}, parent_of(code)
            while current:
                if current in seen:
                    fail(code, f"{parent_header}：" + _("this would make a loop of units"))
                    break
                seen.add(current)
                current = parent_of(current)
        # A unit whose parent's row is wrong cannot be imported either (valid-only mode).
        bad = set(state["bad"]) | {c for c in file if file[c][0] in errors}
        changed = True
        while changed:
            changed = False
            for code, (number, parent, _kind, _readable) in file.items():
                if code not in bad and parent in bad:
                    bad.add(code)
                    errors.setdefault(number, []).append(
                        f"{parent_header}："
                        + _("the row of unit “%(code)s” (row %(n)s) has errors")
                        % {"code": parent, "n": file[parent][0]}
                    )
                    changed = True
        return errors

    def write(self, rows: list[Row], state: dict) -> None:
        # Units are few (tens of thousands at most) and need a whole-file view to order parents first.
        state["rows"].extend(row.values for row in rows)

    def finish_write(self, state: dict) -> dict:
        counts, rows = state["counts"], {v["code"]: v for v in state["rows"]}
        codes = list(rows) + [v["parent"] for v in rows.values() if v["parent"]]
        existing = {}
        for chunk in _chunked(sorted(set(codes))):
            existing.update({u.code: u for u in Unit.objects.select_for_update().filter(code__in=chunk)})
        _check_plan(rows, existing)
        order = _parents_first(rows)
        new_codes = [c for c in order if c not in existing]
        ids = _allocate_ids(len(new_codes))
        pk = {c: existing[c].pk for c in existing} | dict(zip(new_codes, ids, strict=True))
        path, region = (
            {c: u.path for c, u in existing.items()},
            {c: u.region_code for c, u in existing.items()},
        )
        target_path = {}
        for code in order:
            v = rows[code]
            parent = v["parent"] or None
            target_path[code] = f"{(target_path.get(parent) or path[parent]) if parent else '/'}{pk[code]}/"
            region[code] = v["region_code"] or (region.get(parent, "") if parent else "")
        # Moves first (rewriting whole subtrees, including units not in the file), parents before children.
        current = dict(path)
        for code in order:
            if code in existing and current[code] != target_path[code]:
                old = current[code]
                unit_move_subtree(existing[code], target_path[code])
                for other, value in current.items():
                    if value.startswith(old):
                        current[other] = target_path[code] + value[len(old) :]
                counts["moved"] += 1
        new_units = [
            Unit(
                pk=pk[c],
                code=c,
                name=rows[c]["name"],
                kind=rows[c]["kind"],
                parent_id=pk[rows[c]["parent"]] if rows[c]["parent"] else None,
                path=target_path[c],
                region_code=region[c],
                active=rows[c]["active"],
            )
            for c in new_codes
        ]
        Unit.objects.bulk_create(new_units, batch_size=2000)
        counts["created"] = len(new_units)
        changed = []
        for code, unit in existing.items():
            if code not in rows:
                continue
            v = rows[code]
            values = {
                "name": v["name"],
                "kind": v["kind"],
                "parent_id": pk[v["parent"]] if v["parent"] else None,
                "region_code": region[code],
                "active": v["active"],
            }
            if any(getattr(unit, f) != values[f] for f in UNIT_FIELDS):
                for field, value in values.items():
                    setattr(unit, field, value)
                changed.append(unit)
        Unit.objects.bulk_update(changed, list(UNIT_FIELDS), batch_size=500)
        counts["updated"] = len(changed)
        counts["unchanged"] = len(rows) - len(new_units) - len(changed)
        return counts

    def export_values(self) -> Iterator[dict]:
        for unit in Unit.objects.select_related("parent").order_by("path").iterator(chunk_size=2000):
            yield {
                "code": unit.code,
                "name": unit.name,
                "kind": unit.kind,
                "parent": unit.parent.code if unit.parent else "",
                "region_code": unit.region_code,
                "active": unit.active,
            }


def _check_plan(rows: dict[str, dict], existing: dict[str, Unit]) -> None:
    """The whole file against the plan's hall and window limits, before anything is written: the active halls
    and windows it adds (new, reactivated, or changed into one) less those it deactivates or changes away.
    Over a limit, the import fails as a whole with the plan's message (import_job_run records it)."""
    for kind, feature in COUNTED_UNIT_KINDS.items():
        before = {c for c, u in existing.items() if c in rows and u.active and u.kind == kind}
        after = {c for c, v in rows.items() if v["active"] and v["kind"] == kind}
        adding = len(after - before) - len(before - after)
        if adding > 0:
            entitlement_check(feature=feature, adding=adding)


def _parents_first(rows: dict[str, dict]) -> list[str]:
    order, placed = [], set()
    for code in rows:
        chain = []
        current = code
        while current in rows and current not in placed and current not in chain:
            chain.append(current)
            current = rows[current]["parent"]
        for c in reversed(chain):
            placed.add(c)
            order.append(c)
    return order


def _allocate_ids(n: int) -> list[int]:
    """Primary keys for new units before inserting them, so that their paths are written in one go."""
    if not n:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Unit._meta.db_table, n],
        )
        return [r[0] for r in cursor.fetchall()]


class StaffImport(ImportSpec):
    kind = ImportKind.STAFF
    title = gettext_lazy("Staff")
    sheet_title = "工作人员"
    permission = Perm.MANAGE_ORGANISATION
    columns = (
        Column(
            "staff_no",
            "工号",
            gettext_lazy("Staff number, unique"),
            required=True,
            max_length=32,
            example="S001",
        ),
        Column("name", "姓名", gettext_lazy("Name"), required=True, max_length=100, example="张敏"),
        Column(
            "unit",
            "所属单位编码",
            gettext_lazy("Code of the unit the person belongs to"),
            required=True,
            max_length=64,
            example="H01",
        ),
        Column(
            "window",
            "当前窗口编码",
            gettext_lazy("Code of the window the person works at now"),
            max_length=64,
            example="W01",
        ),
        Column(
            "window_from",
            "上岗日期",
            gettext_lazy("Since when at that window (empty: today)"),
            kind="date",
            example="2025-03-01",
        ),
        Column(
            "active",
            "在职状态",
            gettext_lazy("在职 or 离职; empty means 在职"),
            kind="bool",
            default=True,
            display={True: "在职", False: "离职"},
            example="在职",
        ),
        Column(
            "left_on", "离职日期", gettext_lazy("Date of leaving (needed for 离职)"), kind="date", example=""
        ),
    )
    notes = (
        gettext_lazy("Import the units first: every unit and window code must exist."),
        gettext_lazy(
            "A 工号 that exists updates that person. A window starts an assignment there from 上岗日期; the "
            "previous one ends the day before. An empty window leaves the assignments as they are."
        ),
    )

    def new_state(self, job) -> dict:
        return {
            "job": job,
            "seen": {},
            "counts": dict.fromkeys(("created", "updated", "unchanged", "assigned", "left"), 0),
        }

    def check(self, rows: list[Row], state: dict) -> None:
        today = timezone.localdate()
        codes = {r.values.get("unit") for r in rows} | {r.values.get("window") for r in rows}
        kinds = dict(Unit.objects.filter(code__in=codes - {None, ""}).values_list("code", "kind"))
        numbers = [r.values["staff_no"] for r in rows if r.values.get("staff_no")]
        open_at = {
            a.staff.staff_no: a
            for a in WindowAssignment.objects.filter(
                staff__staff_no__in=numbers, ends_on__isnull=True
            ).select_related("staff", "window")
        }
        for row in rows:
            v = row.values
            number = v.get("staff_no")
            if number:
                first = state["seen"].setdefault(number, row.number)
                if first != row.number:
                    row.fail(self.column("staff_no"), _("also on row %(n)s") % {"n": first})
            if v.get("unit") and v["unit"] not in kinds:
                row.fail(self.column("unit"), _("no unit has the code “%(code)s”") % {"code": v["unit"]})
            window = v.get("window")
            if window and kinds.get(window) != UnitKind.WINDOW:
                row.fail(self.column("window"), _("no window has the code “%(code)s”") % {"code": window})
            if v.get("active") is False and not v.get("left_on"):
                row.fail(self.column("left_on"), _("give the date of leaving"))
            if v.get("active") is True and v.get("left_on"):
                row.fail(self.column("left_on"), _("only for staff who left (离职)"))
            current = open_at.get(number)
            starts = v.get("window_from") or today
            if window and current and current.window.code != window and starts <= current.starts_on:
                row.fail(
                    self.column("window_from"),
                    _("must be after %(date)s, when the current assignment at %(window)s began")
                    % {"date": current.starts_on.isoformat(), "window": current.window.code},
                )

    def write(self, rows: list[Row], state: dict) -> None:
        counts, today = state["counts"], timezone.localdate()
        codes = {r.values["unit"] for r in rows} | {r.values["window"] for r in rows if r.values["window"]}
        units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
        existing = {
            s.staff_no: s
            for s in Staff.objects.select_for_update().filter(
                staff_no__in=[r.values["staff_no"] for r in rows]
            )
        }
        open_at = {
            a.staff_id: a
            for a in WindowAssignment.objects.filter(
                staff_id__in=[s.pk for s in existing.values()], ends_on__isnull=True
            )
        }
        new_staff, changed, plans = [], [], []
        for row in rows:
            v = row.values
            values = {
                "name": v["name"],
                "unit_id": units[v["unit"]].pk,
                "active": v["active"],
                "left_on": v["left_on"] if not v["active"] else None,
            }
            staff = existing.get(v["staff_no"])
            if staff is None:
                staff = Staff(staff_no=v["staff_no"], **values)
                new_staff.append(staff)
                counts["created"] += 1
            elif any(getattr(staff, f) != values[f] for f in values):
                for field, value in values.items():
                    setattr(staff, field, value)
                changed.append(staff)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
            plans.append((staff, v))
        Staff.objects.bulk_create(new_staff)
        Staff.objects.bulk_update(changed, ["name", "unit_id", "active", "left_on"], batch_size=500)
        new_assignments, closed = [], []
        for staff, v in plans:
            current = open_at.get(staff.pk)
            window = units.get(v["window"]) if v["window"] else None
            if window is not None and v["active"] and (current is None or current.window_id != window.pk):
                starts = v["window_from"] or today
                if current is not None:
                    current.ends_on = starts - timedelta(days=1)
                    closed.append(current)
                new_assignments.append(WindowAssignment(staff=staff, window=window, starts_on=starts))
                counts["assigned"] += 1
            elif not v["active"] and current is not None:
                current.ends_on = v["left_on"]
                closed.append(current)
                counts["left"] += 1
        WindowAssignment.objects.bulk_update(closed, ["ends_on"], batch_size=500)
        WindowAssignment.objects.bulk_create(new_assignments)

    def export_values(self) -> Iterator[dict]:
        open_at = {
            a.staff_id: a
            for a in WindowAssignment.objects.filter(ends_on__isnull=True).select_related("window")
        }
        for staff in Staff.objects.select_related("unit").order_by("staff_no").iterator(chunk_size=2000):
            current = open_at.get(staff.pk)
            yield {
                "staff_no": staff.staff_no,
                "name": staff.name,
                "unit": staff.unit.code,
                "window": current.window.code if current else "",
                "window_from": current.starts_on if current else None,
                "active": staff.active,
                "left_on": staff.left_on,
            }
