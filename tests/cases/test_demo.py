"""The demo seed walks a share of the open bad-review cases through realistic states with the real services,
places demo officers in the units and a case supervisor, and does nothing the second time."""

import random

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.cases.demo import PLANS, cases_demo_seed
from tenants.cases.models import Case, CaseSpotCheck
from tenants.cases.selectors import cases_overdue
from tenants.cases.services import case_chain_verify
from tenants.organisation.models import Membership
from tests.cases.conftest import rate

ACTOR = Actor.system("demo-seed")


def test_the_demo_seed_walks_cases_through_every_state_once(world):
    for n in range(25):
        rate(world, f"T-DEMO-{n:02d}", level=4 + n % 2, realname=n % 3 == 0)
    with schema_context(world.info.schema):
        done = cases_demo_seed(
            actor=ACTOR, rng=random.Random("alpha"), now=timezone.now(), password="demo-pass-2026"
        )
        assert done == dict.fromkeys(PLANS, 1)
        states = [c.state for c in Case.objects.all()]
        assert states.count("closed") == 2 and states.count("ledger") == 2
        assert states.count("pending_confirmation") == 1 and states.count("feedback_sent") == 1
        assert states.count("new") + states.count("assigned") == 25 - 8
        assert all(case_chain_verify(case=c).ok for c in Case.objects.all())
        supervisor = User.objects.get(email__startswith="cases-supervisor@")
        assert supervisor.check_password("demo-pass-2026") and supervisor.role == "supervisor"
        officer = User.objects.get(email__startswith="cases-officer1@")
        assert Membership.objects.get(user=officer).unit_id == world.hall.pk
        overdue = cases_overdue(actor=supervisor.actor)
        assert overdue.count() == 3 and {c.escalation_level for c in overdue} <= {1, 2}
        assert CaseSpotCheck.objects.filter(result="confirmed").count() == 2
        assert Case.objects.filter(reopened_count=1, state="assigned").count() == 1
        events = sum(Case.objects.values_list("last_seq", flat=True))

        assert cases_demo_seed(actor=ACTOR, rng=random.Random("alpha"), now=timezone.now()) == {}
        assert sum(Case.objects.values_list("last_seq", flat=True)) == events


def test_the_demo_seed_does_nothing_without_open_cases(world):
    with schema_context(world.info.schema):
        assert cases_demo_seed(actor=ACTOR, rng=random.Random(1), now=timezone.now()) == {}
        assert not User.objects.filter(email__startswith="cases-").exists()
