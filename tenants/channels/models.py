"""Rating channels keep little state of their own: ratings are evaluations (tenants.evaluations). What is
kept here is the record that a one-time QR token was used, so that a second scan cannot rate again."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class QrTokenUse(models.Model):
    """A per-transaction QR token that has been used to rate. The token itself is never stored (only its
    SHA-256), so a leaked table cannot be turned back into working links."""

    digest = models.CharField(max_length=64, unique=True)
    transaction_number = models.CharField(_("transaction number"), max_length=64, db_index=True)
    evaluation = models.ForeignKey(
        "evaluations.Evaluation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    used_at = models.DateTimeField(_("used at"), auto_now_add=True)

    class Meta:
        ordering = ["-used_at"]
        verbose_name = _("used QR token")

    def __str__(self) -> str:
        return f"{self.transaction_number} @ {self.used_at:%Y-%m-%d %H:%M}"
