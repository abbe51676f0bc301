from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.portal.models import MIN_GROUP_SIZE_LIMITS
from tenants.portal.services import INTRO_MAX_LENGTH


class PortalSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Publish the portal"),
        required=False,
        help_text=_("When off, every page under /portal/ answers “not found”."),
    )
    min_group_size = forms.IntegerField(
        label=_("Smallest group shown on its own (ratings in the month)"),
        min_value=MIN_GROUP_SIZE_LIMITS[0],
        max_value=MIN_GROUP_SIZE_LIMITS[1],
        help_text=_(
            "A department, hall or unit with fewer counted ratings in the month is shown as “too few ratings "
            "to show separately (样本不足，不单独公示)”, and its bad reviews are only counted."
        ),
    )
    show_comments = forms.BooleanField(
        label=_("Show comments the evaluators agreed to publish"),
        required=False,
        help_text=_(
            "Only comments whose evaluator ticked the consent box, with phone numbers, ID numbers, e-mail "
            "addresses, long numbers and the names of staff and of the evaluator replaced by ＊＊."
        ),
    )
    intro = forms.CharField(
        label=_("Introduction on the portal's first page"),
        required=False,
        max_length=INTRO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
