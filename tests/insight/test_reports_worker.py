"""Reports on a REAL Celery worker: a requested report goes queued → done with progress 100 in its own tenant,
and beat's daily fan-out makes a scheduled report that the worker generates and e-mails through a real SMTP
server."""

import time
from datetime import date

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.insight.reports.models import Report, ReportSchedule, ReportStatus
from tenants.insight.reports.services import report_request, report_schedule_create
from tenants.insight.reports.tasks import report_schedules_everywhere
from tests.conftest import committed, running_celery_worker
from tests.notify.conftest import smtp_server  # noqa: F401 (fixture)


def _cleanup() -> None:
    with schema_context("alpha"):
        ids = [str(pk) for pk in Report.objects.values_list("pk", flat=True)]
        AuditEvent.objects.filter(target_type="Report", target_id__in=ids).delete()
        AuditEvent.objects.filter(target_type="ReportSchedule").delete()
        Report.objects.all().delete()
        ReportSchedule.objects.all().delete()


def _state(report_id: int) -> tuple[str, int, bool]:
    with schema_context("alpha"):
        r = Report.objects.defer("xlsx").get(pk=report_id)
        return r.status, r.progress, bool(r.pdf) and bytes(r.pdf).startswith(b"%PDF")


@pytest.mark.django_db(transaction=False)
def test_a_real_worker_generates_a_requested_report_and_emails_a_scheduled_one(
    tenant_pair,
    subprocess_env,
    smtp_server,  # noqa: F811
):
    # given a report requested in alpha (the task is sent on commit) and a monthly schedule
    def request() -> int:
        with schema_context("alpha"):
            report = report_request(
                actor=Actor.system("worker test"),
                kind="monthly",
                period_start=date(2026, 9, 1),
                period_end=date(2026, 9, 30),
            )
            report_schedule_create(
                actor=Actor.system("worker test"), kind="monthly", recipients=["lead@alpha.example"]
            )
            return report.pk

    env = {
        **subprocess_env,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "0",
    }
    try:
        report_id = committed(request)
        assert committed(lambda: _state(report_id)) == ("queued", 0, False)  # nothing runs it yet
        seen: list[int] = []
        with running_celery_worker(env):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status, progress, _pdf = _state(report_id)
                seen.append(progress)
                if status in ("done", "failed"):
                    break
                time.sleep(0.05)
            # then it is done with its PDF, the bar never went back
            assert _state(report_id) == (ReportStatus.DONE, 100, True)
            assert seen == sorted(seen)

            # when beat's daily entry point runs on 3 October
            report_schedules_everywhere.delay("2026-10-03T06:00:00+08:00")
            deadline = time.monotonic() + 60
            while not smtp_server.messages and time.monotonic() < deadline:
                time.sleep(0.2)
        # then September's scheduled report was generated in alpha and e-mailed with its PDF
        with schema_context("alpha"):
            scheduled = Report.objects.defer("pdf", "xlsx").get(schedule__isnull=False)
            assert scheduled.status == ReportStatus.DONE and scheduled.emailed_at is not None
            assert (scheduled.period_start, scheduled.period_end) == (date(2026, 9, 1), date(2026, 9, 30))
        with schema_context("beta"):
            assert not Report.objects.exists()
        ((to, message),) = smtp_server.messages
        assert to == ["lead@alpha.example"] and message["Subject"] == scheduled.title
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content().startswith(b"%PDF")
    finally:
        committed(_cleanup)
