"""The first-run checklist: steps done when their data exists or when marked, skipped and resumed; the scale
form; the banner on the tenant's home while something is left to do; administrators only, per tenant."""

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.accounts.roles import Role
from tenants.accounts.services import user_create
from tenants.evaluations.models import EvaluationPolicy
from tenants.setup.models import SetupStep
from tenants.setup.selectors import checklist
from tests.conftest import host_client
from tests.onboarding.test_invitation import admin_client
from tests.supervision.conftest import signed_in


def _states(info) -> dict[str, str]:
    with schema_context(info.schema):
        return {step.key: step.state for step in checklist()}


def test_a_new_workspace_starts_with_everything_to_do_and_a_banner_on_its_home(alpha):
    client = admin_client(alpha)
    page = client.get("/setup/")
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("evaluation", "catalog", "halls", "devices", "staff"):
        assert f'id="step-{key}" class="todo"' in html
    for link in (
        "/settings/cases/",
        "/catalog/import/",
        "/organisation/",
        "/organisation/devices/",
        "/setup/staff/",
    ):
        assert f'href="{link}"' in html
    home = client.get("/").content.decode()
    assert 'id="setup-banner"' in home and 'href="/setup/"' in home


def test_skip_and_resume_a_step(alpha):
    client = admin_client(alpha)
    assert client.post("/setup/steps/catalog/skip").status_code == 302
    assert _states(alpha)["catalog"] == "skipped"
    assert 'id="step-catalog" class="skipped"' in client.get("/setup/").content.decode()
    assert client.post("/setup/steps/catalog/resume").status_code == 302
    assert _states(alpha)["catalog"] == "todo"
    with schema_context(alpha.schema):
        assert list(
            AuditEvent.objects.filter(action__startswith="setup.step").values_list("action", flat=True)
        ) == [
            "setup.step_resume",
            "setup.step_skipped",
        ]
    assert client.post("/setup/steps/catalog/explode").status_code == 404
    assert client.post("/setup/steps/nothing/skip").status_code == 404
    assert client.get("/setup/steps/catalog/skip").status_code == 405


def test_a_step_can_be_marked_done_by_hand(alpha):
    client = admin_client(alpha)
    client.post("/setup/steps/devices/done")
    assert _states(alpha)["devices"] == "done"


def test_steps_are_done_by_themselves_when_their_data_exists(world):
    alpha = world.info
    client = admin_client(alpha)
    client.post("/setup/steps/devices/skip")  # data wins over an earlier skip
    states = _states(alpha)
    assert (states["catalog"], states["halls"], states["devices"]) == ("done", "done", "done")
    assert states["staff"] == "todo"  # only the administrator so far
    with schema_context(alpha.schema):
        user_create(actor=Actor.system("t"), email="second@alpha.example", role=Role.SUPERVISOR)
    assert _states(alpha)["staff"] == "done"
    html = client.get("/setup/").content.decode()
    assert "1 published service items" in html and "1 halls or service places, 1 windows" in html
    assert "Skip “Rating devices and QR codes” for now" not in html  # nothing to skip once it is done


def test_the_scale_form_sets_the_wording_and_completes_the_first_step(alpha):
    client = admin_client(alpha)
    assert client.post("/setup/scale", {"scale": "satisfaction"}).status_code == 302
    with schema_context(alpha.schema):
        assert EvaluationPolicy.objects.get().scale == "satisfaction"
        assert AuditEvent.objects.filter(action="evaluation_policy.scale").exists()
    assert _states(alpha)["evaluation"] == "done"
    bad = client.post("/setup/scale", {"scale": "stars"}, follow=True)
    assert "Choose one of the scales." in bad.content.decode()
    with schema_context(alpha.schema):
        assert EvaluationPolicy.objects.get().scale == "satisfaction"


def test_the_banner_goes_when_nothing_is_left_to_do(alpha):
    client = admin_client(alpha)
    for key in ("evaluation", "catalog", "halls", "devices", "staff"):
        client.post(f"/setup/steps/{key}/skip")
    assert 'id="setup-banner"' not in client.get("/").content.decode()
    client.post("/setup/steps/staff/resume")
    assert 'id="setup-banner"' in client.get("/").content.decode()


def test_only_administrators_see_the_checklist_and_the_banner(alpha):
    officer = signed_in(alpha, Role.OFFICER)
    assert officer.get("/setup/").status_code == 403
    assert officer.post("/setup/steps/catalog/skip").status_code == 403
    assert officer.post("/setup/scale", {"scale": "satisfaction"}).status_code == 403
    assert 'id="setup-banner"' not in officer.get("/").content.decode()
    anonymous = host_client(alpha.host).get("/setup/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    with schema_context(alpha.schema):
        assert not SetupStep.objects.exists()


def test_each_tenant_has_its_own_checklist(alpha, beta):
    admin_client(alpha).post("/setup/steps/halls/skip")
    assert _states(alpha)["halls"] == "skipped"
    assert _states(beta)["halls"] == "todo"
    beta_page = admin_client(beta).get("/setup/").content.decode()
    assert 'id="step-halls" class="todo"' in beta_page
