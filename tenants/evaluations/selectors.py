"""Reads for evaluation intake: the tenant's policy and tag list, cached per schema in Redis."""

import time
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


LOCAL_SECONDS = 5.0  # read twice per rating; each process keeps the parsed value this long
_local: dict[str, tuple[float, IntakeConfig]] = {}


def intake_config() -> IntakeConfig:
    key = _key()
    local = _local.get(key)
    if local is not None and time.monotonic() - local[0] < LOCAL_SECONDS:
        return local[1]
    config = _intake_config_shared()
    _local[key] = (time.monotonic(), config)
    return config


def _intake_config_shared() -> IntakeConfig:
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
    _local.pop(_key(), None)
    cache.delete(_key())
