"""URLs on a tenant's host (<slug>.localhost)."""

from django.urls import include, path

from config.urls_common import common_urlpatterns
from tenants.accounts import views as account_views
from themes import views as theme_views
from themes.domains import views as domain_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("api/v1/", include("api.urls_tenant")),  # first: the hot path (rating intake) resolves at once
    path("settings/api-keys/", account_views.api_keys, name="api-keys-page"),
    path("settings/api-keys/<int:pk>/revoke", account_views.api_key_revoke_view, name="api-key-revoke-page"),
    path("settings/branding/", theme_views.branding, name="branding"),
    path("settings/theme/", include("themes.urls_tenant")),  # theme fields, preview, publishing
    path("settings/domains/", include("themes.domains.urls")),  # custom domain and its verification
    path(".well-known/haochaping-verify.txt", domain_views.token_file, name="domain-token"),  # re-checks
    path("billing/", include("billing.urls_tenant")),  # plan, usage, checkout, invoices
    path("settings/calendar/", include("tenants.workcalendar.urls")),
    path("settings/cases/", include("tenants.cases.urls_settings")),
    path("catalog/", include("tenants.catalog.urls")),
    path("organisation/", include("tenants.organisation.urls")),
    path("evaluations/", include("tenants.evaluations.urls_staff")),
    path("supervision/", include("tenants.supervision.urls")),
    path("assisted/", include("tenants.assisted.urls")),
    path("notify/", include("tenants.notify.urls")),
    path("appeals/", include("tenants.appeals.urls")),
    path("cases/", include("tenants.cases.urls")),
    path("insight/comments/", include("tenants.insight.textmining.urls")),
    path("insight/reports/", include("tenants.insight.reports.urls")),
    path("insight/scorecards/", include("tenants.insight.scorecards.urls")),
    path("insight/exports/", include("tenants.insight.exports.urls")),
    path("insight/", include("tenants.insight.dashboards.urls")),
    path("settings/portal/", include("tenants.portal.urls_settings")),
    path("setup/", include("tenants.setup.urls")),  # first-run checklist and the first admin's invitation
    path("support-access/", include("control_plane.console.urls_tenant")),  # platform support, by approval
    path("portal/", include("tenants.portal.urls")),  # public: no sign-in, no personal data
    path("", include("tenants.channels.urls")),  # citizen-facing: device page, QR, mobile page, widget
    path("", include("tenants.cases.urls_public")),  # citizen-facing: the evaluator's case status page
    *common_urlpatterns(schema_urlconf="config.urls_tenants"),
]
