"""The comment analysis demo seed: new ratings only, idempotent, and a spike the page will show."""

from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.evaluations.models import Evaluation
from tenants.insight.selectors import Scope
from tenants.insight.services import rollups_drain
from tenants.insight.textmining.demo import SPIKE, textmining_demo_seed
from tenants.insight.textmining.selectors import complaint_clusters, term_frequencies, term_spikes


def test_the_demo_seed_adds_comment_ratings_once_with_a_spike(world):
    today = timezone.localdate()
    last_two_months = Scope(start=today - timedelta(days=62), end=today)
    with schema_context(world.info.schema):
        added = textmining_demo_seed()
        assert added == len(SPIKE) + 8 * 6 == Evaluation.objects.count()
        assert textmining_demo_seed() == 0  # idempotent
        rollups_drain()
        spikes = {(s.unit.code, s.term) for s in term_spikes()}
        assert ("H01", "叫号") in spikes
        assert complaint_clusters(last_two_months)
        assert len(term_frequencies(last_two_months, limit=100)) > 30
