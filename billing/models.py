"""Commerce in the public schema: plans and their entitlements, each tenant's subscription, resellers, and
what Stripe told us (events, invoices, usage reports). Tenant schemas never hold foreign keys to these."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BillingModel(models.TextChoices):
    WHOLESALE = "wholesale", _("Reseller pays wholesale for its tenants")
    DIRECT = "direct", _("Tenants pay directly, revenue share to the reseller")


class Reseller(models.Model):
    """A vendor that provisions and supports tenants for local governments under its own brand."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    billing_model = models.CharField(
        _("billing model"), max_length=16, choices=BillingModel.choices, default=BillingModel.WHOLESALE
    )
    commission_percent = models.DecimalField(
        _("commission (%)"), max_digits=5, decimal_places=2, default=0
    )  # of what its direct-paying tenants pay (revenue share)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_connect_account_id = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ResellerMembership(models.Model):
    """A control-plane account that works for a reseller (its console, its tenants only)."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reseller_membership"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} @ {self.reseller}"


class Plan(models.Model):
    """A plan and its entitlements. A limit of NULL means unlimited. Prices in fen (CNY cents)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    audience = models.CharField(_("for"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    max_halls = models.PositiveIntegerField(_("halls"), null=True, blank=True)
    max_windows = models.PositiveIntegerField(_("windows"), null=True, blank=True)
    max_devices = models.PositiveIntegerField(_("rating devices"), null=True, blank=True)
    max_staff = models.PositiveIntegerField(_("staff seats"), null=True, blank=True)
    api_access = models.BooleanField(_("API access"), default=False)
    reports = models.BooleanField(_("reports"), default=False)
    public_portal = models.BooleanField(_("public portal"), default=False)
    national_feed = models.BooleanField(_("national feed participation"), default=False)
    trial_days = models.PositiveIntegerField(_("trial days"), default=0)
    monthly_price = models.PositiveIntegerField(_("monthly price (fen)"), default=0)
    price_per_rating = models.DecimalField(
        _("metered price per rating (fen)"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    stripe_price_id = models.CharField(max_length=64, blank=True)
    stripe_metered_price_id = models.CharField(max_length=64, blank=True)
    is_public = models.BooleanField(_("shown on the public site"), default=True)
    highlighted = models.BooleanField(default=False)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class WholesalePrice(models.Model):
    """What a reseller pays per month for one tenant on a plan."""

    reseller = models.ForeignKey(Reseller, on_delete=models.CASCADE, related_name="wholesale_prices")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    monthly_price = models.PositiveIntegerField(_("wholesale monthly price (fen)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reseller", "plan"], name="wholesale_price_once")]

    def __str__(self) -> str:
        return f"{self.reseller_id}/{self.plan_id}: {self.monthly_price}"


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Payment overdue (grace period)")
    UNPAID = "unpaid", _("Unpaid (administration read-only)")
    CANCELLED = "cancelled", _("Cancelled")


class Payer(models.TextChoices):
    TENANT = "tenant", _("The tenant")
    RESELLER = "reseller", _("The reseller (wholesale)")


class CollectionMethod(models.TextChoices):
    CARD = "charge_automatically", _("Card (Stripe Checkout)")
    INVOICE = "send_invoice", _("Invoice, paid by bank transfer")


class Subscription(models.Model):
    """A tenant's plan and billing state. Stripe is the source of truth when billing is enabled; webhooks move
    `status` (applied only when newer than `stripe_version`, so out-of-order events never roll it back)."""

    tenant = models.OneToOneField("tenants.Tenant", on_delete=models.CASCADE, related_name="subscription")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(
        max_length=16, choices=SubscriptionStatus.choices, default=SubscriptionStatus.TRIALING
    )
    payer = models.CharField(max_length=16, choices=Payer.choices, default=Payer.TENANT)
    collection_method = models.CharField(
        max_length=24, choices=CollectionMethod.choices, default=CollectionMethod.CARD
    )
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_subscription_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_subscription_item_id = models.CharField(max_length=64, blank=True)  # the tenant's line (wholesale)
    stripe_version = models.BigIntegerField(default=0)  # `created` of the last Stripe event applied
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    archive_after = models.DateTimeField(null=True, blank=True)  # cancelled: retention ends
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.plan_id} {self.status}"


class StripeEventStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored (not relevant)")
    FAILED = "failed", _("Failed (will retry)")


class StripeEvent(models.Model):
    """Every verified webhook event, stored once by its id before it is processed by the worker."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64)
    api_created = models.BigIntegerField()  # the event's `created` (Unix seconds)
    payload = models.JSONField()
    status = models.CharField(
        max_length=12, choices=StripeEventStatus.choices, default=StripeEventStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # failed: when the sweep retries it

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"], name="stripe_event_status")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class Invoice(models.Model):
    """A Stripe invoice as last reported, with the reseller's revenue share recorded (direct billing)."""

    stripe_invoice_id = models.CharField(max_length=64, unique=True)
    tenant = models.ForeignKey(
        "tenants.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reseller = models.ForeignKey(
        Reseller, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    status = models.CharField(max_length=16)  # draft / open / paid / uncollectible / void
    collection_method = models.CharField(max_length=24, blank=True)
    currency = models.CharField(max_length=3, default="cny")
    amount_due = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)
    revenue_share = models.BigIntegerField(default=0)  # to the reseller, in the invoice's currency
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    stripe_version = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.stripe_invoice_id


class UsageReport(models.Model):
    """Ratings of one month reported to Stripe for a metered price; one row per tenant and month."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # first day of the month
    ratings = models.BigIntegerField()
    reported_at = models.DateTimeField(null=True, blank=True)
    stripe_identifier = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "month"], name="usage_report_once")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.month:%Y-%m}: {self.ratings}"
