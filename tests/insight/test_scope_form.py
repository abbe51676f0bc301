"""The scope form: precise errors, defaults, and dates a browser's date input can show in any language."""

from datetime import date, timedelta

from django.utils import timezone, translation

from tenants.insight.forms import ScopeForm


def test_dates_render_as_iso_in_chinese_too(db):
    with translation.override("zh-hans"):
        form = ScopeForm({"from": "2026-03-01", "to": "2026-03-31"})
        assert form.is_valid()
        html = str(form["from"])
    assert 'value="2026-03-01"' in html and 'type="date"' in html


def test_defaults_to_the_last_30_days(db):
    form = ScopeForm({})
    assert form.is_valid()
    scope = form.scope()
    assert scope.end == timezone.localdate() and scope.start == scope.end - timedelta(days=29)


def test_end_before_start_and_over_three_years_are_refused(db):
    assert "to" in ScopeForm({"from": "2026-03-31", "to": "2026-03-01"}).errors
    assert "to" in ScopeForm({"from": "2020-01-01", "to": str(date(2026, 1, 1))}).errors
