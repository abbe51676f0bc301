"""A reseller's monthly statement: one line per tenant, with its plan, the days it was active in the month and
what the reseller owes or earns, as a page, CSV (UTF-8 with BOM, formula-safe), XLSX and PDF.

- Wholesale billing: the plan's wholesale price for the reseller, prorated by the days active:
  round_half_up(price × days active ÷ days in the month), in fen. A tenant is active from the local day it was
  created to the local day its subscription was cancelled (both included); in the running month, up to today.
- Direct billing (and any invoice that names the reseller): the tenant's paid invoices (billing.Invoice with
  this reseller and status "paid") whose billing period starts in the month (when Stripe gave no period: created
  in the month), their amount paid and the reseller's commission as recorded on each invoice (revenue_share).

The plan is the subscription's current plan: a change within the month is priced as if it held all month.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from control_plane.benchmarking.selectors import month_end
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import BillingModel, Invoice, Reseller
from billing.resellers.selectors import subscription_of, wholesale_price_map
from tenants.models import Tenant

PAID = "paid"


def yuan(fen: int | None) -> Decimal | None:
    """Fen as yuan with two decimals."""
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


def prorate(monthly_fen: int, days: int, days_in_month: int) -> int:
    return int((Decimal(monthly_fen) * days / days_in_month).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class StatementLine:
    tenant_id: int | None
    tenant_name: str
    tenant_slug: str
    plan_name: str
    days_active: int
    wholesale_monthly: int | None  # fen; None: wholesale does not apply, or no price for the plan
    wholesale_amount: int  # fen
    invoices_paid: int
    amount_paid: int  # fen
    commission: int  # fen
    missing_price: bool = False  # wholesale, but the reseller has no wholesale price for the plan


@dataclass(frozen=True)
class Statement:
    reseller: Reseller
    month: date  # first day
    through: date  # last day counted (the month's last day, or today in the running month)
    days_in_month: int
    billing_model: str
    lines: list[StatementLine]
    generated_at: datetime

    @property
    def partial(self) -> bool:
        return self.through < month_end(self.month)

    @property
    def wholesale(self) -> bool:
        return self.billing_model == BillingModel.WHOLESALE

    @property
    def total_wholesale(self) -> int:
        return sum(line.wholesale_amount for line in self.lines)

    @property
    def total_invoices(self) -> int:
        return sum(line.invoices_paid for line in self.lines)

    @property
    def total_paid(self) -> int:
        return sum(line.amount_paid for line in self.lines)

    @property
    def total_commission(self) -> int:
        return sum(line.commission for line in self.lines)

    @property
    def total_days(self) -> int:
        return sum(line.days_active for line in self.lines)

    @property
    def label(self) -> str:
        return f"{self.month.year:04d}-{self.month.month:02d}"  # strftime drops leading zeros of years < 1000


FIRST_YEAR = 2000  # no statement before the platform existed


def parse_month(value: str, *, today: date | None = None) -> date:
    """'YYYY-MM' as the month's first day, from FIRST_YEAR up to next year (ValidationError otherwise: a year
    such as 0999 or 9999 is no month anyone has a statement for, and 9999-12 has no month after it)."""
    try:
        month = datetime.strptime((value or "").strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationError(_("Choose a month (YYYY-MM)."), code="month") from None
    last_year = (today or timezone.localdate()).year + 1
    if not FIRST_YEAR <= month.year <= last_year:
        raise ValidationError(
            _("Choose a month from %(first)d-01 to %(last)d-12.") % {"first": FIRST_YEAR, "last": last_year},
            code="month_range",
        )
    return month


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def _days_active(tenant: Tenant, first: date, through: date) -> int:
    start = max(timezone.localdate(tenant.created_at), first)
    subscription = subscription_of(tenant)
    end = through
    if subscription is not None and subscription.cancelled_at is not None:
        end = min(end, timezone.localdate(subscription.cancelled_at))
    return max(0, (end - start).days + 1)


def statement_for(reseller: Reseller, month: date, *, today: date | None = None) -> Statement:
    """The reseller's statement for the month that `month` falls in (not a month still to come)."""
    today = today or timezone.localdate()
    first = month.replace(day=1)
    last = month_end(first)
    if first > today:
        raise ValidationError(_("That month has not begun yet."), code="future")
    through = min(last, today)
    start, end = _bounds(first, last)
    invoices = {
        row["tenant_id"]: row
        for row in Invoice.objects.filter(reseller=reseller, status=PAID, tenant__isnull=False)
        .filter(
            Q(period_start__gte=start, period_start__lt=end)
            | Q(period_start__isnull=True, created_at__gte=start, created_at__lt=end)
        )
        .values("tenant_id")
        .annotate(n=Count("id"), paid=Sum("amount_paid"), share=Sum("revenue_share"))
    }
    tenants = (
        Tenant.objects.filter(Q(reseller=reseller) | Q(pk__in=list(invoices)))
        .exclude(schema_name="public")
        .select_related("subscription__plan")
        .order_by("name", "slug")
    )
    wholesale = reseller.billing_model == BillingModel.WHOLESALE
    prices = wholesale_price_map(reseller) if wholesale else {}
    days_in_month = (last - first).days + 1
    lines = []
    for tenant in tenants:
        subscription = subscription_of(tenant)
        days = _days_active(tenant, first, through) if tenant.reseller_id == reseller.pk else 0
        paid = invoices.get(tenant.pk, {})
        if days == 0 and not paid:
            continue  # not yet (or no longer) the reseller's in that month
        price = prices.get(subscription.plan_id) if wholesale and subscription is not None else None
        lines.append(
            StatementLine(
                tenant_id=tenant.pk,
                tenant_name=tenant.name,
                tenant_slug=tenant.slug,
                plan_name=subscription.plan.name if subscription is not None else "—",
                days_active=days,
                wholesale_monthly=price,
                wholesale_amount=prorate(price, days, days_in_month) if price is not None else 0,
                invoices_paid=paid.get("n") or 0,
                amount_paid=paid.get("paid") or 0,
                commission=paid.get("share") or 0,
                missing_price=wholesale and days > 0 and price is None,
            )
        )
    return Statement(
        reseller=reseller,
        month=first,
        through=through,
        days_in_month=days_in_month,
        billing_model=reseller.billing_model,
        lines=lines,
        generated_at=timezone.now(),
    )


# --- files ---------------------------------------------------------------------------------------------------
def header() -> list[str]:
    return [
        _("Tenant"),
        _("Subdomain"),
        _("Plan"),
        _("Days active"),
        _("Days in the month"),
        _("Wholesale price per month (yuan)"),
        _("Wholesale amount (yuan)"),
        _("Invoices paid"),
        _("Amount paid (yuan)"),
        _("Commission (yuan)"),
    ]


def rows(statement: Statement) -> list[list]:
    """The table, one row per tenant and a total row last; amounts in yuan (Decimal), blanks as ''."""
    body: list[list] = [
        [
            line.tenant_name,
            line.tenant_slug,
            line.plan_name,
            line.days_active,
            statement.days_in_month,
            yuan(line.wholesale_monthly) if line.wholesale_monthly is not None else "",
            yuan(line.wholesale_amount),
            line.invoices_paid,
            yuan(line.amount_paid),
            yuan(line.commission),
        ]
        for line in statement.lines
    ]
    body.append(
        [
            _("Total"),
            "",
            "",
            statement.total_days,
            "",
            "",
            yuan(statement.total_wholesale),
            statement.total_invoices,
            yuan(statement.total_paid),
            yuan(statement.total_commission),
        ]
    )
    return body


def about(statement: Statement) -> list[tuple[str, str]]:
    reseller = statement.reseller
    return [
        (_("Reseller"), reseller.name),
        (_("Month"), statement.label),
        (_("Counted through"), statement.through.isoformat()),
        (_("Billing model"), str(BillingModel(statement.billing_model).label)),
        (_("Commission (%)"), str(reseller.commission_percent)),
        (_("Generated"), timezone.localtime(statement.generated_at).strftime("%Y-%m-%d %H:%M")),
    ]


def file_name(statement: Statement, extension: str) -> str:
    return f"statement-{statement.reseller.slug}-{statement.label}.{extension}"


def statement_csv(statement: Statement) -> bytes:
    from tenants.insight.exports.writers import csv_blocks

    return b"".join(csv_blocks(header(), rows(statement)))


def statement_xlsx(statement: Statement) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from tenants.insight.exports.writers import xlsx_cells  # formula-safe, without what XML cannot carry

    book = Workbook()
    sheet = book.active
    sheet.title = statement.label
    sheet.append(xlsx_cells(header()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(statement):
        sheet.append(xlsx_cells(row))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in ("F", "G", "I", "J"):
        for cell in sheet[column][1:]:
            cell.number_format = "0.00"
    sheet.freeze_panes = "A2"
    info = book.create_sheet(_("About")[:31])
    for key, value in about(statement):
        info.append(xlsx_cells([key, value]))
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    """A4 landscape, in the reports' CID font (STSong-Light) so Chinese renders without a font file."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from tenants.insight.reports.render_pdf import MARGIN, _escape, _heading, _note, _style, _table

    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=_("Statement %(month)s") % {"month": statement.label},
        author=statement.reseller.name,
    )
    width = page[0] - 2 * MARGIN
    title = _("Statement %(month)s: %(reseller)s") % {
        "month": statement.label,
        "reseller": statement.reseller.name,
    }
    story = [Paragraph(_escape(title), _style(18, space_after=4))]
    story += [_note(f"{key}: {value}") for key, value in about(statement)]
    if statement.partial:
        story.append(_note(_("The month is still running: days are counted up to today.")))
    story.append(_heading(_("Tenants")))
    body = [["" if cell is None else str(cell) for cell in row] for row in rows(statement)]
    shares = (0.2, 0.1, 0.1, 0.07, 0.07, 0.1, 0.1, 0.07, 0.09, 0.1)
    story.append(_table(header(), body, [width * s for s in shares], numeric_from=3))
    story.append(Spacer(1, 6))
    story.append(
        _note(
            _(
                "Wholesale amount = wholesale price per month × days active ÷ days in the month, rounded to the "
                "fen. Commission = the revenue share recorded on each paid invoice."
            )
        )
    )
    doc.build(story)
    return buffer.getvalue()
