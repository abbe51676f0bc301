"""The tenant's organisation: units in a tree (departments, halls, centres, stations, windows, service
points), staff with window assignments over time, service platforms and the rating devices at windows."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("Department")
    HALL = "hall", _("Service hall")
    CENTRE = "centre", _("Service centre")
    STATION = "station", _("Service station")
    WINDOW = "window", _("Window")
    SERVICE_POINT = "service_point", _("Township/village service point")


class Unit(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    # Materialised path of ancestor ids ("/1/5/9/"): a subtree is one indexed prefix query.
    path = models.CharField(max_length=500, db_index=True, editable=False, default="/")
    region_code = models.CharField(_("region code"), max_length=12, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Staff(models.Model):
    staff_no = models.CharField(_("staff number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="staff", verbose_name=_("unit"))
    active = models.BooleanField(_("active"), default=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["staff_no"]
        verbose_name_plural = "staff"

    def __str__(self) -> str:
        return f"{self.name} ({self.staff_no})"


class WindowAssignment(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="assignments")
    window = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.staff} @ {self.window} from {self.starts_on}"


class PlatformKind(models.TextChoices):
    WEB = "web", _("Web portal")
    APP = "app", _("Mobile app")
    MINIPROGRAM = "miniprogram", _("Mini-program")
    HOTLINE = "hotline", _("Hotline")
    KIOSK = "kiosk", _("Self-service kiosk")
    BUSINESS_SYSTEM = "business_system", _("Business system")


class Platform(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=PlatformKind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Device(models.Model):
    """A rating pad (评价器) at a window, authenticated by its own API key."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    window = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="devices", verbose_name=_("window")
    )
    api_key = models.OneToOneField("accounts.ApiKey", on_delete=models.PROTECT, related_name="device")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Membership(models.Model):
    """Where a staff account sits: its unit (what it handles and supervises, "谁办理、谁负责") and, for window
    staff, the Staff record it is (what it may appeal). A separate tenant table because accounts.User also
    lives in the public schema, which has no units."""

    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="membership", verbose_name=_("account")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="members", verbose_name=_("unit"))
    staff = models.OneToOneField(
        Staff,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account",
        verbose_name=_("staff record"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit}"
