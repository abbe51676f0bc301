"""A background export's progress is written on a connection of its own, each update committed at once, while
the export's rows stream inside their own long transaction on the main connection."""

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tenants.insight.exports.models import ExportJob
from tenants.insight.exports.services import _progress_reporter
from tests.conftest import committed

EMAIL = "progress@alpha.example"


def _setup() -> int:
    with schema_context("alpha"):
        user = User.objects.create(email=EMAIL, role="supervisor")
        return ExportJob.objects.create(
            kind="evaluations", file_format="csv", filters={}, requested_by=user, total=10
        ).pk


def _teardown() -> None:
    with schema_context("alpha"):
        ExportJob.objects.filter(requested_by__email=EMAIL).delete()
        User.objects.filter(email=EMAIL).delete()


def _progress(pk: int):
    def read():
        with schema_context("alpha"):
            return ExportJob.objects.values_list("row_count", "progress").get(pk=pk)

    return committed(read)


@pytest.mark.django_db(transaction=False)
def test_progress_is_visible_to_others_while_the_export_runs(alpha, settings):
    settings.EXPORT_PROGRESS_ROWS = 3
    pk = committed(_setup)
    try:
        with schema_context("alpha"), transaction.atomic():  # the export's own transaction, still open
            job = ExportJob.objects.get(pk=pk)
            with _progress_reporter(job) as report:
                report(2)  # fewer than EXPORT_PROGRESS_ROWS since the last update: not written
                assert _progress(pk) == (0, 0)
                report(4)
                assert _progress(pk) == (4, 40)
                report(12)  # more rows than counted when requested: never 100% before it is done
                assert _progress(pk) == (12, 99)
    finally:
        committed(_teardown)
