"""Default ratings (默认评价): generated only where the tenant uses them, kept apart, never twice."""

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation, EvaluationPolicy, Transaction
from tenants.evaluations.selectors import intake_config_forget
from tenants.evaluations.services import EvaluationInput, default_ratings_generate, evaluation_submit

ACTOR = Actor.system("default-ratings")


def make_txn(world, number: str, days_ago: int) -> Transaction:
    return Transaction.objects.create(
        number=number,
        item=world.item,
        unit=world.hall,
        channel="device",
        finished_at=timezone.now() - timedelta(days=days_ago),
    )


def test_defaults_only_for_unrated_transactions_past_the_period(world):
    with schema_context(world.info.schema):
        EvaluationPolicy.objects.update(default_ratings=True, default_after_days=7, default_level=2)
        intake_config_forget()
        silent = make_txn(world, "SILENT", days_ago=9)
        make_txn(world, "RECENT", days_ago=2)
        rated = make_txn(world, "RATED", days_ago=9)
        evaluation_submit(
            actor=Actor.system("t"),
            data=EvaluationInput(transaction="RATED", level=1, channel="device"),
            now=rated.finished_at + timedelta(hours=1),
        )
        # when
        created = default_ratings_generate(actor=ACTOR)
        again = default_ratings_generate(actor=ACTOR)
        # then
        assert (created, again) == (1, 0)
        default = Evaluation.objects.get(is_default=True)
        assert (default.transaction, default.level, default.is_bad, default.is_current) == (
            silent,
            2,
            False,
            True,
        )
        assert Evaluation.objects.filter(transaction=rated, is_default=False).count() == 1
        intake_config_forget()


def test_no_defaults_when_the_tenant_does_not_use_them(world):
    with schema_context(world.info.schema):
        intake_config_forget()
        make_txn(world, "SILENT", days_ago=30)
        assert default_ratings_generate(actor=ACTOR) == 0
        assert not Evaluation.objects.exists()
