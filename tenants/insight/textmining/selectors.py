"""Reading the comment terms: frequencies, clusters of similar complaints, spikes, and the problem ledger.

Everything reads `CommentTerm` (kept by the rollup drain), never raw evaluations, except the few sample
comments a page shows (their text only, scrubbed by tenants.privacy.scrub as the portal's are).

- Frequencies: how many comments in scope mention a keyword / phrase / reason tag, and how many of those were
  bad reviews.
- Clusters: bad-review comments grouped greedily by the Jaccard similarity of their keyword sets (each comment
  joins the most similar cluster whose first comment it resembles at least `threshold`, else starts one).
- Spikes: for each handling unit and term, the count of bad reviews mentioning it in the recent window (the 7
  days ending `today`) against the 8 windows of 7 days before. Flagged when the recent count is at least
  `min_count` and the Poisson upper tail P(X ≥ recent | λ = max(baseline mean, 0.5)) is below `p_max`.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tenants.evaluations.models import Evaluation, ReasonTag
from tenants.insight.selectors import Scope
from tenants.insight.textmining.models import CommentTerm, LedgerStatus, ProblemLedgerEntry, TermKind
from tenants.insight.textmining.segmentation import TAG_PREFIX, stop_words
from tenants.organisation.models import Staff, Unit
from tenants.privacy.crypto import decrypt
from tenants.privacy.scrub import Vocabulary
from tenants.privacy.scrub import scrub as scrub_text

RECENT_DAYS = 7
BASELINE_WEEKS = 8
MIN_COUNT = 3
P_MAX = 0.01
MIN_EXPECTED = 0.5


# --- scope -----------------------------------------------------------------------------------------------
def _in_scope(scope: Scope, staff: Staff | None = None) -> Q:
    """The scope's period and filters on comment terms (a unit means the unit and everything below it, as
    handling unit or as window)."""
    q = Q(day__gte=scope.start, day__lte=scope.end)
    if scope.unit is not None:
        q &= Q(unit__path__startswith=scope.unit.path) | Q(window__path__startswith=scope.unit.path)
    if scope.item is not None:
        q &= Q(item=scope.item)
    if scope.item_type:
        q &= Q(item__item_type=scope.item_type)
    if scope.channel:
        q &= Q(channel=scope.channel)
    if staff is not None:
        q &= Q(staff=staff)
    return q


def comment_terms(scope: Scope, *, staff: Staff | None = None) -> QuerySet[CommentTerm]:
    return CommentTerm.objects.filter(_in_scope(scope, staff))


# --- frequencies -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TermCount:
    term: str
    kind: str
    count: int  # comments mentioning it
    bad: int  # of which bad reviews
    label: str = ""  # what people read: the term, or a reason tag's label

    @property
    def bad_share(self) -> float:
        return self.bad / self.count if self.count else 0.0

    @property
    def bad_percent(self) -> float:
        return round(100 * self.bad_share, 1)


def tag_labels() -> dict[str, str]:
    """'tag:<code>' → the reason tag's label."""
    return {f"{TAG_PREFIX}{code}": label for code, label in ReasonTag.objects.values_list("code", "label")}


def term_label(term: str, labels: dict[str, str] | None = None) -> str:
    if not term.startswith(TAG_PREFIX):
        return term
    labels = tag_labels() if labels is None else labels
    return labels.get(term, term.removeprefix(TAG_PREFIX))


def term_frequencies(
    scope: Scope,
    *,
    kind: str = TermKind.KEYWORD,
    staff: Staff | None = None,
    limit: int = 20,
    bad_only: bool = False,
    stop: frozenset[str] | None = None,
) -> list[TermCount]:
    """The `limit` most mentioned terms of one kind in scope, with how many of the comments were bad reviews.
    Stop words (the current list, or `stop`) are left out even if stored before they were added."""
    stop = stop_words() if stop is None else stop
    rows = comment_terms(scope, staff=staff).filter(kind=kind)
    if bad_only:
        rows = rows.filter(is_bad=True)
    if kind != TermKind.TAG and stop:
        rows = rows.exclude(term__in=stop)
    rows = (
        rows.values("term")
        .annotate(count=Count("id"), bad=Count("id", filter=Q(is_bad=True)))
        .order_by("-count", "-bad", "term")[:limit]
    )
    labels = tag_labels() if kind == TermKind.TAG else {}
    return [
        TermCount(
            term=r["term"], kind=kind, count=r["count"], bad=r["bad"], label=term_label(r["term"], labels)
        )
        for r in rows
    ]


@dataclass(frozen=True)
class CommentTotals:
    comments: int  # ratings in scope with at least one term
    bad: int


def comment_totals(scope: Scope, *, staff: Staff | None = None) -> CommentTotals:
    rows = comment_terms(scope, staff=staff)
    figures = rows.aggregate(
        comments=Count("evaluation_id", distinct=True),
        bad=Count("evaluation_id", distinct=True, filter=Q(is_bad=True)),
    )
    return CommentTotals(comments=figures["comments"] or 0, bad=figures["bad"] or 0)


# --- sample comments (text only) -------------------------------------------------------------------------
def scrub(text: str, evaluator_name: str = "") -> str:
    """A comment as staff may read it: the product's scrubber (tenants.privacy.scrub, as the portal's) with
    the evaluator's own name; phone, ID and card numbers (spaced, dashed or full-width too), e-mail addresses
    and labelled identifiers become ＊＊."""
    return scrub_text(text, Vocabulary().with_person(evaluator_name))


@dataclass(frozen=True)
class SampleComment:
    evaluation_id: int
    day: date
    text: str  # scrubbed
    is_bad: bool


def sample_comments(evaluation_ids: list[int]) -> list[SampleComment]:
    """The comments of these ratings, in the given order: the text (scrubbed; the evaluator's name is
    decrypted only to be removed from it), the day and good/bad, nothing about who wrote them."""
    if not evaluation_ids:
        return []
    rows = {
        r["pk"]: r
        for r in Evaluation.objects.filter(pk__in=evaluation_ids).values(
            "pk", "rated_at", "comment", "is_bad", "evaluator_name"
        )
    }
    return [
        SampleComment(
            evaluation_id=pk,
            day=timezone.localtime(rows[pk]["rated_at"]).date(),
            text=scrub(rows[pk]["comment"], decrypt(rows[pk]["evaluator_name"])),
            is_bad=rows[pk]["is_bad"],
        )
        for pk in evaluation_ids
        if pk in rows and rows[pk]["comment"]
    ]


# --- clusters of similar complaints ----------------------------------------------------------------------
@dataclass
class Cluster:
    leader: frozenset[str]  # the keyword set of the comment that started it
    evaluation_ids: list[int] = field(default_factory=list)
    terms: Counter = field(default_factory=Counter)
    samples: list[SampleComment] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.evaluation_ids)

    def top_terms(self, n: int = 5) -> list[tuple[str, int]]:
        return sorted(self.terms.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def cluster_keyword_sets(
    documents: list[tuple[int, frozenset[str]]], *, threshold: float = 0.34
) -> list[Cluster]:
    """Greedy leader clustering: each document (id, keyword set), in the given order, joins the cluster whose
    leader set it resembles most (Jaccard ≥ threshold), else leads a new one. An index from keyword to
    clusters keeps it near linear (only clusters sharing a keyword are compared). Largest first."""
    clusters: list[Cluster] = []
    by_term: dict[str, list[int]] = defaultdict(list)
    for evaluation_id, words in documents:
        if not words:
            continue
        candidates = {i for w in words for i in by_term.get(w, ())}
        best, best_score = None, threshold
        for i in sorted(candidates):
            score = jaccard(words, clusters[i].leader)
            if score >= best_score and (best is None or score > best_score):
                best, best_score = i, score
        if best is None:
            best = len(clusters)
            clusters.append(Cluster(leader=words))
            for w in words:
                by_term[w].append(best)
        clusters[best].evaluation_ids.append(evaluation_id)
        clusters[best].terms.update(words)
    return sorted(clusters, key=lambda c: (-c.size, c.evaluation_ids[0]))


def complaint_clusters(
    scope: Scope,
    *,
    staff: Staff | None = None,
    threshold: float = 0.34,
    min_size: int = 2,
    limit: int = 10,
    samples: int = 3,
    max_comments: int = 2000,
) -> list[Cluster]:
    """Clusters of similar bad-review comments in scope (the latest `max_comments` with keywords)."""
    bad = comment_terms(scope, staff=staff).filter(is_bad=True, kind=TermKind.KEYWORD)
    ids = list(
        bad.values_list("evaluation_id", flat=True).distinct().order_by("-evaluation_id")[:max_comments]
    )
    if not ids:
        return []
    stop = stop_words()
    words: dict[int, set[str]] = defaultdict(set)
    for evaluation_id, term in (
        CommentTerm.objects.filter(evaluation_id__in=ids, kind=TermKind.KEYWORD)
        .values_list("evaluation_id", "term")
        .order_by()
    ):
        if term not in stop:
            words[evaluation_id].add(term)
    documents = [(pk, frozenset(words[pk])) for pk in ids]
    clusters = [c for c in cluster_keyword_sets(documents, threshold=threshold) if c.size >= min_size][:limit]
    shown = sample_comments([pk for c in clusters for pk in c.evaluation_ids[:samples]])
    by_id = {s.evaluation_id: s for s in shown}
    for c in clusters:
        c.samples = [by_id[pk] for pk in c.evaluation_ids[:samples] if pk in by_id]
    return clusters


# --- spikes ----------------------------------------------------------------------------------------------
def poisson_upper_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if k <= lam:  # the tail is large: 1 − P(X < k) is accurate here
        term, below = math.exp(-lam), 0.0
        for i in range(k):
            below += term
            term *= lam / (i + 1)
        return max(0.0, 1.0 - below)
    term = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))  # P(X = k)
    total, i = 0.0, k
    while term > total * 1e-15:
        total += term
        i += 1
        term *= lam / i
    return min(1.0, total)


@dataclass(frozen=True)
class Spike:
    unit: Unit
    term: str
    kind: str
    recent: int  # bad reviews mentioning the term in the recent window
    weeks: tuple[int, ...]  # counts per 7-day window, oldest first; the last is the recent window
    week_starts: tuple[date, ...]
    expected: float  # max(baseline mean, 0.5)
    p_value: float
    days: tuple[tuple[date, int], ...]  # the recent window's days with their counts
    sample_ids: tuple[int, ...]  # recent ratings mentioning it (newest first)
    label: str = ""
    flagged: bool = False

    @property
    def baseline(self) -> tuple[int, ...]:
        return self.weeks[:-1]

    @property
    def baseline_mean(self) -> float:
        return sum(self.baseline) / len(self.baseline) if self.baseline else 0.0

    @property
    def ratio(self) -> float:
        return self.recent / self.expected if self.expected else 0.0

    def evidence(self) -> dict:
        """JSON for the ledger: what the spike was when someone turned it into an entry."""
        return {
            "term": self.term,
            "kind": self.kind,
            "label": self.label or self.term,
            "unit": self.unit.code,
            "recent": self.recent,
            "weeks": [
                {"start": s.isoformat(), "end": (s + timedelta(days=RECENT_DAYS - 1)).isoformat(), "count": n}
                for s, n in zip(self.week_starts, self.weeks, strict=True)
            ],
            "baseline_mean": round(self.baseline_mean, 3),
            "expected": round(self.expected, 3),
            "p_value": self.p_value,
            "days": [{"day": d.isoformat(), "count": n} for d, n in self.days],
            "sample_evaluation_ids": list(self.sample_ids),
        }


def _windows(today: date, weeks: int) -> tuple[date, tuple[date, ...]]:
    """The first day looked at, and the start of each 7-day window (oldest first; the last ends `today`)."""
    recent_start = today - timedelta(days=RECENT_DAYS - 1)
    starts = tuple(recent_start - timedelta(days=RECENT_DAYS * i) for i in range(weeks, -1, -1))
    return starts[0], starts


def _spike_rows(*, today: date, weeks: int, kinds, unit: Unit | None, bad_only: bool) -> QuerySet:
    first, _starts = _windows(today, weeks)
    rows = CommentTerm.objects.filter(day__gte=first, day__lte=today, kind__in=list(kinds))
    if bad_only:
        rows = rows.filter(is_bad=True)
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    return rows


def _spike(
    unit: Unit,
    term: str,
    kind: str,
    per_day: dict[date, int],
    *,
    today: date,
    weeks: int,
    min_count: int,
    p_max: float,
    labels: dict[str, str],
) -> Spike:
    _first, starts = _windows(today, weeks)
    counts = [0] * len(starts)
    for day, n in per_day.items():
        counts[(day - starts[0]).days // RECENT_DAYS] += n
    recent, baseline = counts[-1], counts[:-1]
    expected = max(sum(baseline) / len(baseline) if baseline else 0.0, MIN_EXPECTED)
    p_value = poisson_upper_tail(recent, expected)
    recent_days = tuple(sorted((d, n) for d, n in per_day.items() if d >= starts[-1]))
    return Spike(
        unit=unit,
        term=term,
        kind=kind,
        recent=recent,
        weeks=tuple(counts),
        week_starts=starts,
        expected=expected,
        p_value=p_value,
        days=recent_days,
        sample_ids=(),
        label=term_label(term, labels),
        flagged=recent >= min_count and p_value < p_max,
    )


def _with_samples(spike: Spike, *, today: date, bad_only: bool, samples: int) -> Spike:
    rows = CommentTerm.objects.filter(
        unit=spike.unit, term=spike.term, kind=spike.kind, day__gte=spike.week_starts[-1], day__lte=today
    )
    if bad_only:
        rows = rows.filter(is_bad=True)
    ids = tuple(rows.order_by("-day", "-evaluation_id").values_list("evaluation_id", flat=True)[:samples])
    return replace(spike, sample_ids=ids)


def term_spikes(
    *,
    today: date | None = None,
    unit: Unit | None = None,
    kinds: tuple[str, ...] = (TermKind.KEYWORD, TermKind.TAG),
    weeks: int = BASELINE_WEEKS,
    min_count: int = MIN_COUNT,
    p_max: float = P_MAX,
    bad_only: bool = True,
    samples: int = 10,
    limit: int = 50,
) -> list[Spike]:
    """Flagged spikes per handling unit (under `unit`, when given) and term, strongest (smallest p) first."""
    today = today or timezone.localdate()
    rows = _spike_rows(today=today, weeks=weeks, kinds=kinds, unit=unit, bad_only=bad_only)
    _first, starts = _windows(today, weeks)
    stop = stop_words()
    candidates = [
        (r["unit_id"], r["term"], r["kind"])
        for r in rows.filter(day__gte=starts[-1])
        .values("unit_id", "term", "kind")
        .annotate(n=Count("id"))
        .filter(n__gte=min_count)
        .order_by()
        if r["kind"] == TermKind.TAG or r["term"] not in stop
    ]
    if not candidates:
        return []
    per_day: dict[tuple, dict[date, int]] = defaultdict(dict)
    wanted = set(candidates)
    history = rows.filter(unit_id__in={c[0] for c in candidates}, term__in={c[1] for c in candidates})
    for r in history.values("unit_id", "term", "kind", "day").annotate(n=Count("id")).order_by():
        key = (r["unit_id"], r["term"], r["kind"])
        if key in wanted:
            per_day[key][r["day"]] = r["n"]
    units = Unit.objects.in_bulk({c[0] for c in candidates})
    labels = tag_labels()
    found = []
    for key in candidates:
        if key[0] not in units:
            continue
        spike = _spike(
            units[key[0]], key[1], key[2], per_day[key],
            today=today, weeks=weeks, min_count=min_count, p_max=p_max, labels=labels,
        )  # fmt: skip
        if spike.flagged:
            found.append(spike)
    found.sort(key=lambda s: (s.p_value, -s.recent, s.unit.code, s.term))
    return [_with_samples(s, today=today, bad_only=bad_only, samples=samples) for s in found[:limit]]


def term_spike(
    *,
    unit: Unit,
    term: str,
    today: date | None = None,
    weeks: int = BASELINE_WEEKS,
    min_count: int = MIN_COUNT,
    p_max: float = P_MAX,
    bad_only: bool = True,
    samples: int = 10,
) -> Spike:
    """One unit's (exactly that handling unit's) figures for one term, flagged or not: the evidence a ledger
    entry records."""
    today = today or timezone.localdate()
    kind = TermKind.TAG if term.startswith(TAG_PREFIX) else TermKind.KEYWORD
    rows = _spike_rows(today=today, weeks=weeks, kinds=(kind,), unit=None, bad_only=bad_only)
    per_day = {
        r["day"]: r["n"]
        for r in rows.filter(unit=unit, term=term).values("day").annotate(n=Count("id")).order_by()
    }
    spike = _spike(
        unit, term, kind, per_day,
        today=today, weeks=weeks, min_count=min_count, p_max=p_max, labels=tag_labels() if kind == TermKind.TAG else {},
    )  # fmt: skip
    return _with_samples(spike, today=today, bad_only=bad_only, samples=samples)


# --- the problem ledger ----------------------------------------------------------------------------------
def problem_ledger_entries(*, status: str | None = None) -> QuerySet[ProblemLedgerEntry]:
    """Open entries first (earliest deadline first), then resolved ones (latest first)."""
    rows = ProblemLedgerEntry.objects.select_related("unit")
    if status:
        rows = rows.filter(status=status)
    if status == LedgerStatus.RESOLVED:
        return rows.order_by("-resolved_at", "-pk")
    return rows.order_by("status", "deadline", "-created_at")  # "open" sorts before "resolved"


def open_ledger_keys() -> set[tuple[int, str]]:
    """(unit id, term) of the open entries: a spike already on the ledger says so instead of offering a form."""
    return set(ProblemLedgerEntry.objects.filter(status=LedgerStatus.OPEN).values_list("unit_id", "term"))
