"""What the public portal shows. Figures come from the rollups (tenants.insight.selectors); the list of bad
reviews reads cases, and never an evaluator's identity or a staff member's: units are organisations, a comment
appears only with the evaluator's consent and scrubbed (scrub.py).

Small groups (DOMAIN.md §8: the evaluator's personal information is protected): a department, hall or unit of
a bad review with fewer counted ratings in the month than `PortalSettings.min_group_size` is not shown on its
own ("样本不足，不单独公示"); its bad reviews are only counted together.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.paginator import Page, Paginator
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.cases.models import Case, CaseState, Outcome
from tenants.cases.selectors import bad_review_cases
from tenants.evaluations.models import ReasonTag
from tenants.insight.models import CaseRollup, RatingRollup
from tenants.insight.scorecards.fairness import MIN_SAMPLE
from tenants.insight.selectors import (
    CASE_MEASURES,
    INDICATORS,
    RATING_MEASURES,
    Indicator,
    Scope,
    indicators,
    rating_indicators,
)
from tenants.insight.services import day_bounds
from tenants.organisation.models import Unit, UnitKind
from tenants.portal.models import PortalSettings
from tenants.privacy.crypto import decrypt
from tenants.privacy.scrub import Vocabulary, scrub

MONTHS = 12
PAGE_SIZE = 20
MAX_NAME_LENGTH = 12  # longest staff or account name looked for in a comment
DEPARTMENT_KINDS = (UnitKind.DEPARTMENT,)
# 大厅、中心、站点: every service organisation that is neither a department nor a window (as the scorecards)
HALL_KINDS = (UnitKind.HALL, UnitKind.CENTRE, UnitKind.STATION, UnitKind.SERVICE_POINT)
GROUP_RATES = (
    "good_rate",
    "bad_rate",
    "reply_rate",
    "callback_rectification_rate",
    "rectification_satisfaction_rate",
)

# A case's state as the public reads it.
PUBLIC_STATE = {
    CaseState.NEW: _("Received, being handled"),
    CaseState.ASSIGNED: _("Received, being handled"),
    CaseState.CONTACTED: _("Evaluator called back (已回访)"),
    CaseState.VERIFIED: _("Verified, being rectified (已核实)"),
    CaseState.LEDGER: _("Rectifying by a deadline (限期整改)"),
    CaseState.PENDING_CONFIRMATION: _("Under review"),
    CaseState.RESOLVED: _("Rectified, feedback to follow"),
    CaseState.FEEDBACK_SENT: _("Result fed back to the evaluator (已反馈)"),
    CaseState.CLOSED: _("Closed (已办结)"),
}


# --- settings and months -------------------------------------------------------------------------------------
def portal_settings() -> PortalSettings:
    """The tenant's settings, or the defaults (unsaved) before anybody changed them: a public page never
    writes."""
    return PortalSettings.objects.order_by("pk").first() or PortalSettings()


@dataclass(frozen=True)
class Month:
    start: date
    end: date

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    def __str__(self) -> str:
        return self.key


def _month_of(first: date) -> Month:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Month(start=first, end=following - timedelta(days=1))


def months_recent(*, today: date | None = None, count: int = MONTHS) -> list[Month]:
    """The current month and the `count - 1` before it, oldest first (local dates)."""
    first = (today or timezone.localdate()).replace(day=1)
    months = [_month_of(first)]
    for _i in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(_month_of(first))
    return months[::-1]


_MONTH_KEY = re.compile(r"^\d{4}-\d{2}$")


def month_choose(value: str | None, months: list[Month]) -> Month:
    """The month named by `value` ("2026-01") among `months`, else the newest."""
    if value and _MONTH_KEY.match(value):
        for month in months:
            if month.key == value:
                return month
    return months[-1]


# --- indicators by month -----------------------------------------------------------------------------------------
def indicators_by_month(*, months: list[Month]) -> list[tuple[Month, dict[str, Indicator]]]:
    """Every §10 indicator for each month, tenant-wide (tenants.insight.selectors.indicators)."""
    return [(month, indicators(Scope(start=month.start, end=month.end))) for month in months]


# --- results by department and hall -----------------------------------------------------------------------------
def _path_ids(path: str | None) -> set[int]:
    return {int(part) for part in (path or "").strip("/").split("/") if part}


@dataclass
class MonthFigures:
    """Summed rating and case measures for every unit in the month, each over its whole subtree (a rating
    counts for a unit when its handling unit or its window lies below it, as Scope(unit=…) does)."""

    ratings: dict[int, dict[str, int]] = field(default_factory=dict)
    cases: dict[int, dict[str, int]] = field(default_factory=dict)

    def n(self, unit_id: int) -> int:
        return self.ratings.get(unit_id, {}).get("ratings", 0)


def month_figures(*, month: Month) -> MonthFigures:
    """Two aggregate queries over the rollups."""
    ratings: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(RATING_MEASURES, 0))
    rows = (
        RatingRollup.objects.filter(day__gte=month.start, day__lte=month.end)
        .values("unit__path", "window__path")
        .annotate(**RATING_MEASURES)
        .order_by()
    )
    for row in rows:
        for unit_id in _path_ids(row["unit__path"]) | _path_ids(row["window__path"]):
            total = ratings[unit_id]
            for name in RATING_MEASURES:
                total[name] += row[name]
    cases: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CASE_MEASURES, 0))
    rows = (
        CaseRollup.objects.filter(day__gte=month.start, day__lte=month.end)
        .values("unit__path", "window__path")
        .annotate(**CASE_MEASURES)
        .order_by()
    )
    for row in rows:
        for unit_id in _path_ids(row["unit__path"]) | _path_ids(row["window__path"]):
            total = cases[unit_id]
            for name in CASE_MEASURES:
                total[name] += row[name]
    return MonthFigures(ratings=dict(ratings), cases=dict(cases))


@dataclass(frozen=True)
class GroupRow:
    code: str
    name: str
    n: int  # counted ratings in the month
    shown: bool  # n reaches the portal's smallest group
    bad_reviews: int = 0
    rates: dict[str, Indicator] = field(default_factory=dict)

    @property
    def cells(self) -> list[tuple[str, Indicator]]:
        """(label, rate) in GROUP_RATES order."""
        return [(INDICATORS[key], self.rates[key]) for key in GROUP_RATES if key in self.rates]


def _group_rates(r: dict[str, int], c: dict[str, int]) -> dict[str, Indicator]:
    rates = rating_indicators(r)
    rates["reply_rate"] = Indicator(c["replied"], c["total"])
    rates["callback_rectification_rate"] = Indicator(c["rectified"], c["total"])
    rates["rectification_satisfaction_rate"] = Indicator(c["satisfied"], c["total"])
    return {key: rates[key] for key in GROUP_RATES}


def results_by_group(*, figures: MonthFigures, kinds: tuple[str, ...], min_group_size: int) -> list[GroupRow]:
    """Departments (or halls) with ratings or bad reviews in the month, in tree order. A group below the
    smallest size is listed with no figure at all."""
    ids = set(figures.ratings) | set(figures.cases)
    rows = []
    for unit in Unit.objects.filter(pk__in=ids, kind__in=kinds).only("code", "name"):
        r = figures.ratings.get(unit.pk) or dict.fromkeys(RATING_MEASURES, 0)
        c = figures.cases.get(unit.pk) or dict.fromkeys(CASE_MEASURES, 0)
        shown = r["ratings"] >= min_group_size
        rows.append(
            GroupRow(
                code=unit.code,
                name=unit.name,
                n=r["ratings"] if shown else 0,
                shown=shown,
                bad_reviews=c["total"] if shown else 0,
                rates=_group_rates(r, c) if shown else {},
            )
        )
    return rows


# --- rankings ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ranking:
    ranked: list  # scorecards RankRow, rank set
    unranked: list  # shown groups below the ranking's minimum sample
    hidden: int  # groups below the portal's smallest group: counted, never named
    min_sample: int


def ranking(*, month: Month, level: str, min_group_size: int) -> Ranking:
    """Departments or halls ranked by the Wilson lower bound of their good-review rate
    (tenants.insight.scorecards.selectors.rankings); never ranks a sample below the portal's smallest group
    or the rankings' own minimum, whichever is larger."""
    from tenants.insight.scorecards.selectors import rankings

    min_sample = max(min_group_size, MIN_SAMPLE)
    rows = rankings(Scope(start=month.start, end=month.end), level=level, min_sample=min_sample)
    return Ranking(
        ranked=[r for r in rows if r.ranked],
        unranked=[r for r in rows if not r.ranked and r.n >= min_group_size],
        hidden=sum(1 for r in rows if not r.ranked and r.n < min_group_size),
        min_sample=min_sample,
    )


# --- bad reviews and their rectification -----------------------------------------------------------------------
@dataclass(frozen=True)
class PublicBadReview:
    """One bad review as the public sees it: no evaluator, no staff, no window staff identity."""

    number: str  # the case number: a reference without personal data
    rated_on: date
    unit: str  # the responsible organisation (a window's case is shown under its hall)
    item: str
    reasons: list[str]
    state: str
    closed: bool
    outcome: str
    feedback_on: date | None
    closed_on: date | None
    comment: str  # scrubbed; "" without consent or when the tenant shows no comments


@dataclass(frozen=True)
class BadReviewList:
    page: Page  # of PublicBadReview
    hidden: int  # bad reviews of units below the smallest group: counted together, never listed


def _public_unit_ids(unit_ids: set[int]) -> dict[int, int]:
    """unit id → the id of the organisation shown for it: a window's hall, else the unit itself."""
    found = Unit.objects.filter(pk__in=unit_ids).values_list("pk", "kind", "parent_id")
    return {pk: parent if kind == UnitKind.WINDOW and parent else pk for pk, kind, parent in found}


def filter_units(*, figures: MonthFigures, min_group_size: int) -> list[Unit]:
    """The departments and halls one may filter the bad reviews by: those shown on their own this month."""
    ids = [pk for pk, r in figures.ratings.items() if r["ratings"] >= min_group_size]
    return list(Unit.objects.filter(pk__in=ids, kind__in=DEPARTMENT_KINDS + HALL_KINDS).only("code", "name"))


def _local(moment) -> date | None:
    return timezone.localtime(moment).date() if moment else None


def scrub_vocabulary(texts: list[str]) -> Vocabulary:
    """The tenant's staff names and numbers and account names that occur in `texts`: every substring up to
    MAX_NAME_LENGTH characters is looked up at once (one query per table), so the cost follows the texts,
    not the size of the staff."""
    candidates: set[str] = set()
    tokens: set[str] = set()
    for text in texts:
        for length in range(2, MAX_NAME_LENGTH + 1):
            candidates.update(text[i : i + length] for i in range(len(text) - length + 1))
        for token in re.findall(r"[A-Za-z0-9\-_]{2,}", text):
            tokens.update((token, token.upper(), token.lower()))
    if not candidates:
        return Vocabulary()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, staff_no FROM organisation_staff WHERE name = ANY(%s) OR staff_no = ANY(%s)",
            [list(candidates), list(tokens)],
        )
        staff = cursor.fetchall()
        cursor.execute(
            "SELECT display_name FROM accounts_user WHERE display_name = ANY(%s)", [list(candidates)]
        )
        accounts = [row[0] for row in cursor.fetchall()]
    return Vocabulary.of(names=[n for n, _no in staff] + accounts, codes=[no for _n, no in staff])


def bad_reviews(
    *, month: Month, unit: Unit | None, figures: MonthFigures, settings: PortalSettings, page: str | int = 1
) -> BadReviewList:
    """The month's counted bad reviews (by the day they were given) with their case, newest first,
    PAGE_SIZE a page; those of units below the smallest group are only counted."""
    start, end = day_bounds(month.start, month.end)
    cases = bad_review_cases().filter(evaluation__rated_at__gte=start, evaluation__rated_at__lt=end)
    if unit is not None:
        cases = cases.filter(unit__path__startswith=unit.path)
    shown_as = _public_unit_ids(set(cases.values_list("unit_id", flat=True).distinct()))
    small = {pk for pk, public in shown_as.items() if figures.n(public) < settings.min_group_size}
    visible = (
        cases.exclude(unit_id__in=small)
        .select_related("evaluation__transaction__item", "unit__parent")
        .only(
            "number", "state", "outcome", "feedback_at", "closed_at", "unit__name", "unit__kind",
            "unit__parent__name", "evaluation__rated_at", "evaluation__reason_tags",
            "evaluation__comment", "evaluation__comment_public", "evaluation__evaluator_name",
            "evaluation__transaction__item__name",
        )
        .order_by("-evaluation__rated_at", "-id")
    )  # fmt: skip
    paginator = Paginator(visible, PAGE_SIZE)
    current = paginator.get_page(page)
    current.object_list = _public_rows(list(current.object_list), show_comments=settings.show_comments)
    return BadReviewList(page=current, hidden=cases.filter(unit_id__in=small).count() if small else 0)


def _public_rows(cases: list[Case], *, show_comments: bool) -> list[PublicBadReview]:
    labels = dict(ReasonTag.objects.values_list("code", "label"))
    consented = [
        c for c in cases if show_comments and c.evaluation.comment_public and c.evaluation.comment.strip()
    ]
    vocabulary = scrub_vocabulary([c.evaluation.comment for c in consented]) if consented else Vocabulary()
    comments = {
        # The evaluator's own name is decrypted only to be removed from the text; it is never shown.
        c.pk: scrub(c.evaluation.comment, vocabulary.with_person(decrypt(c.evaluation.evaluator_name)))
        for c in consented
    }
    rows = []
    for case in cases:
        unit = case.unit.parent if case.unit.kind == UnitKind.WINDOW and case.unit.parent else case.unit
        rows.append(
            PublicBadReview(
                number=case.number,
                rated_on=_local(case.evaluation.rated_at),
                unit=unit.name,
                item=case.evaluation.transaction.item.name,
                reasons=[labels.get(code, code) for code in case.evaluation.reason_tags],
                state=str(PUBLIC_STATE.get(case.state, case.state)),
                closed=case.state == CaseState.CLOSED,
                outcome=str(Outcome(case.outcome).label) if case.outcome else "",
                feedback_on=_local(case.feedback_at),
                closed_on=_local(case.closed_at),
                comment=comments.get(case.pk, ""),
            )
        )
    return rows


INDICATOR_IDS = tuple(INDICATORS)
