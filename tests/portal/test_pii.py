"""No personal data on any public page: plant an evaluator's name, phone and ID number in the encrypted fields
AND in a consented comment, staff names and numbers in comments and case notes, then follow every link and
every GET form of the portal (months, units, indicators, pages, report PDFs) and look for them."""

import io
import re
from html.parser import HTMLParser
from itertools import product
from urllib.parse import urlencode, urljoin, urlsplit

from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from tenants.accounts.services import user_create
from tenants.cases.models import Case
from tenants.insight.reports.models import Report, ReportKind
from tenants.insight.reports.services import report_generate, report_publish
from tenants.portal.models import PortalSettings
from tests.conftest import PASSWORD, host_client
from tests.portal.conftest import ACTOR, EVALUATOR, month_key

PLANTED_COMMENT = (
    "我是王秀英，电话13912345678，也可打139 1234 5678，身份证11010519491231002X，"
    "工号S001的张敏和陈办理态度很差，邮箱wxy@example.com，尾号139****5678"
)
SECRET_COMMENT = "这条评论没有同意公开"
FORBIDDEN = (
    "王秀英",
    "秀英",
    "13912345678",
    "139 1234 5678",
    "1391234",
    "5678",
    "11010519491231002X",
    "110105",
    "张敏",
    "刘建国",
    "陈办理",
    "S001",
    "S002",
    "wxy@example.com",
    SECRET_COMMENT,
    "A01 综合受理窗口",  # the window: its staff could be told from it
)
MASKED = re.compile(r"\d{3}\s*[*＊xX]{3,}\s*\d{2,4}|[*＊]{3,}\d{3,4}")


class Links(HTMLParser):
    """Every href and every GET form (its hidden inputs and every option of its selects)."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.forms: list[dict] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        elif tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action") or "",
                "fields": {},
            }
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["fields"][a["name"]] = [a.get("value", "")]
        elif tag == "select" and self._form is not None:
            self._select = a.get("name")
            self._form["fields"][self._select] = []
        elif tag == "option" and self._form is not None and self._select:
            self._form["fields"][self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def pdf_text(data: bytes) -> str:
    """The PDF's text, page by page, and its metadata (title, author …). pypdf reads the CID font's Unicode
    map, so Chinese comes out as Chinese (asserted below with the report's title)."""
    reader = PdfReader(io.BytesIO(data))
    metadata = [str(value) for value in (reader.metadata or {}).values()]
    return "\n".join([*metadata, *(page.extract_text() for page in reader.pages)])


def crawl(host: str, start: str = "/portal/") -> dict[str, tuple[int, str, str]]:
    """url → (status, content type, text) for every same-host /portal/ URL reachable from `start`."""
    client = host_client(host)
    seen: dict[str, tuple[int, str, str]] = {}
    queue = [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        kind = response.get("Content-Type", "")
        body = pdf_text(response.content) if kind == "application/pdf" else response.content.decode()
        seen[url] = (response.status_code, kind, body)
        assert not response.cookies, url
        if "text/html" not in kind:
            continue
        parser = Links()
        parser.feed(body)
        found = [urljoin(url, href) for href in parser.hrefs]
        for form in parser.forms:
            assert form["method"] == "get", url  # a public page posts nothing
            names = list(form["fields"])
            for values in product(*(form["fields"][n] or [""] for n in names)):
                found.append(
                    urljoin(url, form["action"] or url.split("?")[0])
                    + "?"
                    + urlencode(dict(zip(names, values, strict=True)))
                )
        for link in found:
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith("/portal/"):
                continue  # another host, or a staff page (sign-in)
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def plant(portal) -> dict:
    """Ratings, bad reviews with consented and unconsented comments full of personal data, case notes with
    names, a published report."""
    portal.rate(12)
    portal.rate(3, small=True)  # with its bad review below: 4 ratings, under the threshold
    consented = portal.rate(2, level=5, comment=PLANTED_COMMENT, public=True, evaluator=EVALUATOR)
    portal.rate(1, level=4, comment=SECRET_COMMENT, public=False, evaluator=EVALUATOR)
    portal.rate(
        1, level=4, small=True, comment="刘建国（工号S002）让我跑了三次", public=True, evaluator=EVALUATOR
    )
    portal.rate(25, level=4)  # a second page of bad reviews
    with schema_context(portal.schema):
        user_create(
            actor=ACTOR, email="chen@alpha.example", role="officer", password=PASSWORD, display_name="陈办理"
        )
        Case.objects.filter(evaluation_id__in=consented).update(
            state="closed",
            outcome="fixed",
            feedback_at=timezone.now(),
            closed_at=timezone.now(),
            feedback_text="王秀英您好，张敏已道歉，电话13912345678",
            resolution_note="陈办理回访了王秀英（13912345678）",
        )
        today = timezone.localdate()
        report = Report.objects.create(
            title="本月好差评月报",
            kind=ReportKind.MONTHLY,
            period_start=today.replace(day=1),
            period_end=today,
            created_by="tests",
        )
        report_generate(report_id=report.pk)
        report_publish(actor=ACTOR, report=report, published=True)
        assert Report.objects.get(pk=report.pk).status == "done"
    return {"report": report.pk}


def test_no_public_page_holds_personal_data(portal):
    planted = plant(portal)
    pages = crawl(portal.host)
    # the crawl reached every kind of page, every month, the unit filter, the second page and the report
    urls = set(pages)
    assert f"/portal/reports/{planted['report']}.pdf" in urls
    assert any("page=2" in u for u in urls)
    assert any("unit=H01" in u for u in urls) and any("unit=D01" in u for u in urls)
    assert sum(1 for u in urls if u.startswith("/portal/results/?month=")) == 12
    assert any("indicator=bad_rate" in u for u in urls)
    assert len(urls) > 60
    # the report is read as text, Chinese included; its small hall (4 ratings) is folded, not named
    report_text = pages[f"/portal/reports/{planted['report']}.pdf"][2]
    assert "本月好差评月报" in report_text and "市民中心政务服务大厅" in report_text
    assert "样本不足，不单独公示" in report_text and "东区便民服务大厅" not in report_text
    for url, (status, _kind, body) in pages.items():
        assert status == 200, url
        for secret in FORBIDDEN:
            assert secret not in body, (url, secret)
        assert not MASKED.search(body), (url, MASKED.search(body).group(0))
    # the consented comment is there, scrubbed
    listed = "".join(body for url, (_s, _k, body) in pages.items() if url.startswith("/portal/bad-reviews/"))
    assert "＊＊态度很差" in listed and "邮箱＊＊" in listed
    assert "让我跑了三次" not in listed  # consented, but its unit is too small to be listed


def test_consented_comments_disappear_when_the_tenant_shows_no_comments(portal):
    portal.rate(6)
    portal.rate(1, level=5, comment="窗口人员很耐心但系统太慢", public=True)
    with schema_context(portal.schema):
        PortalSettings.objects.create(show_comments=False)
    pages = crawl(portal.host)
    assert not any("窗口人员很耐心" in body for _s, _k, body in pages.values())
    with schema_context(portal.schema):
        PortalSettings.objects.update(show_comments=True)
    page = host_client(portal.host).get("/portal/bad-reviews/", {"month": month_key()}).content.decode()
    assert "窗口人员很耐心但系统太慢" in page
