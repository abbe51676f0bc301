"""The demo seed files two appeals against recent bad ratings: one upheld (rating excluded), one pending."""

import random
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.appeals.demo import appeals_demo_seed
from tenants.appeals.models import Appeal, AppealState
from tests.supervision.conftest import rate_transactions


def test_the_demo_seed_files_one_upheld_and_one_pending_appeal_once(world):
    rate_transactions(world, 3, start=timezone.now() - timedelta(days=3), level=5, prefix="DEMO")
    actor = Actor.system("demo-seed")
    with schema_context(world.info.schema):
        appeals = appeals_demo_seed(actor=actor, rng=random.Random("alpha"), password="demo-password-2026")
        assert sorted(Appeal.objects.values_list("state", flat=True)) == [
            AppealState.SUBMITTED,
            AppealState.UPHELD,
        ]
        upheld = Appeal.objects.get(state=AppealState.UPHELD)
        assert upheld.evaluation.excluded and upheld.evidence.count() == 1
        assert upheld.reviewer is not None and upheld.reviewer_id != upheld.appellant_id
        assert {a.pk for a in appeals} == set(Appeal.objects.values_list("pk", flat=True))
        assert appeals_demo_seed(actor=actor, rng=random.Random("alpha")) == []
        assert Appeal.objects.count() == 2


def test_the_demo_seed_does_nothing_without_recent_bad_ratings(world):
    with schema_context(world.info.schema):
        assert appeals_demo_seed(actor=Actor.system("demo-seed"), rng=random.Random(1)) == []
