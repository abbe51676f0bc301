"""Reads for the first-run set-up: the checklist (each step done when its data exists, or as the administrator
marked it) and what an invitation link is worth."""

import hashlib
from dataclasses import dataclass, field

from django.core import signing
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenants.setup.models import Invitation, SetupStep, StepState

TODO = "todo"


@dataclass(frozen=True)
class StepLink:
    label: Promise
    url: str


@dataclass(frozen=True)
class StepStatus:
    key: str
    title: Promise
    description: Promise
    links: list[StepLink]
    state: str  # done / skipped / todo
    auto_done: bool  # done because its data exists (it cannot be skipped then)
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def is_done(self) -> bool:
        return self.state == StepState.DONE


def _published_items() -> tuple[bool, str]:
    from tenants.catalog.models import ItemStatus, ServiceItem

    n = ServiceItem.objects.filter(status=ItemStatus.PUBLISHED).count()
    return n >= 1, _("%(n)s published service items") % {"n": n}


def _halls_and_windows() -> tuple[bool, str]:
    from tenants.organisation.models import Unit, UnitKind

    places = (UnitKind.HALL, UnitKind.CENTRE, UnitKind.STATION, UnitKind.SERVICE_POINT)
    halls = Unit.objects.filter(kind__in=places, active=True).count()
    windows = Unit.objects.filter(kind=UnitKind.WINDOW, active=True).count()
    return halls >= 1 and windows >= 1, _("%(halls)s halls or service places, %(windows)s windows") % {
        "halls": halls,
        "windows": windows,
    }


def _devices() -> tuple[bool, str]:
    from tenants.organisation.models import Device

    n = Device.objects.count()
    return n >= 1, _("%(n)s rating devices registered") % {"n": n}


def _staff() -> tuple[bool, str]:
    from tenants.accounts.models import User

    n = User.objects.filter(is_active=True).count()
    return n >= 2, _("%(n)s user accounts") % {"n": n}


def _steps() -> list[tuple[str, Promise, Promise, list[StepLink], object]]:
    return [
        (
            "evaluation",
            _("Rating scale and deadlines"),
            _(
                "Choose the wording of the five levels shown to citizens, then check the deadlines for calling "
                "back and fixing bad reviews (差评整改时限) and your working-day calendar."
            ),
            [
                StepLink(_("Case deadlines and escalation"), reverse("case-settings")),
                StepLink(_("Working-day calendar"), reverse("workcalendar")),
            ],
            None,
        ),
        (
            "catalog",
            _("Service catalogue"),
            _(
                "Import your service items (事项) from a spreadsheet or add them one by one, then publish them."
            ),
            [
                StepLink(_("Import items"), reverse("catalog-import")),
                StepLink(_("Service catalogue"), reverse("catalog-items")),
            ],
            _published_items,
        ),
        (
            "halls",
            _("Halls and windows"),
            _("Create your departments, service halls and their windows, or import them from a spreadsheet."),
            [
                StepLink(_("Organisation"), reverse("org-units")),
                StepLink(_("Add a unit"), reverse("org-unit-new")),
                StepLink(_("Import units"), reverse("org-import")),
            ],
            _halls_and_windows,
        ),
        (
            "devices",
            _("Rating devices and QR codes"),
            _(
                "Register the rating pads at your windows (each gets a device key) and print the QR posters "
                "citizens scan to rate."
            ),
            [
                StepLink(_("Rating devices"), reverse("org-devices")),
                StepLink(_("Window QR posters"), reverse("channels-posters")),
                StepLink(_("Set up a device page"), reverse("channels-device-setup")),
            ],
            _devices,
        ),
        (
            "staff",
            _("Invite your staff"),
            _(
                "Invite supervisors, handling officers and auditors; each gets a one-time link to set a password."
            ),
            [StepLink(_("Invite staff"), reverse("setup-staff"))],
            _staff,
        ),
    ]


STEP_KEYS = ("evaluation", "catalog", "halls", "devices", "staff")


def checklist() -> list[StepStatus]:
    chosen = dict(SetupStep.objects.values_list("key", "state"))
    out = []
    for key, title, description, links, probe in _steps():
        auto_done, detail = probe() if probe else (False, "")
        state = StepState.DONE if auto_done else chosen.get(key, TODO)
        out.append(
            StepStatus(
                key=key,
                title=title,
                description=description,
                links=links,
                state=str(state),
                auto_done=auto_done,
                detail=str(detail),
            )
        )
    return out


def checklist_summary() -> dict:
    steps = checklist()
    todo = sum(1 for s in steps if s.state == TODO)
    done = sum(1 for s in steps if s.state == StepState.DONE)
    return {"total": len(steps), "done": done, "todo": todo, "complete": todo == 0}


# --- invitations ------------------------------------------------------------------------------------------
def _signer() -> signing.Signer:
    # The schema is part of the salt: a link made for one tenant does not even verify on another's host.
    return signing.Signer(salt=f"setup.invitation:{connection.schema_name}")


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_token(secret: str) -> str:
    return _signer().sign(secret)


@dataclass(frozen=True)
class InvitationCheck:
    state: str  # ok / invalid / used / expired / revoked
    invitation: Invitation | None = None


def invitation_check(token: str) -> InvitationCheck:
    try:
        secret = _signer().unsign(token)
    except signing.BadSignature:
        return InvitationCheck("invalid")
    invitation = Invitation.objects.select_related("user").filter(token_hash=token_digest(secret)).first()
    if invitation is None:
        return InvitationCheck("invalid")
    if invitation.used_at is not None:
        return InvitationCheck("used", invitation)
    if invitation.revoked_at is not None:
        return InvitationCheck("revoked", invitation)
    if invitation.expires_at <= timezone.now() or not invitation.user.is_active:
        return InvitationCheck("expired", invitation)
    return InvitationCheck("ok", invitation)


def invitation_open_for(user) -> Invitation | None:
    return (
        Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
