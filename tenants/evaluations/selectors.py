"""Reads for evaluation intake: the tenant's policy and tag list, cached per schema in Redis."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from tenants.evaluations.models import EvaluationPolicy, ReasonTag


@dataclass(frozen=True)
class IntakeConfig:
    scale: str
    supplementary_days: int
    comment_max_length: int
    default_ratings: bool
    default_after_days: int
    default_level: int
    max_revisions: int
    tag_codes: frozenset[str]


def _key() -> str:
    return f"evaluations:intake-config:v2:{connection.schema_name}"


def intake_config() -> IntakeConfig:
    cached = cache.get(_key())
    if cached is None:
        policy = EvaluationPolicy.objects.first() or EvaluationPolicy()
        cached = {
            "scale": policy.scale,
            "supplementary_days": policy.supplementary_days,
            "comment_max_length": policy.comment_max_length,
            "default_ratings": policy.default_ratings,
            "default_after_days": policy.default_after_days,
            "default_level": policy.default_level,
            "max_revisions": policy.max_revisions,
            "tag_codes": sorted(ReasonTag.objects.filter(active=True).values_list("code", flat=True)),
        }
        cache.set(_key(), cached, 300)
    return IntakeConfig(**{**cached, "tag_codes": frozenset(cached["tag_codes"])})


def intake_config_forget() -> None:
    cache.delete(_key())
