"""Roles and their permissions, defined once. Every server-side check goes through `has_permission`.

Tenant roles live in tenant schemas; control-plane roles in the public schema. Machine roles are for API
keys (rating devices, online platforms and hotlines, work-order systems, the national feed consumer).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # tenant people
    TENANT_ADMIN = "tenant_admin", _("Tenant administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    OFFICER = "officer", _("Handling officer")
    WINDOW_STAFF = "window_staff", _("Window staff")
    AUDITOR = "auditor", _("Auditor (read-only)")
    # tenant machines
    DEVICE = "device", _("Rating device or kiosk")
    INTEGRATION = "integration", _("Business system integration")
    WORK_ORDER = "work_order", _("Work-order or 12345 hotline system")
    WIDGET = "widget", _("Online rating widget (rates only)")
    SMS_GATEWAY = "sms_gateway", _("SMS gateway (relays SMS replies only)")
    # control plane people and machines
    NATIONAL_STAFF = "national_staff", _("National staff")
    RESELLER_STAFF = "reseller_staff", _("Reseller staff")
    NATIONAL_FEED = "national_feed", _("National feed consumer")


TENANT_ROLES = frozenset(
    {
        Role.TENANT_ADMIN,
        Role.SUPERVISOR,
        Role.OFFICER,
        Role.WINDOW_STAFF,
        Role.AUDITOR,
        Role.DEVICE,
        Role.INTEGRATION,
        Role.WORK_ORDER,
        Role.WIDGET,
        Role.SMS_GATEWAY,
    }
)
CONTROL_PLANE_ROLES = frozenset({Role.NATIONAL_STAFF, Role.RESELLER_STAFF, Role.NATIONAL_FEED})
MACHINE_ROLES = frozenset(
    {Role.DEVICE, Role.INTEGRATION, Role.WORK_ORDER, Role.WIDGET, Role.SMS_GATEWAY, Role.NATIONAL_FEED}
)
# Roles for which a tenant (or production) can require two-factor sign-in.
ADMIN_ROLES = frozenset({Role.TENANT_ADMIN, Role.SUPERVISOR, Role.NATIONAL_STAFF, Role.RESELLER_STAFF})


class Perm:
    """Permission codes. Later issues add theirs here and grant them below."""

    VIEW_ACCOUNT = "account.view"
    MANAGE_USERS = "users.manage"
    MANAGE_API_KEYS = "api_keys.manage"
    MANAGE_BRANDING = "branding.manage"
    MANAGE_BILLING = "billing.manage"  # the tenant's plan, payment and invoices (/billing/)
    VIEW_AUDIT = "audit.view"
    MANAGE_TENANTS = "tenants.manage"
    VIEW_TENANTS = "tenants.view"
    VIEW_NATIONAL = "national.view"  # the national console and league tables: every tenant's figures
    READ_NATIONAL_FEED = "national_feed.read"
    READ_CATALOG = "catalog.read"
    MANAGE_CATALOG = "catalog.manage"
    MANAGE_ORGANISATION = "organisation.manage"
    SUBMIT_EVALUATIONS = "evaluations.submit"
    REGISTER_TRANSACTIONS = "transactions.register"
    ENTER_PAPER_EVALUATIONS = "evaluations.enter_paper"
    VIEW_EVALUATIONS = "evaluations.view"
    REVEAL_IDENTITY = "identity.reveal"
    RUN_SUPERVISION = "supervision.run"
    RELAY_SMS = "sms.relay"
    # closed loop (差评整改): officers see and handle their unit's cases; supervisors every case
    VIEW_CASES = "cases.view"
    HANDLE_CASES = "cases.handle"
    SUPERVISE_CASES = "cases.supervise"
    CONFIGURE_CASES = "cases.configure"
    # appeals (申诉复核): the evaluated staff or unit files; someone above the unit decides
    FILE_APPEALS = "appeals.file"
    DECIDE_APPEALS = "appeals.decide"
    # insight (分析与公开): dashboards and scorecards for staff, indicator figures for integrators
    VIEW_INSIGHT = "insight.view"
    READ_INDICATORS = "indicators.read"
    MANAGE_REPORTS = "reports.manage"
    EXPORT_DATA = "data.export"
    MANAGE_PORTAL = "portal.manage"
    # commerce: a reseller's staff use its console (its own tenants, sign-ups and statements only)
    USE_RESELLER_CONSOLE = "reseller.console"


PERMISSION_LABELS = {
    Perm.VIEW_ACCOUNT: _("See your own account"),
    Perm.MANAGE_USERS: _("Manage staff accounts"),
    Perm.MANAGE_API_KEYS: _("Manage API keys"),
    Perm.MANAGE_BRANDING: _("Change the branding"),
    Perm.MANAGE_BILLING: _("Choose the plan, pay and see invoices"),
    Perm.VIEW_AUDIT: _("Read the audit trail"),
    Perm.MANAGE_TENANTS: _("Provision and manage tenants"),
    Perm.VIEW_TENANTS: _("See tenants"),
    Perm.VIEW_NATIONAL: _("See the national console and league tables (every tenant)"),
    Perm.READ_NATIONAL_FEED: _("Read the national feed"),
    Perm.READ_CATALOG: _("Read the catalogue and organisation"),
    Perm.MANAGE_CATALOG: _("Manage the service catalogue"),
    Perm.MANAGE_ORGANISATION: _("Manage units, staff, platforms and devices"),
    Perm.SUBMIT_EVALUATIONS: _("Submit ratings (devices and integrations)"),
    Perm.REGISTER_TRANSACTIONS: _("Register transactions"),
    Perm.ENTER_PAPER_EVALUATIONS: _("Enter paper rating forms"),
    Perm.VIEW_EVALUATIONS: _("See evaluations"),
    Perm.REVEAL_IDENTITY: _("Reveal an evaluator's identity (audited)"),
    Perm.RUN_SUPERVISION: _("Run surveys, callbacks and third-party assessments"),
    Perm.RELAY_SMS: _("Relay SMS replies (SMS gateway)"),
    Perm.VIEW_CASES: _("See bad-review cases (own unit, or all for supervisors)"),
    Perm.HANDLE_CASES: _("Call back, verify, rectify and feed back on cases"),
    Perm.SUPERVISE_CASES: _("Reassign, reopen, confirm and spot-check cases"),
    Perm.CONFIGURE_CASES: _("Set case deadlines and routing"),
    Perm.FILE_APPEALS: _("Appeal a rating of yourself or your unit"),
    Perm.DECIDE_APPEALS: _("Decide appeals about units below yours"),
    Perm.VIEW_INSIGHT: _("See dashboards, scorecards and comment analysis"),
    Perm.READ_INDICATORS: _("Read indicator figures"),
    Perm.MANAGE_REPORTS: _("Generate and schedule reports"),
    Perm.EXPORT_DATA: _("Export evaluations and cases (masked)"),
    Perm.MANAGE_PORTAL: _("Configure the public disclosure portal"),
    Perm.USE_RESELLER_CONSOLE: _("Use the reseller console (own tenants, sign-ups and statements)"),
}

_STAFF_READ = frozenset({Perm.VIEW_ACCOUNT, Perm.READ_CATALOG, Perm.VIEW_EVALUATIONS})
_INSIGHT_READ = frozenset({Perm.VIEW_INSIGHT, Perm.READ_INDICATORS})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.TENANT_ADMIN: _STAFF_READ
    | {
        Perm.MANAGE_USERS,
        Perm.MANAGE_API_KEYS,
        Perm.MANAGE_BRANDING,
        Perm.MANAGE_BILLING,
        Perm.VIEW_AUDIT,
        Perm.MANAGE_CATALOG,
        Perm.MANAGE_ORGANISATION,
        Perm.REGISTER_TRANSACTIONS,
        Perm.ENTER_PAPER_EVALUATIONS,
        Perm.RUN_SUPERVISION,
        Perm.VIEW_CASES,
        Perm.SUPERVISE_CASES,
        Perm.CONFIGURE_CASES,
        Perm.DECIDE_APPEALS,
        Perm.MANAGE_REPORTS,
        Perm.EXPORT_DATA,
        Perm.MANAGE_PORTAL,
    }
    | _INSIGHT_READ,
    Role.SUPERVISOR: _STAFF_READ
    | _INSIGHT_READ
    | {
        Perm.MANAGE_REPORTS,
        Perm.EXPORT_DATA,
        Perm.VIEW_AUDIT,
        Perm.REVEAL_IDENTITY,
        Perm.RUN_SUPERVISION,
        Perm.VIEW_CASES,
        Perm.SUPERVISE_CASES,
        Perm.DECIDE_APPEALS,
    },
    Role.OFFICER: _STAFF_READ
    | _INSIGHT_READ
    | {Perm.ENTER_PAPER_EVALUATIONS, Perm.VIEW_CASES, Perm.HANDLE_CASES, Perm.FILE_APPEALS},
    Role.WINDOW_STAFF: _STAFF_READ | {Perm.ENTER_PAPER_EVALUATIONS, Perm.FILE_APPEALS},
    Role.AUDITOR: _STAFF_READ | _INSIGHT_READ | {Perm.VIEW_AUDIT, Perm.VIEW_CASES, Perm.EXPORT_DATA},
    # Machines rate and register; people never rate on an evaluator's behalf (paper entry aside).
    Role.DEVICE: frozenset({Perm.VIEW_ACCOUNT, Perm.READ_CATALOG, Perm.SUBMIT_EVALUATIONS}),
    Role.INTEGRATION: frozenset(
        {
            Perm.VIEW_ACCOUNT,
            Perm.READ_CATALOG,
            Perm.SUBMIT_EVALUATIONS,
            Perm.REGISTER_TRANSACTIONS,
            Perm.RELAY_SMS,
            Perm.READ_INDICATORS,
        }
    ),
    # Work-order and 12345 hotline systems drive cases through the API (tenant-wide). A separate role: the
    # platforms that submit ratings must not handle (close) the bad reviews they carry.
    Role.WORK_ORDER: frozenset({Perm.VIEW_ACCOUNT, Perm.READ_CATALOG, Perm.VIEW_CASES, Perm.HANDLE_CASES}),
    # Its key sits in a public web page: it may rate and nothing else.
    Role.WIDGET: frozenset({Perm.SUBMIT_EVALUATIONS}),
    # The SMS gateway relays the replies citizens send (the ratings themselves); it sends no invitations and
    # reads nothing else. Its own role so that a plan without API access can still take SMS ratings.
    Role.SMS_GATEWAY: frozenset({Perm.VIEW_ACCOUNT, Perm.RELAY_SMS}),
    Role.NATIONAL_STAFF: frozenset(
        {
            Perm.VIEW_ACCOUNT,
            Perm.MANAGE_TENANTS,
            Perm.VIEW_TENANTS,
            Perm.VIEW_NATIONAL,
            Perm.VIEW_AUDIT,
            Perm.MANAGE_API_KEYS,
            Perm.READ_NATIONAL_FEED,
        }
    ),
    # Not VIEW_NATIONAL: a reseller sees only its own customers (a reseller console, commerce issue).
    Role.RESELLER_STAFF: frozenset({Perm.VIEW_ACCOUNT, Perm.VIEW_TENANTS, Perm.USE_RESELLER_CONSOLE}),
    Role.NATIONAL_FEED: frozenset({Perm.VIEW_ACCOUNT, Perm.READ_NATIONAL_FEED}),
}


def has_permission(role: str | None, perm: str) -> bool:
    return perm in ROLE_PERMISSIONS.get(role or "", frozenset())


def roles_for_schema(schema_name: str) -> frozenset[str]:
    return CONTROL_PLANE_ROLES if schema_name == "public" else TENANT_ROLES
