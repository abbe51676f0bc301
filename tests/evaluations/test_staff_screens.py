"""Staff screens: identity masked by default, revealed only with the permission and a reason, audited;
exports masked; other tenants see nothing."""

from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.accounts.services import user_create
from tenants.evaluations.services import EvaluationInput, evaluation_submit
from tests.conftest import PASSWORD, host_client

IDENTITY = {
    "name": "李四",
    "phone": "13800138000",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
}


def signed_in(info, email=None, role=None):
    if role:
        with schema_context(info.schema):
            user_create(actor=Actor.system("t"), email=email, role=role, password=PASSWORD)
    client = host_client(info.host)
    client.post("/accounts/login/", {"login": email or info.admin_email, "password": PASSWORD})
    return client


def rated(world):
    with schema_context(world.info.schema):
        return evaluation_submit(
            actor=Actor.system("t"),
            data=EvaluationInput(
                transaction="T-9",
                item_code="ITEM-001",
                unit_code="H01",
                level=5,
                channel="device",
                reason_tags=["attitude"],
                comment="态度差",
                evaluator=IDENTITY,
            ),
        ).evaluation


def test_list_and_export_mask_identity(world):
    evaluation = rated(world)
    client = signed_in(world.info)
    page = client.get("/evaluations/").content.decode()
    assert "T-9" in page and "态度差" in page and "很差" in page
    assert "李*" in page and "138****8000" in page
    export = b"".join(client.get("/evaluations/export.csv").streaming_content).decode("utf-8-sig")
    assert "T-9" in export and "138****8000" in export
    for secret in ("13800138000", "11010519491231002X", "李四"):
        assert secret not in page and secret not in export
    assert evaluation.pk


def test_reveal_needs_permission_and_a_reason_and_is_audited(world):
    evaluation = rated(world)
    admin = signed_in(world.info)  # tenant admin: may see evaluations, may not reveal
    assert admin.get(f"/evaluations/{evaluation.pk}/reveal").status_code == 403
    supervisor = signed_in(world.info, "sup@alpha.example", "supervisor")
    refused = supervisor.post(f"/evaluations/{evaluation.pk}/reveal", {"reason": ""})
    assert "13800138000" not in refused.content.decode()
    shown = supervisor.post(f"/evaluations/{evaluation.pk}/reveal", {"reason": "回访核实差评"})
    assert "13800138000" in shown.content.decode() and shown["Cache-Control"] == "no-store"
    with schema_context(world.info.schema):
        audit = AuditEvent.objects.get(action="identity.reveal")
    assert (audit.actor_label, audit.reason, audit.target_id) == (
        "sup@alpha.example",
        "回访核实差评",
        str(evaluation.pk),
    )


def test_window_staff_cannot_see_identity_even_masked_reveal(world):
    evaluation = rated(world)
    staff = signed_in(world.info, "w@alpha.example", "window_staff")
    assert staff.get("/evaluations/").status_code == 200
    assert staff.post(f"/evaluations/{evaluation.pk}/reveal", {"reason": "想知道是谁"}).status_code == 403
    with schema_context(world.info.schema):
        assert not AuditEvent.objects.filter(action="identity.reveal").exists()


def test_other_tenant_sees_nothing(world, beta):
    evaluation = rated(world)
    with schema_context(beta.schema):
        user_create(actor=Actor.system("t"), email="sup@beta.example", role="supervisor", password=PASSWORD)
    client = host_client(beta.host)
    client.post("/accounts/login/", {"login": "sup@beta.example", "password": PASSWORD})
    assert "T-9" not in client.get("/evaluations/").content.decode()
    assert client.post(f"/evaluations/{evaluation.pk}/reveal", {"reason": "跨租户尝试"}).status_code == 404
