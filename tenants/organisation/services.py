"""Writes on the organisation: units, staff, platforms and rating devices."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Role
from tenants.accounts.services import api_key_create, audit_record
from tenants.organisation.models import Device, Platform, Staff, Unit, UnitKind


@transaction.atomic
def unit_create(*, actor: Actor, code: str, name: str, kind: str, parent: Unit | None = None,
                region_code: str = "") -> Unit:
    if kind not in UnitKind.values:
        raise ValidationError({"kind": [_("Unknown unit kind “%(kind)s”.") % {"kind": kind}]})
    if parent is not None and parent.kind == UnitKind.WINDOW:
        raise ValidationError({"parent": [_("A window cannot contain other units.")]})
    if Unit.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("Unit code “%(code)s” is already used.") % {"code": code}]})
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent,
                               region_code=region_code or (parent.region_code if parent else ""))
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_record(actor=actor, action="unit.create", target=unit, data={"code": code, "kind": kind})
    return unit


@transaction.atomic
def staff_create(*, actor: Actor, staff_no: str, name: str, unit: Unit) -> Staff:
    if Staff.objects.filter(staff_no=staff_no).exists():
        raise ValidationError({"staff_no": [_("Staff number “%(no)s” is already used.") % {"no": staff_no}]})
    staff = Staff.objects.create(staff_no=staff_no, name=name, unit=unit)
    audit_record(actor=actor, action="staff.create", target=staff, data={"staff_no": staff_no})
    return staff


@transaction.atomic
def platform_create(*, actor: Actor, code: str, name: str, kind: str) -> Platform:
    platform = Platform.objects.create(code=code, name=name, kind=kind)
    audit_record(actor=actor, action="platform.create", target=platform, data={"code": code})
    return platform


@transaction.atomic
def device_register(*, actor: Actor, code: str, name: str, window: Unit) -> tuple[Device, str]:
    """A rating pad at a window with its own API key (returned once, in plaintext)."""
    if window.kind != UnitKind.WINDOW:
        raise ValidationError({"window": [_("Devices are registered to windows.")]})
    key, plaintext = api_key_create(actor=actor, name=f"{window.name} · {name}", role=Role.DEVICE)
    device = Device.objects.create(code=code, name=name, window=window, api_key=key)
    audit_record(actor=actor, action="device.register", target=device, data={"code": code, "window": window.code})
    return device, plaintext
