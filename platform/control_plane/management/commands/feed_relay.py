"""Move tenants' outbox rows into the national feed, as they are written (LISTEN/NOTIFY), until stopped.

    manage.py feed_relay [--once]

`--once` drains every tenant's outbox and exits (cron, tests, recovery). Run one relay per deployment (more are
safe: appends are serialised and each outbox row is taken by one relay only).
"""

import signal

from django.core.management.base import BaseCommand

from control_plane.feed import feed_relay, feed_sweep


class Command(BaseCommand):
    help = "Relay tenants' outboxes into the national feed."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="drain everything once and exit")

    def handle(self, *args, once: bool = False, **options):
        if once:
            self.stdout.write(f"appended {feed_sweep()} record(s)")
            return
        stopping = {"now": False}

        def stop(*_):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("feed relay: listening")
        feed_relay(stop=lambda: stopping["now"])
        self.stdout.write("feed relay: stopped")
