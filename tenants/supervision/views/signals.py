from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from tenants.accounts.roles import Perm
from tenants.accounts.views import permission_required
from tenants.supervision.forms import SignalsForm
from tenants.supervision.selectors.signals import SignalThresholds, integrity_signals, period_bounds

THRESHOLD_FIELDS = (
    "burst_gap_seconds",
    "burst_span_seconds",
    "burst_min_count",
    "streak_min_length",
    "rate_min_transactions",
    "rate_z",
)


# Flags name staff and windows: they are for supervisors and auditors (VIEW_AUDIT), not for the staff
# being flagged, who may read evaluations but must not be tipped off.
@permission_required(Perm.VIEW_AUDIT)
def signals_view(request):
    """Coercion and inflation signals for a period, with the evidence behind each. Read-only."""
    today = timezone.localdate()
    defaults = SignalThresholds()
    data = request.GET if "start" in request.GET else None
    form = SignalsForm(
        data,
        initial={
            "start": today - timedelta(days=29),
            "end": today,
            **{f: getattr(defaults, f) for f in THRESHOLD_FIELDS},
        },
    )
    report = None
    if data is None:
        start, end = today - timedelta(days=29), today
        thresholds = defaults
    elif form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        chosen = {f: form.cleaned_data[f] for f in THRESHOLD_FIELDS if form.cleaned_data.get(f) is not None}
        thresholds = SignalThresholds(**chosen)
    else:
        return render(request, "supervision/signals.html", {"form": form, "report": None}, status=400)
    start_at, end_at = period_bounds(start, end)
    report = integrity_signals(start=start_at, end=end_at, thresholds=thresholds)
    return render(
        request,
        "supervision/signals.html",
        {"form": form, "report": report, "start": start, "end": end},
    )
