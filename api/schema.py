"""OpenAPI: every operation documents its problem+json errors and the Api-Key scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="Dotted path of the offending field, or null.")
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ProblemFieldErrorSerializer(many=True, required=False)
    # type …/plan-limit (403): what the tenant's plan does not allow (billing.entitlements)
    feature = serializers.CharField(
        required=False,
        help_text="plan-limit: halls, windows, devices, staff, api, reports, portal, national_feed",
    )
    limit = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="plan-limit: the plan's limit (null for a feature it lacks)",
    )
    used = serializers.IntegerField(required=False, allow_null=True, help_text="plan-limit: in use now")
    plan = serializers.CharField(required=False, help_text="plan-limit: the plan's code")
    plan_name = serializers.CharField(required=False, help_text="plan-limit: the plan's name")
    upgrade = serializers.CharField(required=False, help_text="plan-limit: where to change the plan")


_PROBLEM = OpenApiResponse(
    response=ProblemSerializer, description="Problem details (application/problem+json)"
)
_ERRORS_ALWAYS = {"401": _PROBLEM, "403": _PROBLEM, "429": _PROBLEM}
_ERRORS_WRITE = {"400": _PROBLEM, "409": _PROBLEM}


class ProblemAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        extra = dict(_ERRORS_ALWAYS)
        if self.method in ("POST", "PUT", "PATCH"):
            extra.update(_ERRORS_WRITE)
        elif any(p.location == "query" for p in self.get_override_parameters() if hasattr(p, "location")):
            extra["400"] = _PROBLEM  # query parameters are validated
        if "{" in self.path:  # a path parameter names an object that may not exist
            extra["404"] = _PROBLEM
        for code, problem in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(problem, code)
                # the wire type is problem+json, not plain JSON
                content = responses[code].get("content", {})
                if "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
        return responses

    def get_override_parameters(self):
        params = super().get_override_parameters()
        if self.method == "POST":
            from drf_spectacular.utils import OpenApiParameter

            params.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Retry-safe key: the same key and body replay the first response; "
                    "another body with the same key gets 409.",
                )
            )
        return params


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Authorization: Api-Key <key>`; the key belongs to one tenant (or the control plane).",
        }
