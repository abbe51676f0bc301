"""The monthly statement against a hand-computed fixture (March 2026, 31 days), on the page and read back from
the CSV, the XLSX (openpyxl) and the PDF (pypdf).

Reseller A, wholesale: standard ¥300.00 and flagship ¥800.00 per month.
  alpha  flagship, since 2025-12-01                         31 days  80000 fen
  gamma  standard, created 2026-03-12                        20 days  30000 × 20 / 31 = 19354.84 → 19355 fen
  delta  standard, created 2026-02-01, cancelled 2026-03-10  10 days  30000 × 10 / 31 =  9677.42 →  9677 fen
  eps    standard, created 2026-04-02                         not in March: no line
  total                                                               109032 fen = ¥1,090.32
Reseller B, direct (20 %): beta's paid invoices whose period starts in March: ¥99.00 (share ¥19.80) and ¥50.00
(share ¥10.00); an open one and a February one do not count. Total paid ¥149.00, commission ¥29.80.
"""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.models import Invoice, Plan, Subscription, SubscriptionStatus
from billing.resellers.statements import statement_for
from tenants.models import Tenant

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = "2026-03"


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _registry_tenant(slug: str, name: str, reseller, created: datetime, plan: str, cancelled=None) -> Tenant:
    """A registry row only (no schema): statements read nothing else."""
    tenant = Tenant.objects.create(
        schema_name=slug, slug=slug, name=name, kind="county", region_code="440305", reseller=reseller
    )
    Tenant.objects.filter(pk=tenant.pk).update(created_at=created)
    Subscription.objects.create(
        tenant=tenant,
        plan=Plan.objects.get(code=plan),
        status=SubscriptionStatus.CANCELLED if cancelled else SubscriptionStatus.ACTIVE,
        cancelled_at=cancelled,
    )
    return tenant


@pytest.fixture
def fixture_a(side_a, alpha):
    Subscription.objects.filter(tenant=alpha.tenant).update(plan=Plan.objects.get(code="flagship"))
    _registry_tenant("gamma", "丙县政务服务中心", side_a.reseller, _at(2026, 3, 12, 9), "standard")
    _registry_tenant(
        "delta",
        "=丁县政务服务中心",
        side_a.reseller,
        _at(2026, 2, 1, 9),
        "standard",
        cancelled=_at(2026, 3, 10, 18),
    )
    _registry_tenant("eps", "戊县政务服务中心", side_a.reseller, _at(2026, 4, 2, 9), "standard")
    return side_a


@pytest.fixture
def fixture_b(side_b, beta):
    def invoice(number, status, start, paid, share):
        Invoice.objects.create(
            stripe_invoice_id=f"in_{number}",
            tenant=beta.tenant,
            reseller=side_b.reseller,
            status=status,
            amount_due=paid,
            amount_paid=paid if status == "paid" else 0,
            revenue_share=share,
            period_start=start,
        )

    invoice(1, "paid", _at(2026, 3, 1, 0), 9900, 1980)
    invoice(2, "paid", _at(2026, 3, 15, 0), 5000, 1000)
    invoice(3, "open", _at(2026, 3, 20, 0), 9900, 1980)
    invoice(4, "paid", _at(2026, 2, 1, 0), 9900, 1980)
    return side_b


def test_wholesale_amounts_are_prorated_by_days_active(fixture_a):
    statement = statement_for(fixture_a.reseller, datetime(2026, 3, 1).date())
    lines = {line.tenant_slug: line for line in statement.lines}
    assert set(lines) == {"alpha", "gamma", "delta"}
    assert [(lines[s].days_active, lines[s].wholesale_amount) for s in ("alpha", "gamma", "delta")] == [
        (31, 80000),
        (20, 19355),
        (10, 9677),
    ]
    assert statement.total_wholesale == 109032 and statement.total_commission == 0
    assert not statement.partial and statement.days_in_month == 31


def test_direct_billing_counts_paid_invoices_and_their_commission(fixture_b):
    statement = statement_for(fixture_b.reseller, datetime(2026, 3, 1).date())
    (line,) = statement.lines
    assert (line.tenant_slug, line.days_active, line.wholesale_amount) == ("beta", 31, 0)
    assert (line.invoices_paid, line.amount_paid, line.commission) == (2, 14900, 2980)
    assert (statement.total_paid, statement.total_commission) == (14900, 2980)


def test_the_page_shows_the_figures(fixture_a):
    html = fixture_a.client.get(f"/reseller/statements/?month={MARCH}").content.decode()
    assert 'id="total-wholesale">¥1,090.32<' in html
    assert 'data-tenant="gamma"' in html and 'data-tenant="eps"' not in html
    assert fixture_a.client.get("/reseller/statements/?month=2999-01").status_code == 400


def test_the_csv_reads_back_with_a_bom_and_safe_cells(fixture_a):
    response = fixture_a.client.get(f"/reseller/statements/{MARCH}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="statement-resa-2026-03.csv"'
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    body = {row[1]: row for row in rows[1:-1]}
    assert body["gamma"][3:7] == ["20", "31", "300.00", "193.55"]
    assert body["delta"][0] == "'=丁县政务服务中心"  # a spreadsheet would run it as a formula
    assert rows[-1][0] == "Total" and rows[-1][6] == "1090.32"


def test_the_xlsx_reads_back(fixture_a):
    response = fixture_a.client.get(f"/reseller/statements/{MARCH}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    body = {row[1]: row for row in rows[1:-1]}
    assert body["alpha"][3] == 31 and float(body["alpha"][6]) == 800.00
    assert float(body["delta"][6]) == 96.77 and body["delta"][0] == "'=丁县政务服务中心"
    assert rows[-1][0] == "Total" and float(rows[-1][6]) == 1090.32


def test_the_pdf_reads_back_in_chinese(fixture_b):
    response = fixture_b.client.get(f"/reseller/statements/{MARCH}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "乙代理公司" in text and "乙省政务服务管理局" in text
    assert "149.00" in text and "29.80" in text


def test_a_month_to_come_has_no_statement(fixture_a):
    assert fixture_a.client.get("/reseller/statements/2999-01.pdf").status_code == 404


@pytest.mark.parametrize("month", ["0999-01", "1999-12", "9999-12"])
def test_a_month_out_of_range_is_refused_with_a_reason_not_a_server_error(fixture_a, month):
    page = fixture_a.client.get("/reseller/statements/", {"month": month})
    assert page.status_code == 400
    assert "Choose a month from 2000-01 to" in page.content.decode()
    for fmt in ("csv", "xlsx", "pdf"):
        assert fixture_a.client.get(f"/reseller/statements/{month}.{fmt}").status_code == 404, fmt


def test_a_month_in_range_is_labelled_with_four_digits(fixture_a):
    response = fixture_a.client.get("/reseller/statements/2000-01.csv")
    assert response["Content-Disposition"] == 'attachment; filename="statement-resa-2000-01.csv"'


def test_a_name_with_a_control_character_does_not_break_the_files(fixture_a):
    # given a tenant whose name carries a control character (from an application form)
    _registry_tenant("zeta", "己\x0b县\x1f政务服务中心", fixture_a.reseller, _at(2026, 3, 2, 9), "standard")
    # when the statement is downloaded, then every file is made, without the character
    xlsx = fixture_a.client.get(f"/reseller/statements/{MARCH}.xlsx")
    assert xlsx.status_code == 200
    rows = [
        [cell.value for cell in row]
        for row in load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows()
    ]
    assert {row[1]: row[0] for row in rows[1:-1]}["zeta"] == "己县政务服务中心"
    assert fixture_a.client.get(f"/reseller/statements/{MARCH}.pdf").status_code == 200
    assert fixture_a.client.get(f"/reseller/statements/{MARCH}.csv").status_code == 200
