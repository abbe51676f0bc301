"""Writes of the reseller console and of national staff managing resellers. Every write takes an actor, runs in
one transaction and leaves an audit row.

A reseller's staff set up a tenant for a customer through the onboarding pipeline (the same validation, the same
worker, the same progress bar and invitation): the customer's contact becomes the application's requester (a
control-plane account without a role or password, like a self-applicant's) and so the tenant's first
administrator; the reseller's staff member is the actor who applied and approved it.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.entitlements import subscription_for
from billing.models import (
    BillingModel,
    Payer,
    Plan,
    Reseller,
    ResellerMembership,
    Subscription,
    WholesalePrice,
)
from billing.resellers.selectors import wholesale_plans
from billing.services import payer_for, reseller_pays_activate, subscription_set_plan
from tenants.accounts.actors import Actor
from tenants.accounts.models import User
from tenants.accounts.roles import Role
from tenants.accounts.services import audit_record, user_create, user_sessions_end
from tenants.validators import control_characters_message, has_control_characters, validate_slug

logger = logging.getLogger(__name__)


# --- national staff: resellers, their staff and wholesale prices ----------------------------------------------
def _reseller_fields(
    *, name: str, slug: str, contact_email: str, billing_model: str, commission_percent
) -> dict:
    errors: dict[str, list[str]] = {}
    name, slug, contact_email = (
        (name or "").strip(),
        (slug or "").strip().lower(),
        (contact_email or "").strip(),
    )
    if not name or len(name) > 200:
        errors.setdefault("name", []).append(_("Enter the reseller's name (at most 200 characters)."))
    elif has_control_characters(name):  # it becomes the e-mail sender and theme name of its tenants
        errors.setdefault("name", []).append(control_characters_message(_("Name")))
    try:
        validate_slug(slug)
    except ValidationError as exc:
        errors.setdefault("slug", []).extend(exc.messages)
    if contact_email:
        try:
            validate_email(contact_email)
        except ValidationError:
            errors.setdefault("contact_email", []).append(_("Enter a valid e-mail address."))
    if billing_model not in BillingModel.values:
        errors.setdefault("billing_model", []).append(_("Choose a billing model."))
    try:
        percent = Decimal(str(commission_percent)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        percent = None
    if percent is None or not Decimal(0) <= percent <= Decimal(100):
        errors.setdefault("commission_percent", []).append(_("Enter a percentage from 0 to 100."))
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "slug": slug,
        "contact_email": contact_email.lower(),
        "billing_model": billing_model,
        "commission_percent": percent,
    }


@transaction.atomic
def reseller_create(
    *, actor: Actor, name: str, slug: str, contact_email: str, billing_model: str, commission_percent
) -> Reseller:
    fields = _reseller_fields(
        name=name,
        slug=slug,
        contact_email=contact_email,
        billing_model=billing_model,
        commission_percent=commission_percent,
    )
    if Reseller.objects.filter(slug=fields["slug"]).exists():
        raise ValidationError({"slug": [_("Another reseller uses “%(slug)s”.") % {"slug": fields["slug"]}]})
    reseller = Reseller.objects.create(**fields)
    audit_record(
        actor=actor,
        action="reseller.create",
        target=reseller,
        data={**fields, "commission_percent": str(fields["commission_percent"])},
    )
    return reseller


@transaction.atomic
def reseller_update(
    *,
    actor: Actor,
    reseller: Reseller,
    name: str,
    slug: str,
    contact_email: str,
    billing_model: str,
    commission_percent,
    is_active: bool,
) -> Reseller:
    """Change a reseller's details. A new billing model applies to its statements from then on and to the
    subscriptions of tenants set up afterwards (who pays an existing tenant is Stripe's, not changed here)."""
    fields = _reseller_fields(
        name=name,
        slug=slug,
        contact_email=contact_email,
        billing_model=billing_model,
        commission_percent=commission_percent,
    )
    locked = Reseller.objects.select_for_update().get(pk=reseller.pk)
    if Reseller.objects.filter(slug=fields["slug"]).exclude(pk=locked.pk).exists():
        raise ValidationError({"slug": [_("Another reseller uses “%(slug)s”.") % {"slug": fields["slug"]}]})
    fields["is_active"] = bool(is_active)
    changes = {
        key: [str(getattr(locked, key)), str(value)]
        for key, value in fields.items()
        if getattr(locked, key) != value
    }
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.save()
    audit_record(actor=actor, action="reseller.update", target=locked, data={"changes": changes})
    return locked


def invitation_link(user: User, *, site_url: str) -> str:
    """A one-time link on the control plane to set the password: allauth's password-reset key (Django's token,
    spent when the password changes, valid PASSWORD_RESET_TIMEOUT). Tenant invitations (tenants.setup) live in
    tenant schemas; control-plane people get this instead."""
    from allauth.account import app_settings as allauth_settings
    from allauth.account.utils import user_pk_to_url_str

    key = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key})
    return site_url.rstrip("/") + path


def _invitation_send(
    *, user_id: int, reseller_name: str, site_url: str, language: str, invited_by: str
) -> None:
    from tenants.setup.models import InvitationKind
    from tenants.setup.services import invitation_email_send

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    try:  # the same e-mail as tenant staff invitations, with the control plane's link
        invitation_email_send(
            user=user,
            link=invitation_link(user, site_url=site_url),
            kind=InvitationKind.STAFF,
            organisation=reseller_name,
            language=language,
            invited_by=invited_by,
        )
    except Exception:  # the account stands; national staff can send the invitation again
        logger.exception("could not e-mail the invitation of reseller staff %s", user_id)


@transaction.atomic
def reseller_staff_add(
    *,
    actor: Actor,
    reseller: Reseller,
    email: str,
    display_name: str = "",
    password: str = "",
    site_url: str,
    language: str = "",
) -> ResellerMembership:
    """A control-plane account for the reseller's staff and its membership. Without a password, a one-time
    invitation is e-mailed after commit."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid e-mail address.")]}) from None
    if User.objects.filter(email=email).exists():
        raise ValidationError(
            {
                "email": [
                    _("An account with this address exists already on the platform; use another address.")
                ]
            }
        )
    if password:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
    user = user_create(
        actor=actor,
        email=email,
        role=Role.RESELLER_STAFF,
        password=password or None,
        display_name=(display_name or "").strip()[:100],
    )
    membership = ResellerMembership.objects.create(reseller=reseller, user=user)
    audit_record(
        actor=actor,
        action="reseller.staff_add",
        target=membership,
        data={"reseller": reseller.slug, "user_id": user.pk, "email": email, "invited": not password},
    )
    if not password:
        transaction.on_commit(
            lambda: _invitation_send(
                user_id=user.pk,
                reseller_name=reseller.name,
                site_url=site_url,
                language=language,
                invited_by=actor.label,
            )
        )
    return membership


@transaction.atomic
def reseller_staff_invite(
    *, actor: Actor, membership: ResellerMembership, site_url: str, language: str = ""
) -> None:
    """Send the invitation again (only to someone who has not chosen a password yet)."""
    user = membership.user
    if user.has_usable_password() or not user.is_active:
        raise ValidationError(_("This person has set a password already; they can use “Forgot password?”."))
    audit_record(
        actor=actor,
        action="reseller.staff_invite",
        target=membership,
        data={"reseller": membership.reseller.slug, "user_id": user.pk},
    )
    reseller_name = membership.reseller.name
    transaction.on_commit(
        lambda: _invitation_send(
            user_id=user.pk,
            reseller_name=reseller_name,
            site_url=site_url,
            language=language,
            invited_by=actor.label,
        )
    )


@transaction.atomic
def reseller_staff_remove(*, actor: Actor, membership: ResellerMembership) -> None:
    """A staff member leaves the reseller: the membership goes, the account is deactivated (it cannot sign in
    again) and every session it has open ends, so no console page answers it any more."""
    user = User.objects.select_for_update().get(pk=membership.user_id)
    reseller = membership.reseller
    membership.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions = user_sessions_end(user)
    audit_record(
        actor=actor,
        action="reseller.staff_remove",
        target=reseller,
        data={"reseller": reseller.slug, "user_id": user.pk, "email": user.email, "sessions_ended": sessions},
    )


@transaction.atomic
def wholesale_prices_set(*, actor: Actor, reseller: Reseller, prices: dict[Plan, int | None]) -> None:
    """Set the reseller's monthly wholesale price (fen) per plan; None stops selling the plan. Tenants already
    on a plan keep it (their next statement shows the missing price)."""
    errors = [
        plan.name for plan, price in prices.items() if price is not None and (price < 0 or price > 10**9)
    ]
    if errors:
        raise ValidationError(
            _("Prices must be from 0 to 10,000,000 yuan: %(plans)s.") % {"plans": "、".join(errors)}
        )
    before = dict(WholesalePrice.objects.filter(reseller=reseller).values_list("plan__code", "monthly_price"))
    for plan, price in prices.items():
        if price is None:
            WholesalePrice.objects.filter(reseller=reseller, plan=plan).delete()
        else:
            WholesalePrice.objects.update_or_create(
                reseller=reseller, plan=plan, defaults={"monthly_price": price}
            )
    after = dict(WholesalePrice.objects.filter(reseller=reseller).values_list("plan__code", "monthly_price"))
    audit_record(
        actor=actor,
        action="reseller.wholesale_prices",
        target=reseller,
        data={"before": before, "after": after},
    )


# --- the reseller's own console -----------------------------------------------------------------------------
def _customer_account(email: str) -> User | None:
    """The control-plane account of the customer's contact (created without a password, like an applicant's);
    None when the address is not valid (the application's validation then says so)."""
    try:
        validate_email(email)
    except ValidationError:
        return None
    existing = User.objects.filter(email=email).first()
    if existing is None:
        return User.objects.create_user(email=email, password=None, role="")
    if existing.role:  # platform staff, another reseller's staff: not a customer's first administrator
        raise ValidationError(
            {
                "contact_email": [
                    _("This address belongs to a platform staff account. Give the customer's own address.")
                ]
            }
        )
    return existing


@transaction.atomic
def reseller_tenant_request(
    *, actor: Actor, reseller: Reseller, data: dict, site_url: str = "", language: str = ""
):
    """Apply for a tenant on a customer's behalf and approve it at once: the onboarding worker sets it up (the
    same progress) as this reseller's tenant, and the contact is invited as its first administrator."""
    from control_plane.onboarding.models import SignupStatus
    from control_plane.onboarding.services import signup_request_approve, signup_request_submit
    from control_plane.onboarding.validation import (
        application_validate,
        pending_request_of,
        requester_limit_error,
    )

    email = (data.get("contact_email") or "").strip().lower()
    data = {**data, "contact_email": email, "reseller": reseller}
    customer = _customer_account(email)
    if customer is None:  # every other problem of the application too, in one go
        errors = {"contact_email": [_("Enter a valid e-mail address.")]}
        try:
            application_validate(requester=None, data=data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[field] = messages if field != "contact_email" else errors[field]
        raise ValidationError(errors)
    if customer is not None and pending_request_of(customer) is not None:
        raise ValidationError(
            {
                "contact_email": [
                    _(
                        "An application for this contact is in progress already. Wait until it is decided, "
                        "or give another contact."
                    )
                ]
            }
        )
    if customer is not None and requester_limit_error(customer) is not None:
        raise ValidationError(
            {
                "contact_email": [
                    _(
                        "This contact administers as many workspaces as one account may. Give another "
                        "contact, or ask the national team."
                    )
                ]
            }
        )
    signup = signup_request_submit(
        actor=actor,
        requester=customer,
        data=data,
        site_url=site_url,
        language=language,
    )
    if signup.status == SignupStatus.SUBMITTED:  # the reseller's staff decide their own applications
        signup = signup_request_approve(actor=actor, signup_request=signup)
    audit_record(
        actor=actor,
        action="reseller.tenant_request",
        target=signup,
        data={"reseller": reseller.slug, "slug": signup.slug, "requester_id": customer.pk},
    )
    return signup


def reseller_pays_for(tenant) -> bool:
    """Whether the reseller pays for the tenant (wholesale), and so may change its plan."""
    return payer_for(tenant, subscription_for(tenant)) == Payer.RESELLER


@transaction.atomic
def reseller_subscription_start(*, actor: Actor, tenant) -> Subscription:
    """The subscription of a tenant just provisioned for a reseller (called by the onboarding worker): the
    reseller pays (wholesale) or the tenant does (direct), on a plan the reseller sells when it sells any.
    For wholesale, `subscription_set_plan` is called so that the reseller's Stripe subscription gets the
    tenant's line."""
    reseller = tenant.reseller
    subscription = Subscription.objects.select_for_update().get(pk=subscription_for(tenant).pk)
    payer = Payer.RESELLER if reseller.billing_model == BillingModel.WHOLESALE else Payer.TENANT
    subscription.payer = payer
    subscription.save(update_fields=["payer", "updated_at"])
    sold = [p.plan for p in wholesale_plans(reseller)]
    plan = subscription.plan if not sold or subscription.plan in sold else sold[0]
    audit_record(
        actor=actor,
        action="reseller.subscription_start",
        target=subscription,
        data={"tenant": tenant.slug, "reseller": reseller.slug, "payer": payer, "plan": plan.code},
    )
    if plan != subscription.plan or payer == Payer.RESELLER:
        subscription = subscription_set_plan(actor=actor, tenant=tenant, plan=plan)
    if payer == Payer.RESELLER:  # the reseller pays from the first day: no trial to end
        subscription = reseller_pays_activate(actor=actor, tenant=tenant)
    return subscription


@transaction.atomic
def reseller_tenant_plan_change(*, actor: Actor, reseller: Reseller, tenant, plan: Plan) -> Subscription:
    """Move one of the reseller's wholesale tenants (the reseller pays) to a plan the reseller has a wholesale
    price for. A tenant that pays for itself (direct billing) changes its own plan on its billing page: its card
    is charged for it, so the reseller may not."""
    if tenant.reseller_id != reseller.pk:  # views answer 404 before this; never act on another's tenant
        raise ValidationError(_("This tenant is not one of yours."), code="not_yours")
    if not reseller_pays_for(tenant):
        raise ValidationError(
            {
                "plan": [
                    _(
                        "%(name)s pays for its own subscription: its administrator changes the plan on the "
                        "workspace's billing page."
                    )
                    % {"name": tenant.name}
                ]
            },
            code="tenant_pays",
        )
    if not WholesalePrice.objects.filter(reseller=reseller, plan=plan).exists():
        raise ValidationError(
            {"plan": [_("You have no wholesale price for %(plan)s.") % {"plan": plan.name}]}
        )
    return subscription_set_plan(actor=actor, tenant=tenant, plan=plan)
