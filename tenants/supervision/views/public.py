"""The public survey page: no sign-in, mobile-first, plain HTML forms (works without JavaScript)."""

import re
import secrets

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tenants.evaluations.models import SCALE_WORDS
from tenants.evaluations.selectors import intake_config
from tenants.supervision.models import SurveyResponse
from tenants.supervision.selectors.surveys import survey_by_slug
from tenants.supervision.services.surveys import (
    AlreadyAnswered,
    RateLimited,
    SurveyClosed,
    respondent_hash,
    survey_response_submit,
)

COOKIE = "hcp_respondent"
COOKIE_PATH = "/supervision/s/"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _token(request) -> tuple[str, bool]:
    """(this browser's respondent token, whether it is new and must be set)."""
    token = request.COOKIES.get(COOKIE, "")
    if _TOKEN.match(token):
        return token, False
    return secrets.token_urlsafe(24), True


def _finish(request, response, token: str, is_new: bool):
    if is_new:
        response.set_cookie(
            COOKIE,
            token,
            max_age=365 * 24 * 3600,
            path=COOKIE_PATH,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    response["Cache-Control"] = "private, no-store"
    return response


def _questions(survey, raw=None, errors=None):
    """Questions with what the respondent entered and the error on each, for re-display."""
    raw, errors = raw or {}, errors or {}
    words = SCALE_WORDS[intake_config().scale]
    rows = []
    for question in survey.questions.order_by("position", "id"):
        entered = raw.get(question.pk, [])
        rows.append(
            {
                "q": question,
                "name": f"q{question.pk}",
                "options": [(str(i), label, str(i) in entered) for i, label in enumerate(question.options)],
                "levels": [(str(level), words[level - 1], str(level) in entered) for level in range(1, 6)],
                "text": entered[0] if entered else "",
                "error": " ".join(errors.get(f"q{question.pk}", [])),
            }
        )
    return rows


def _form_page(request, context, raw, contact, errors: dict, status: int):
    """The form again, with what was entered and why it was not accepted."""
    return render(
        request,
        "supervision/public_survey.html",
        {
            **context,
            "questions": _questions(context["survey"], raw, errors),
            "contact": contact,
            "contact_errors": {
                k.split(".", 1)[1]: " ".join(v) for k, v in errors.items() if k.startswith("contact.")
            },
            "general_errors": [m for k, v in errors.items() if k in ("survey", "respondent") for m in v],
            "error_count": len(errors),
        },
        status=status,
    )


def survey_public(request, slug: str):
    survey = survey_by_slug(slug)
    if survey is None or survey.is_draft:
        raise Http404
    token, is_new = _token(request)
    context = {"survey": survey, "slug": slug}
    if not survey.is_open:
        return _finish(
            request, render(request, "supervision/public_closed.html", context, status=410), token, is_new
        )
    if (
        not is_new
        and SurveyResponse.objects.filter(
            survey=survey, respondent_hash=respondent_hash(survey, token)
        ).exists()
    ):
        status = 409 if request.method == "POST" else 200
        return _finish(
            request, render(request, "supervision/public_already.html", context, status=status), token, is_new
        )
    if request.method == "POST":
        raw = {q.pk: request.POST.getlist(f"q{q.pk}")[:50] for q in survey.questions.only("id")}
        contact = {
            "name": request.POST.get("contact_name", ""),
            "phone": request.POST.get("contact_phone", ""),
        }
        try:
            survey_response_submit(
                survey=survey, respondent_token="" if is_new else token, raw=raw, contact=contact
            )
        except SurveyClosed:
            page = render(request, "supervision/public_closed.html", context, status=410)
        except AlreadyAnswered:
            page = render(request, "supervision/public_already.html", context, status=409)
        except RateLimited:
            page = _form_page(
                request,
                context,
                raw,
                contact,
                {
                    "survey": [
                        _(
                            "Many people are answering right now. Please submit again in a minute; your answers are kept below."
                        )
                    ]
                },
                status=429,
            )
            page["Retry-After"] = "60"
        except ValidationError as exc:
            page = _form_page(request, context, raw, contact, exc.message_dict, status=400)
        else:
            return redirect("supervision-survey-thanks", slug=slug)
        return _finish(request, page, token, is_new)
    page = render(
        request,
        "supervision/public_survey.html",
        {**context, "questions": _questions(survey), "contact": {}, "contact_errors": {}},
    )
    return _finish(request, page, token, is_new)


def survey_thanks(request, slug: str):
    survey = survey_by_slug(slug)
    if survey is None or survey.is_draft:
        raise Http404
    return render(request, "supervision/public_thanks.html", {"survey": survey})
