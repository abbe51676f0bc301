from control_plane.onboarding.demo import onboarding_demo_seed
from control_plane.onboarding.models import SignupRequest

from tenants.accounts.actors import Actor


def test_the_demo_seed_leaves_one_application_to_review(national):
    first = onboarding_demo_seed(actor=Actor.system("demo-seed"), password="haochaping-demo-2026")
    again = onboarding_demo_seed(actor=Actor.system("demo-seed"), password="haochaping-demo-2026")
    assert first.pk == again.pk and SignupRequest.objects.count() == 1
    assert first.status == "submitted"
    assert "珠海市政务服务和数据管理局" in national.get("/onboarding/requests/").content.decode()
