"""Identity encryption keys rotate: re-encrypt with the new key, then the old key can go."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation
from tenants.evaluations.services import EvaluationInput, evaluation_submit
from tenants.privacy import crypto
from tenants.privacy.identity import identity_from_row


@pytest.fixture
def keys(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    def use(*chosen: str) -> None:
        settings.IDENTITY_ENCRYPTION_KEYS = list(chosen)
        crypto._fernet.cache_clear()

    use(old)
    yield old, new, use
    crypto._fernet.cache_clear()


def test_rotation_moves_every_row_to_the_new_key(world, keys, capsys):
    old, new, use = keys
    with schema_context(world.info.schema):
        pk = evaluation_submit(
            actor=Actor.system("t"),
            data=EvaluationInput(
                transaction="K-1",
                item_code="ITEM-001",
                unit_code="H01",
                level=1,
                channel="web",
                evaluator={"name": "赵六", "phone": "13700001111"},
            ),
        ).evaluation.pk
    use(new, old)
    call_command("identity_rotate_keys")
    assert "rows re-encrypted" in capsys.readouterr().out
    use(new)  # the old key is gone
    with schema_context(world.info.schema):
        assert identity_from_row(Evaluation.objects.get(pk=pk), "evaluator").phone == "13700001111"
    use(old)  # and the old key alone no longer opens it
    with schema_context(world.info.schema), pytest.raises(ImproperlyConfigured):
        identity_from_row(Evaluation.objects.get(pk=pk), "evaluator")
