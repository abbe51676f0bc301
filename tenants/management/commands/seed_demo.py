from django.core.management.base import BaseCommand

from tenants.demo import demo_seed


class Command(BaseCommand):
    help = "Create (or confirm) the demo control plane and tenants. Safe to run again."

    def handle(self, *args, **options):
        tenants = demo_seed()
        self.stdout.write(f"Demo ready: {', '.join(t.slug for t in tenants)}")
