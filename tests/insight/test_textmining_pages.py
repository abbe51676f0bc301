"""Comment analysis pages: who may read (VIEW_INSIGHT) and who may keep the ledger (SUPERVISE_CASES), what they
show (terms, clusters, spikes, escaped comments, never the evaluator), and tenant isolation."""

from datetime import datetime, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.insight.services import rollups_drain
from tenants.insight.textmining.models import LedgerStatus, ProblemLedgerEntry
from tenants.insight.textmining.selectors import term_spike
from tenants.insight.textmining.services import problem_ledger_create
from tests.conftest import build_capture_world, host_client
from tests.insight.test_textmining_terms import rate
from tests.supervision.conftest import signed_in

SUPERVISOR = Actor(kind="user", id=None, label="lead@alpha.example", role="supervisor")
EVALUATOR = {
    "name": "欧阳娜娜",
    "phone": "13912345678",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
}
MARKUP = "<b>窗口排队太久</b><script>alert(1)</script>"


def seeded(world) -> None:
    """This week at the world's hall: six bad reviews about queues (one with markup), two about materials, a
    good review; all real-name (the pages must not show who)."""
    today = timezone.localdate()
    morning = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=9)
    comments = ["窗口排队太久，叫号很慢"] * 3 + [
        "排队两个小时，窗口叫号太慢",
        "窗口排队时间长，叫号混乱",
        MARKUP,
    ]
    ratings = [(morning - timedelta(days=i % 4, minutes=i), 5, c) for i, c in enumerate(comments)]
    ratings += [(morning - timedelta(days=1, minutes=30 + i), 4, "材料没有一次性告知") for i in range(2)]
    ratings += [(morning - timedelta(hours=1), 1, "网上预约很方便")]
    rate(world, ratings, prefix="W", evaluator=EVALUATOR)
    with schema_context(world.info.schema):
        rollups_drain()


def html(response) -> str:
    return response.content.decode()


def test_the_comments_page_shows_terms_clusters_and_spikes(world):
    seeded(world)
    client = signed_in(world.info, "officer")
    response = client.get("/insight/comments/")
    assert response.status_code == 200
    page = html(response)
    assert (
        'data-term="排队"' in page and 'data-term="tag:long_wait"' in page and 'data-term="窗口排队"' in page
    )
    assert 'id="chart-keywords"' in page and 'id="comments-chart"' in page and "echarts-5.6.0.min.js" in page
    assert 'class="cluster"' in page
    assert 'data-unit="H01" data-term="排队"' in page  # the planted spike
    # comments are text: escaped, and nothing about the evaluator
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    for secret in (EVALUATOR["name"], EVALUATOR["phone"], EVALUATOR["id_number"], "138****"):
        assert secret not in page
    # officers read but do not keep the ledger
    assert 'action="/insight/comments/ledger/new"' not in page


PII_COMMENT = "窗口排队太久，叫号很慢。我是欧阳娜娜，电话139 1234 5678，也可打139-1234-5678，身份证 110105 19491231 002X"
PII = ("欧阳娜娜", "娜娜", "139 1234 5678", "139-1234-5678", "110105", "19491231", "002X")


def test_comments_are_scrubbed_on_the_page_and_the_ledger_as_on_the_portal(world):
    """Spaced and dashed phone numbers, a spaced ID number and the evaluator's own name never reach a staff
    page: the comments page (spike and cluster samples) and a ledger entry's evidence."""
    today = timezone.localdate()
    morning = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=9)
    rate(
        world,
        [(morning - timedelta(days=i % 4, minutes=i), 5, PII_COMMENT) for i in range(6)],
        prefix="P",
        evaluator=EVALUATOR,
    )
    with schema_context(world.info.schema):
        rollups_drain()
    client = signed_in(world.info, "supervisor")
    page = html(client.get("/insight/comments/"))
    assert (
        page.count("窗口排队太久，叫号很慢。我是＊＊，电话＊＊，也可打＊＊，身份证 ＊＊") >= 3
    )  # samples shown
    for secret in PII:
        assert secret not in page, secret
    client.post(
        "/insight/comments/ledger/new",
        {"unit": "H01", "term": "排队", "title": "排队", "deadline_days": "5", "next": "/insight/comments/"},
    )
    with schema_context(world.info.schema):
        entry = ProblemLedgerEntry.objects.get()
    detail = html(client.get(f"/insight/comments/ledger/{entry.pk}/"))
    assert detail.count("我是＊＊，电话＊＊") == 6
    for secret in PII:
        assert secret not in detail, secret


def test_filters_narrow_the_page_and_bad_filters_are_reported(world):
    seeded(world)
    client = signed_in(world.info, "auditor")
    elsewhere = client.get("/insight/comments/", {"staff": "S001", "channel": "web"})
    # (spikes follow only the unit and the period's end: the frequency tables are what the filters narrow)
    assert elsewhere.status_code == 200 and '<tr data-term="排队">' not in html(elsewhere)
    staff = client.get("/insight/comments/", {"staff": "S001", "unit": "W01"})
    assert '<tr data-term="排队">' in html(staff)
    for query in ({"to": "0001-01-05"}, {"from": "9999-12-01", "to": "9999-12-31"}):
        edge = client.get("/insight/comments/", query)  # out of range: the form says so, never a 500
        assert edge.status_code == 200 and 'id="filter-errors"' in html(edge), query
        assert "不能早于" in html(edge) or "不能晚于" in html(edge)  # the bounds, said in Chinese
    wrong = client.get("/insight/comments/", {"staff": "NOBODY", "from": "2026-13-01"})
    assert (
        wrong.status_code == 200 and 'id="filter-errors"' in html(wrong) and 'data-term="' not in html(wrong)
    )


def test_who_may_see_the_pages(world):
    assert host_client(world.info.host).get("/insight/comments/").status_code == 302  # sign in first
    staff = signed_in(world.info, "window_staff")
    assert staff.get("/insight/comments/").status_code == 403
    assert staff.get("/insight/comments/ledger/").status_code == 403
    for role in ("supervisor", "auditor", "tenant_admin"):
        client = signed_in(world.info, role)
        assert client.get("/insight/comments/").status_code == 200, role
        assert client.get("/insight/comments/ledger/").status_code == 200, role


def test_a_supervisor_turns_a_spike_into_a_ledger_entry_and_resolves_it(world):
    seeded(world)
    client = signed_in(world.info, "supervisor")
    page = html(client.get("/insight/comments/"))
    assert 'action="/insight/comments/ledger/new"' in page and 'name="deadline_days" value="10"' in page
    form = {
        "unit": "H01",
        "term": "排队",
        "title": "A厅排队时间长",
        "deadline_days": "5",
        "next": "/insight/comments/",
    }
    response = client.post("/insight/comments/ledger/new", form)
    with schema_context(world.info.schema):
        entry = ProblemLedgerEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/insight/comments/ledger/{entry.pk}/"
    assert (
        entry.title == "A厅排队时间长"
        and entry.evidence["recent"] == 6
        and entry.created_by == client.user.email
    )
    # the same spike again: refused, nothing added, and the comments page now says it is on the ledger
    again = client.post("/insight/comments/ledger/new", form)
    assert again.status_code == 302 and again["Location"] == "/insight/comments/"
    with schema_context(world.info.schema):
        assert ProblemLedgerEntry.objects.count() == 1
    assert 'data-term="排队"' in html(client.get("/insight/comments/"))
    # the ledger lists it with a resolve form; the entry page shows the evidence, escaped
    ledger = html(client.get("/insight/comments/ledger/"))
    assert (
        f'data-entry="{entry.pk}"' in ledger
        and f'action="/insight/comments/ledger/{entry.pk}/resolve"' in ledger
    )
    detail = html(client.get(f"/insight/comments/ledger/{entry.pk}/"))
    assert 'id="evidence-weeks"' in detail and "&lt;script&gt;" in detail and "<script>alert" not in detail
    assert EVALUATOR["name"] not in detail and EVALUATOR["phone"] not in detail
    resolved = client.post(
        f"/insight/comments/ledger/{entry.pk}/resolve",
        {"note": "增开窗口", "next": "/insight/comments/ledger/"},
    )
    assert resolved.status_code == 302
    with schema_context(world.info.schema):
        entry.refresh_from_db()
        assert AuditEvent.objects.filter(action="problem_ledger.resolve", target_id=str(entry.pk)).exists()
    assert entry.status == LedgerStatus.RESOLVED and entry.resolution_note == "增开窗口"
    assert f'data-entry="{entry.pk}"' in html(client.get("/insight/comments/ledger/?status=resolved"))
    assert f'data-entry="{entry.pk}"' not in html(client.get("/insight/comments/ledger/"))


def test_officers_may_not_create_or_resolve_entries(world):
    seeded(world)
    with schema_context(world.info.schema):
        entry = problem_ledger_create(actor=SUPERVISOR, spike=term_spike(unit=world.hall, term="排队"))
    officer = signed_in(world.info, "officer")
    form = {"unit": "H01", "term": "叫号", "title": "叫号", "deadline_days": "5"}
    assert officer.post("/insight/comments/ledger/new", form).status_code == 403
    assert officer.post(f"/insight/comments/ledger/{entry.pk}/resolve", {"note": "x"}).status_code == 403
    assert officer.get(f"/insight/comments/ledger/{entry.pk}/").status_code == 200  # reading is fine
    with schema_context(world.info.schema):
        assert ProblemLedgerEntry.objects.count() == 1
        entry.refresh_from_db()
        assert entry.status == LedgerStatus.OPEN


def test_another_tenant_sees_none_of_it(world, beta):
    seeded(world)
    with schema_context(world.info.schema):
        entry = problem_ledger_create(actor=SUPERVISOR, spike=term_spike(unit=world.hall, term="排队"))
    beta_world = build_capture_world(beta)
    rate(beta_world, [(timezone.now() - timedelta(hours=2), 5, "停车难，没有停车位")], prefix="Q")
    with schema_context(beta.schema):
        rollups_drain()
    client = signed_in(beta, "supervisor")
    page = html(client.get("/insight/comments/"))
    assert 'data-term="停车位"' in page
    for term in ("排队", "叫号", "窗口排队"):
        assert f'data-term="{term}"' not in page
    assert 'data-unit="H01"' not in page  # alpha's spike (beta's own H01 has one rating: no spike)
    assert client.get(f"/insight/comments/ledger/{entry.pk}/").status_code == 404
    assert (
        client.post(f"/insight/comments/ledger/{entry.pk}/resolve", {"note": "mine now"}).status_code == 404
    )
    assert f'data-entry="{entry.pk}"' not in html(client.get("/insight/comments/ledger/?status=all"))
    with schema_context(world.info.schema):
        entry.refresh_from_db()
        assert entry.status == LedgerStatus.OPEN
    # and an alpha session means nothing on beta's host
    alpha_person = signed_in(world.info, "supervisor", "alpha-lead")
    assert alpha_person.get("/insight/comments/").status_code == 200
    assert alpha_person.get("/insight/comments/", HTTP_HOST=beta.host).status_code == 302
