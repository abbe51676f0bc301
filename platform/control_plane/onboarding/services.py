"""Writes on sign-up requests: submit, approve or reject (with a reason), provision in a worker with progress,
retry after a failure. They run in the public schema; provisioning itself is `tenants.services.tenant_provision`
(one transaction, idempotent on the slug)."""

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from control_plane.onboarding.models import (
    SignupRequest,
    SignupStatus,
    SignupStep,
    stale_claim_cutoff,
)
from control_plane.onboarding.validation import (
    application_validate,
    organisation_errors,
    pending_request_of,
    requester_limit_error,
    slug_errors,
)
from tenants.accounts.actors import Actor
from tenants.accounts.services import audit_record
from tenants.models import TenantStatus
from tenants.services import tenant_domain_name, tenant_provision, tenant_template_ensure
from themes.email import header_text

logger = logging.getLogger(__name__)

AUTO_APPROVER = "onboarding-auto-approval"


def _refuse(message: str, code: str = "invalid") -> ValidationError:
    return ValidationError(message, code=code)


@transaction.atomic
def signup_request_submit(
    *, actor: Actor, requester, data: dict, site_url: str = "", language: str = ""
) -> SignupRequest:
    """Record an application (every field checked, see validation.py). With ONBOARDING_AUTO_APPROVE it is
    approved at once and set up as a trial; otherwise it waits for national staff."""
    cleaned = application_validate(requester=requester, data=data)
    try:
        with transaction.atomic():
            signup = SignupRequest.objects.create(
                requester=requester,
                **cleaned,
                site_url=site_url[:200],
                language=language[:16],
                step=SignupStep.WAITING,
            )
    except IntegrityError as exc:  # a concurrent application took the subdomain or the organisation first
        raise _refuse(
            _("Another application for this subdomain or organisation arrived at the same moment. Check it."),
            code="conflict",
        ) from exc
    audit_record(
        actor=actor,
        action="onboarding.submit",
        target=signup,
        data={"slug": signup.slug, "kind": signup.kind, "region_code": signup.region_code},
    )
    if settings.ONBOARDING_AUTO_APPROVE:
        signup = signup_request_approve(actor=Actor.system(AUTO_APPROVER), signup_request=signup)
    return signup


def _decidable(signup: SignupRequest) -> SignupRequest:
    locked = SignupRequest.objects.select_for_update().get(pk=signup.pk)
    if locked.status != SignupStatus.SUBMITTED:
        raise _refuse(
            _("This application was already decided (%(status)s).") % {"status": locked.get_status_display()},
            code="decided",
        )
    return locked


@transaction.atomic
def signup_request_approve(*, actor: Actor, signup_request: SignupRequest) -> SignupRequest:
    """Approve into a trial and queue the set-up (after commit)."""
    signup = _decidable(signup_request)
    signup.status = SignupStatus.APPROVED
    signup.step, signup.progress, signup.error = SignupStep.QUEUED, 0, ""
    signup.decided_by, signup.decided_at = actor.label[:254], timezone.now()
    signup.save()
    audit_record(actor=actor, action="onboarding.approve", target=signup, data={"slug": signup.slug})
    transaction.on_commit(lambda: _enqueue(signup.pk))
    return signup


@transaction.atomic
def signup_request_reject(*, actor: Actor, signup_request: SignupRequest, reason: str) -> SignupRequest:
    """Refuse with a reason the requester reads on their application (and by e-mail)."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("Give the requester a reason for the rejection.")]})
    if len(reason) > 2000:
        raise ValidationError({"reason": [_("Keep the reason under 2,000 characters.")]})
    signup = _decidable(signup_request)
    signup.status = SignupStatus.REJECTED
    signup.rejection_reason = reason
    signup.step, signup.progress = SignupStep.STOPPED, 0
    signup.decided_by, signup.decided_at = actor.label[:254], timezone.now()
    signup.save()
    audit_record(
        actor=actor, action="onboarding.reject", target=signup, reason=reason, data={"slug": signup.slug}
    )
    transaction.on_commit(lambda: _rejection_email(signup.pk))
    return signup


@transaction.atomic
def signup_request_retry(*, actor: Actor, signup_request: SignupRequest) -> SignupRequest:
    """A failed set-up, or one whose worker stopped reporting (killed mid-task, see claim_is_stale), runs
    again: provisioning is idempotent on the subdomain, so it resumes."""
    signup = SignupRequest.objects.select_for_update().get(pk=signup_request.pk)
    if signup.status != SignupStatus.FAILED and not signup.claim_is_stale:
        raise _refuse(_("Only a failed set-up can be retried."), code="not_failed")
    other = pending_request_of(signup.requester)
    if other is not None and other.pk != signup.pk:
        raise _refuse(_("The requester has another application in progress."), code="pending")
    if (limit_error := requester_limit_error(signup.requester, exclude_request_id=signup.pk)) is not None:
        raise _refuse(limit_error, code="limit")
    problems = []
    if signup.tenant_id is None:  # not yet provisioned: the subdomain and name must still be free
        problems = slug_errors(signup.slug, exclude_request_id=signup.pk) + organisation_errors(
            name=signup.organisation_name, region_code=signup.region_code, exclude_request_id=signup.pk
        )
    if problems:
        raise _refuse(" ".join(problems), code="taken")
    signup.status = SignupStatus.APPROVED
    signup.step, signup.progress, signup.claimed_at = SignupStep.QUEUED, 0, None
    try:
        with transaction.atomic():
            signup.save()
    except IntegrityError as exc:
        raise _refuse(
            _("Another application holds this subdomain or organisation now."), code="taken"
        ) from exc
    audit_record(actor=actor, action="onboarding.retry", target=signup, data={"attempts": signup.attempts})
    transaction.on_commit(lambda: _enqueue(signup.pk))
    return signup


def _enqueue(signup_id: int) -> None:
    from control_plane.onboarding.tasks import provision_signup

    try:
        provision_signup.delay(signup_id)
    except Exception:  # the broker is down: say so rather than leave it queued forever
        logger.exception("could not queue sign-up %s", signup_id)
        _fail(signup_id, _("The set-up could not be queued (the task queue is unavailable). Retry it."))


# --- provisioning (the worker) -----------------------------------------------------------------------------
def _progress(signup_id: int, percent: int, step: str) -> None:
    """Committed at once (outside any transaction) so the requester's page sees it; renews the claim."""
    now = timezone.now()
    SignupRequest.objects.filter(pk=signup_id).update(
        progress=percent, step=step, claimed_at=now, updated_at=now
    )


def _fail(signup_id: int, message: str, detail: str = "") -> None:
    """`message` is what the requester reads; `detail` (an unexpected error's text) only reviewers."""
    SignupRequest.objects.filter(pk=signup_id).update(
        status=SignupStatus.FAILED,
        step=SignupStep.STOPPED,
        error=message[:4000],
        error_detail=detail[:4000],
        updated_at=timezone.now(),
    )
    audit_record(
        actor=Actor.system("onboarding"),
        action="onboarding.failed",
        target=SignupRequest(pk=signup_id),
        data={"error": message[:500], "detail": detail[:500]},
    )


def tenant_link(signup: SignupRequest, path: str = "/") -> str:
    """An absolute address on the new tenant's host, with the scheme and port the application came in on."""
    parts = urlsplit(signup.site_url) if signup.site_url else None
    domain = tenant_domain_name(signup.slug)
    if parts and parts.scheme:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{domain}{port}{path}"
    if domain.endswith(".localhost"):
        return f"http://{domain}:{settings.PORT}{path}"
    return f"https://{domain}{path}"


def signup_request_provision(*, signup_request_id: int) -> SignupRequest | None:
    """Set up the tenant of an approved request: claim it, provision (registry row, domain, schema cloned from
    the template, first administrator without a password, their invitation) in ONE transaction, then e-mail the
    invitation. Any failure marks the request failed with the error; a retry resumes.

    A request another worker claimed is left alone unless that claim went stale (no progress for
    ONBOARDING_STALE_CLAIM_MINUTES: the worker was killed mid-task); then this one resumes it."""
    now = timezone.now()
    stale = Q(status=SignupStatus.PROVISIONING) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale_claim_cutoff())
    )
    claimed = SignupRequest.objects.filter(
        Q(status=SignupStatus.APPROVED) | stale, pk=signup_request_id
    ).update(
        status=SignupStatus.PROVISIONING,
        progress=10,
        step=SignupStep.CHECKING,
        error="",
        error_detail="",
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:  # running elsewhere, done, or no longer approved: nothing to do
        return SignupRequest.objects.filter(pk=signup_request_id).first()
    signup = SignupRequest.objects.select_related("requester").get(pk=signup_request_id)
    with translation.override(signup.language or settings.LANGUAGE_CODE):
        _provision(signup)
    return SignupRequest.objects.filter(pk=signup.pk).first()


def _provision(signup: SignupRequest) -> None:
    from tenants.accounts.models import User
    from tenants.setup.models import InvitationKind
    from tenants.setup.services import invitation_email_send, invitation_issue, invitation_path

    actor = Actor.system("onboarding")
    admin_email = signup.requester.email
    try:
        tenant_template_ensure()
        _progress(signup.pk, 30, SignupStep.CREATING)
        with transaction.atomic():
            result = tenant_provision(
                actor=actor,
                slug=signup.slug,
                name=signup.organisation_name,
                kind=signup.kind,
                region_code=signup.region_code,
                admin_email=admin_email,
                reseller=signup.reseller,
                status=TenantStatus.TRIAL,
            )
            tenant, token = result.tenant, None
            with schema_context(tenant.schema_name):
                admin = User.objects.get(email=admin_email.lower())
                if result.created:  # the password is theirs to choose, through the invitation
                    admin.set_unusable_password()
                    admin.save(update_fields=["password"])
                if not admin.has_usable_password():
                    _invitation, token = invitation_issue(
                        actor=actor, user=admin, kind=InvitationKind.FIRST_ADMIN
                    )
                    link = tenant_link(signup, invitation_path(token))
            connection.set_schema_to_public()
            SignupRequest.objects.filter(pk=signup.pk).update(tenant=tenant)
            audit_record(
                actor=actor,
                action="onboarding.provision",
                target=signup,
                data={"tenant_id": tenant.pk, "slug": tenant.slug, "created": result.created},
            )
        if tenant.reseller_id is not None:  # the reseller's customer: who pays (wholesale or direct)
            from billing.resellers.services import reseller_subscription_start

            # After the tenant is committed: a Stripe failure then leaves the tenant (and its id) in place,
            # so the retry repeats the same Stripe calls with the same idempotency keys and parameters and
            # Stripe answers the first subscription again instead of making a second one.
            reseller_subscription_start(actor=actor, tenant=tenant)
        _progress(signup.pk, 80, SignupStep.INVITING)
        if token is not None:
            with schema_context(tenant.schema_name):
                invitation_email_send(
                    user=admin,
                    link=link,
                    kind=InvitationKind.FIRST_ADMIN,
                    organisation=tenant.name,
                    language=signup.language,
                )
        SignupRequest.objects.filter(pk=signup.pk).update(
            status=SignupStatus.READY,
            progress=100,
            step=SignupStep.DONE,
            ready_at=timezone.now(),
            updated_at=timezone.now(),
        )
        audit_record(actor=actor, action="onboarding.ready", target=signup, data={"tenant_id": tenant.pk})
    except Exception as exc:
        connection.set_schema_to_public()
        logger.exception("set-up of sign-up %s failed", signup.pk)
        if isinstance(exc, ValidationError):  # written for the requester (e.g. the subdomain was taken)
            _fail(signup.pk, " ".join(exc.messages))
        else:  # an internal error's text is for reviewers and the log, never the requester
            _fail(
                signup.pk,
                _(
                    "The set-up stopped because of a problem on our side. Retry it in a while; if it "
                    "fails again, the national team has the details."
                ),
                detail=f"{type(exc).__name__}: {exc}",
            )


# --- e-mails ------------------------------------------------------------------------------------------------
def _rejection_email(signup_id: int) -> None:
    signup = SignupRequest.objects.select_related("requester").filter(pk=signup_id).first()
    if signup is None:
        return
    with translation.override(signup.language or settings.LANGUAGE_CODE):
        subject = _("Your application for %(name)s was not approved") % {"name": signup.organisation_name}
        body = "\n\n".join(
            [
                _("Your application for a 好差评 Cloud workspace for %(name)s was not approved.")
                % {"name": signup.organisation_name},
                _("Reason: %(reason)s") % {"reason": signup.rejection_reason},
                _("You can correct your details and apply again."),
            ]
        )
    try:
        send_mail(header_text(subject), body, None, [signup.requester.email])
    except Exception:  # the decision stands and is shown on the application page
        logger.exception("could not e-mail the rejection of sign-up %s", signup_id)
