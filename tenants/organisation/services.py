"""Writes on the organisation: units, staff (with window assignments over time), platforms and rating
devices."""

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from billing.entitlements import entitlement_check
from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import api_key_create, audit_record
from tenants.organisation.models import (
    Device,
    Membership,
    Platform,
    PlatformKind,
    Staff,
    Unit,
    UnitKind,
    WindowAssignment,
)

# GB/T 2260 county (6 digits), township (9) or village/community (12) codes.
REGION_CODE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")
# Active units of these kinds count against the plan (billing.entitlements).
COUNTED_UNIT_KINDS = {UnitKind.HALL: "halls", UnitKind.WINDOW: "windows"}


def region_code_problem(region_code: str) -> str | None:
    if region_code and not REGION_CODE.match(region_code):
        return _("A region code has 6, 9 or 12 digits (GB/T 2260).")
    return None


def _check_code(model, code: str, *, field: str = "code", exclude: int | None = None, max_length: int = 64):
    if not (code or "").strip() or len(code) > max_length:
        raise ValidationError({field: [_("Give a code of 1–%(n)s characters.") % {"n": max_length}]})
    if model.objects.filter(**{field: code}).exclude(pk=exclude).exists():
        raise ValidationError({field: [_("The code “%(code)s” is already used.") % {"code": code}]})


def _check_name(name: str, max_length: int) -> None:
    if not (name or "").strip() or len(name) > max_length:
        raise ValidationError({"name": [_("Give a name of 1–%(n)s characters.") % {"n": max_length}]})


# --- units ---------------------------------------------------------------------------------------------
@transaction.atomic
def unit_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    region_code: str = "",
) -> Unit:
    if kind not in UnitKind.values:
        raise ValidationError({"kind": [_("Unknown unit kind “%(kind)s”.") % {"kind": kind}]})
    if parent is not None and parent.kind == UnitKind.WINDOW:
        raise ValidationError({"parent": [_("A window cannot contain other units.")]})
    if Unit.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("Unit code “%(code)s” is already used.") % {"code": code}]})
    _check_name(name, 200)
    if problem := region_code_problem(region_code):
        raise ValidationError({"region_code": [problem]})
    if kind in COUNTED_UNIT_KINDS:
        entitlement_check(feature=COUNTED_UNIT_KINDS[kind])
    unit = Unit.objects.create(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        region_code=region_code or (parent.region_code if parent else ""),
    )
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_record(actor=actor, action="unit.create", target=unit, data={"code": code, "kind": kind})
    return unit


def unit_move_subtree(unit: Unit, new_path: str) -> None:
    """Rewrite the materialised path of a unit and all below it in one statement."""
    old_path = unit.path
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1))
    )
    unit.path = new_path


@transaction.atomic
def unit_update(*, actor: Actor, unit: Unit, **changes) -> Unit:
    """Change a unit: code, name, kind, parent, region code, active. Moving it moves its whole subtree."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    fields = ("code", "name", "kind", "parent", "region_code", "active")
    values = {f: getattr(unit, f) for f in fields}
    values.update({k: v for k, v in changes.items() if k in fields})
    _check_code(Unit, values["code"], exclude=unit.pk)
    _check_name(values["name"], 200)
    if values["kind"] not in UnitKind.values:
        raise ValidationError({"kind": [_("Unknown unit kind “%(kind)s”.") % {"kind": values["kind"]}]})
    if values["kind"] == UnitKind.WINDOW and unit.children.exists():
        raise ValidationError({"kind": [_("A unit with sub-units cannot become a window.")]})
    if values["kind"] != UnitKind.WINDOW and unit.kind == UnitKind.WINDOW and unit.devices.exists():
        raise ValidationError({"kind": [_("This window has rating devices; it must stay a window.")]})
    parent = values["parent"]
    if parent is not None:
        if parent.kind == UnitKind.WINDOW:
            raise ValidationError({"parent": [_("A window cannot contain other units.")]})
        if parent.pk == unit.pk or parent.path.startswith(unit.path):
            raise ValidationError({"parent": [_("A unit cannot be placed under itself or its sub-units.")]})
    if problem := region_code_problem(values["region_code"]):
        raise ValidationError({"region_code": [problem]})
    changed = sorted(f for f in fields if values[f] != getattr(unit, f))
    if not changed:
        return unit
    counted = COUNTED_UNIT_KINDS.get(values["kind"])
    if counted and values["active"] and not (unit.active and unit.kind == values["kind"]):
        entitlement_check(feature=counted)  # reactivated, or became a hall or a window
    if "parent" in changed:
        unit_move_subtree(unit, f"{parent.path if parent else '/'}{unit.pk}/")
    for field, value in values.items():
        setattr(unit, field, value)
    unit.save()
    audit_record(actor=actor, action="unit.update", target=unit, data={"changed": changed})
    return unit


# --- staff ---------------------------------------------------------------------------------------------
@transaction.atomic
def staff_create(*, actor: Actor, staff_no: str, name: str, unit: Unit) -> Staff:
    if Staff.objects.filter(staff_no=staff_no).exists():
        raise ValidationError({"staff_no": [_("Staff number “%(no)s” is already used.") % {"no": staff_no}]})
    _check_code(Staff, staff_no, field="staff_no", max_length=32)
    _check_name(name, 100)
    staff = Staff.objects.create(staff_no=staff_no, name=name, unit=unit)
    audit_record(actor=actor, action="staff.create", target=staff, data={"staff_no": staff_no})
    return staff


@transaction.atomic
def staff_update(*, actor: Actor, staff: Staff, **changes) -> Staff:
    """工号, name, unit. Leaving and returning go through staff_leave / staff_return."""
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    fields = ("staff_no", "name", "unit")
    values = {f: getattr(staff, f) for f in fields}
    values.update({k: v for k, v in changes.items() if k in fields})
    _check_code(Staff, values["staff_no"], field="staff_no", exclude=staff.pk, max_length=32)
    _check_name(values["name"], 100)
    changed = sorted(f for f in fields if values[f] != getattr(staff, f))
    if changed:
        for field, value in values.items():
            setattr(staff, field, value)
        staff.save()
        audit_record(actor=actor, action="staff.update", target=staff, data={"changed": changed})
    return staff


@transaction.atomic
def staff_assign(
    *, actor: Actor, staff: Staff, window: Unit, starts_on: date, ends_on: date | None = None
) -> WindowAssignment:
    """Put a member of staff at a window from a date. An open assignment that began earlier ends the day
    before; any other overlap is refused (one window at a time)."""
    if window.kind != UnitKind.WINDOW:
        raise ValidationError({"window": [_("Staff are assigned to windows.")]})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": [_("The end cannot be before the start.")]})
    if not staff.active:
        raise ValidationError({"staff": [_("This member of staff has left.")]})
    Staff.objects.select_for_update().filter(pk=staff.pk).first()
    open_before = staff.assignments.filter(ends_on__isnull=True, starts_on__lt=starts_on)
    for assignment in open_before:
        assignment.ends_on = starts_on - timedelta(days=1)
        assignment.save(update_fields=["ends_on"])
    far = date.max
    for other in staff.assignments.all():
        if other.starts_on <= (ends_on or far) and starts_on <= (other.ends_on or far):
            raise ValidationError(
                {
                    "starts_on": [
                        _("Overlaps the assignment at %(window)s from %(start)s.")
                        % {"window": other.window.name, "start": other.starts_on.isoformat()}
                    ]
                }
            )
    assignment = WindowAssignment.objects.create(
        staff=staff, window=window, starts_on=starts_on, ends_on=ends_on
    )
    audit_record(
        actor=actor,
        action="staff.assign",
        target=staff,
        data={"window": window.code, "from": starts_on.isoformat(), "until": ends_on and ends_on.isoformat()},
    )
    return assignment


@transaction.atomic
def assignment_end(*, actor: Actor, assignment: WindowAssignment, ends_on: date) -> WindowAssignment:
    if ends_on < assignment.starts_on:
        raise ValidationError({"ends_on": [_("The end cannot be before the start.")]})
    assignment.ends_on = ends_on
    assignment.save(update_fields=["ends_on"])
    audit_record(
        actor=actor,
        action="staff.assignment_end",
        target=assignment.staff,
        data={"window": assignment.window.code, "until": ends_on.isoformat()},
    )
    return assignment


@transaction.atomic
def staff_leave(*, actor: Actor, staff: Staff, left_on: date) -> Staff:
    """Mark a member of staff as left; open window assignments end that day. Past ratings keep them."""
    staff.active, staff.left_on = False, left_on
    staff.save(update_fields=["active", "left_on"])
    staff.assignments.filter(ends_on__isnull=True).update(ends_on=left_on)
    staff.assignments.filter(ends_on__gt=left_on, starts_on__lte=left_on).update(ends_on=left_on)
    audit_record(actor=actor, action="staff.leave", target=staff, data={"left_on": left_on.isoformat()})
    return staff


@transaction.atomic
def staff_return(*, actor: Actor, staff: Staff) -> Staff:
    staff.active, staff.left_on = True, None
    staff.save(update_fields=["active", "left_on"])
    audit_record(actor=actor, action="staff.return", target=staff)
    return staff


# --- platforms and devices ---------------------------------------------------------------------------------
@transaction.atomic
def platform_create(*, actor: Actor, code: str, name: str, kind: str) -> Platform:
    _check_code(Platform, code)
    _check_name(name, 200)
    if kind not in PlatformKind.values:
        raise ValidationError({"kind": [_("Unknown platform kind “%(kind)s”.") % {"kind": kind}]})
    platform = Platform.objects.create(code=code, name=name, kind=kind)
    audit_record(actor=actor, action="platform.create", target=platform, data={"code": code})
    return platform


@transaction.atomic
def platform_update(*, actor: Actor, platform: Platform, **changes) -> Platform:
    fields = ("code", "name", "kind", "active")
    values = {f: getattr(platform, f) for f in fields}
    values.update({k: v for k, v in changes.items() if k in fields})
    _check_code(Platform, values["code"], exclude=platform.pk)
    _check_name(values["name"], 200)
    if values["kind"] not in PlatformKind.values:
        raise ValidationError({"kind": [_("Unknown platform kind “%(kind)s”.") % {"kind": values["kind"]}]})
    changed = sorted(f for f in fields if values[f] != getattr(platform, f))
    if changed:
        for field, value in values.items():
            setattr(platform, field, value)
        platform.save()
        audit_record(actor=actor, action="platform.update", target=platform, data={"changed": changed})
    return platform


@transaction.atomic
def device_register(*, actor: Actor, code: str, name: str, window: Unit) -> tuple[Device, str]:
    """A rating pad at a window with its own API key (returned once, in plaintext)."""
    if window.kind != UnitKind.WINDOW:
        raise ValidationError({"window": [_("Devices are registered to windows.")]})
    _check_code(Device, code)
    _check_name(name, 200)
    # The device's key counts against the plan's device limit: api_key_create checks it (entitlement_check).
    key, plaintext = api_key_create(actor=actor, name=f"{window.name} · {name}"[:100], role=Role.DEVICE)
    device = Device.objects.create(code=code, name=name, window=window, api_key=key)
    audit_record(
        actor=actor, action="device.register", target=device, data={"code": code, "window": window.code}
    )
    return device, plaintext


@transaction.atomic
def membership_set(*, actor: Actor, user, unit: Unit, staff: Staff | None = None) -> Membership:
    """Place a staff account in a unit (and, for window staff, tie it to its Staff record)."""
    if staff is not None and Membership.objects.filter(staff=staff).exclude(user=user).exists():
        raise ValidationError({"staff": [_("This staff record already belongs to another account.")]})
    membership, _created = Membership.objects.update_or_create(
        user=user, defaults={"unit": unit, "staff": staff}
    )
    audit_record(
        actor=actor,
        action="membership.set",
        target=membership,
        data={"user": user.email, "unit": unit.code, "staff": staff.staff_no if staff else ""},
    )
    return membership
