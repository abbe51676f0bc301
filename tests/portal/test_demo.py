"""The portal's demo content: idempotent, consented comments shown scrubbed."""

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.evaluations.models import Evaluation
from tenants.portal.demo import PREFIX, portal_demo_seed
from tenants.portal.models import PortalSettings
from tenants.portal.selectors import months_recent
from tests.conftest import host_client


def test_the_demo_seed_adds_consented_ratings_once(world):
    with schema_context(world.info.schema):
        assert portal_demo_seed(actor=Actor.system("demo-seed")) == 40
        assert portal_demo_seed(actor=Actor.system("demo-seed")) == 0
        seeded = Evaluation.objects.filter(transaction__number__startswith=PREFIX)
        assert seeded.count() == 40 and not seeded.filter(comment_public=False).exists()
        assert PortalSettings.objects.get().intro
    client = host_client(world.info.host)
    pages = [
        client.get("/portal/bad-reviews/", {"month": month.key, "page": n}).content.decode()
        for month in months_recent()[-3:]
        for n in (1, 2)
    ]
    listed = "".join(pages)
    assert "排队等了一个多小时" in listed and "（工号＊＊）态度生硬" in listed
    assert "13800138000" not in listed and "李春花" not in listed and "张敏" not in listed
