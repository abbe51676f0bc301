from datetime import time

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    """A tenant's own exception to the national schedule: an extra day off or an extra working day."""

    day = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'workday' if self.is_workday else 'day off'}"


class WorkingHours(models.Model):
    """The tenant's office hours (one row). Off: deadlines fall at the end of a working day. On: deadlines
    count working time inside these hours (a morning span and an optional afternoon span)."""

    SINGLETON_PK = 1

    enabled = models.BooleanField(_("count deadlines in working hours"), default=False)
    morning_start = models.TimeField(_("morning opens"), default=time(9, 0))
    morning_end = models.TimeField(_("morning closes"), default=time(12, 0))
    afternoon_start = models.TimeField(_("afternoon opens"), null=True, blank=True, default=time(13, 30))
    afternoon_end = models.TimeField(_("afternoon closes"), null=True, blank=True, default=time(17, 30))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return " / ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in self.spans())

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "WorkingHours":
        """The saved setting, or the defaults (unsaved, not enabled) when the tenant never set it."""
        return cls.objects.filter(pk=cls.SINGLETON_PK).first() or cls(pk=cls.SINGLETON_PK)

    def spans(self) -> list[tuple[time, time]]:
        spans = [(self.morning_start, self.morning_end)]
        if self.afternoon_start and self.afternoon_end:
            spans.append((self.afternoon_start, self.afternoon_end))
        return spans

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.morning_start and self.morning_end and self.morning_start >= self.morning_end:
            errors["morning_end"] = [_("The morning must close after it opens.")]
        if bool(self.afternoon_start) != bool(self.afternoon_end):
            errors["afternoon_end" if self.afternoon_start else "afternoon_start"] = [
                _("Give both afternoon times, or leave both empty for a single span.")
            ]
        elif self.afternoon_start and self.afternoon_end:
            if self.afternoon_start >= self.afternoon_end:
                errors["afternoon_end"] = [_("The afternoon must close after it opens.")]
            elif self.morning_end and self.afternoon_start < self.morning_end:
                errors["afternoon_start"] = [_("The afternoon must open after the morning closes.")]
        if errors:
            raise ValidationError(errors)
