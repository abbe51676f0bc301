from control_plane.onboarding.demo import DEMO_APPLICANT
from django.conf import settings
from django.core.management.base import BaseCommand

from billing.resellers.demo import DEMO_RESELLER_LOGIN
from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, NATIONAL_LOGIN, demo_admin_email


class Command(BaseCommand):
    help = "Print the demo URLs and logins."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PORT)

    def handle(self, *args, port, **options):
        base = settings.BASE_DOMAIN
        lines = [
            "",
            "好差评 Cloud is starting. Open:",
            f"  Control plane  http://{base}:{port}/   login {NATIONAL_LOGIN} / {DEMO_PASSWORD}",
        ]
        for spec in DEMO_TENANTS:
            lines.append(
                f"  {spec['name']}  http://{spec['slug']}.{base}:{port}/   "
                f"login {demo_admin_email(spec['slug'])} / {DEMO_PASSWORD}"
            )
        first = DEMO_TENANTS[0]["slug"]
        lines += [
            f"  Public portal  http://{first}.{base}:{port}/portal/   dashboards http://{first}.{base}:{port}/insight/",
            f"  Sign-up        http://{base}:{port}/accounts/signup/   (an application waits: {DEMO_APPLICANT})",
            f"  Reseller       http://{base}:{port}/reseller/   login {DEMO_RESELLER_LOGIN} / {DEMO_PASSWORD}"
            "   (sells 深圳 under its own theme)",
            f"  Plans, billing http://{base}:{port}/billing/plans/   (billing disabled: set STRIPE_API_KEY, see billing/STRIPE.md)",
            f"  Health         http://{base}:{port}/healthz  ·  http://{base}:{port}/readyz",
            f"  API docs       http://{base}:{port}/api/docs/  (tenant API on each tenant host)",
            "Press Ctrl-C to stop.",
            "",
        ]
        self.stdout.write("\n".join(lines))
