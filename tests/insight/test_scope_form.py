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


def test_dates_are_bounded_with_an_error_naming_the_field(db):
    """From 2000-01-01 to a year from today: 0001-01-01 or 9999-12-31 would overflow the date arithmetic."""
    today = timezone.localdate()
    latest = (today + timedelta(days=366)).isoformat()
    with translation.override("en"):
        form = ScopeForm({"to": "0001-01-01"})
        assert form.errors == {"to": ["“To” must be on or after 2000-01-01."]}
        form = ScopeForm({"from": "9999-12-01", "to": "9999-12-31"})
        assert form.errors == {
            "from": [f"“From” must be on or before {latest}."],
            "to": [f"“To” must be on or before {latest}."],
        }
    assert ScopeForm({"from": "2000-01-01", "to": "2000-01-31"}).is_valid()
    assert ScopeForm({"from": latest, "to": latest}).is_valid()
    assert ScopeForm({"from": "1999-12-31", "to": "2000-01-31"}).errors.keys() == {"from"}
