"""The quick reading of bulk ratings accepts only what the serializer accepts unchanged, and reads it the same."""

import random
from dataclasses import asdict

import pytest
from rest_framework.exceptions import ValidationError

from api.intake_parse import rating_from_json
from api.serializers_capture import BulkEvaluationItemSerializer
from tenants.evaluations.services import EvaluationInput

BASE = {
    "transaction": "T-1",
    "level": 1,
    "channel": "device",
    "idempotency_key": "k-1",
    "item_code": "ITEM-001",
}

VARIANTS = [
    {},
    {"level": 5, "reason_tags": ["attitude", "long_wait"], "comment": "窗口等了很久"},
    {"stage": "accepted"},
    {"rated_at": "2026-11-25T09:30:00+08:00"},
    {"rated_at": "2026-11-25T01:30:00Z"},
    {"unit_code": "H01", "window_code": "W01", "staff_no": "S001", "platform_code": ""},
    {"comment": "窗口等了很久", "comment_public": True},
    {"comment_public": False},
    # everything below is the serializer's to judge (fix, refuse or word the error)
    {"rated_at": "2026-11-25T09:30:00"},
    {"rated_at": "yesterday"},
    {"level": True},
    {"level": "1"},
    {"level": 0},
    {"level": 6},
    {"channel": "fax"},
    {"transaction": ""},
    {"transaction": " T-1 "},
    {"transaction": 12345},
    {"transaction": "T" * 65},
    {"transaction": "T-\x00"},
    {"transaction": "T-\ud800"},
    {"idempotency_key": None},
    {"reason_tags": "attitude"},
    {"reason_tags": ["a"] * 11},
    {"reason_tags": ["x" * 33]},
    {"comment": "  padded  "},
    {"comment": "c" * 5001},
    {"comment": "bad\x00"},
    {"answers": {"q1": 5}},
    {"evaluator": {"name": "张三", "phone": "13800000000"}},
    {"questionnaire_version": 2},
    {"unexpected": 1},
    {"staff_no": "S" * 33},
    {"comment_public": "true"},
    {"comment_public": 1},
    {"comment_public": None},
]
PLAIN_VARIANTS = 8  # the first ones are read quickly; the rest are left to the serializer


def _serializer_reading(raw) -> EvaluationInput | None:
    try:
        return EvaluationInput(**BulkEvaluationItemSerializer().run_validation(raw))
    except ValidationError:
        return None


@pytest.mark.parametrize("variant", VARIANTS, ids=[repr(v)[:40] for v in VARIANTS])
def test_quick_reading_agrees_with_the_serializer(variant):
    raw = {**BASE, **variant}
    quick = rating_from_json(raw)
    if quick is not None:
        assert asdict(quick) == asdict(_serializer_reading(raw))


def test_plain_ratings_are_read_quickly():
    assert rating_from_json(BASE) is not None
    assert rating_from_json({**BASE, **VARIANTS[1]}).reason_tags == ["attitude", "long_wait"]
    assert (
        rating_from_json({**BASE, "rated_at": "2026-11-25T01:30:00Z"}).rated_at.utcoffset().total_seconds()
        == 0
    )
    # what the serializer would change or refuse is left to it
    assert rating_from_json({**BASE, **VARIANTS[6]}).comment_public is True
    assert rating_from_json(BASE).comment_public is False
    for variant in VARIANTS[PLAIN_VARIANTS:]:
        assert rating_from_json({**BASE, **variant}) is None, variant


def test_random_shapes_never_disagree():
    rng = random.Random(20261126)
    pool = {
        "transaction": ["T-9", "", " x", 7, None, "长" * 64, "长" * 65],
        "level": [1, 3, 5, 0, 6, "2", 2.0, None, False],
        "channel": ["qr", "web", "sms", "DEVICE", ""],
        "stage": ["finished", "accepted", "nope"],
        "reason_tags": [[], ["attitude"], [""], [1], None],
        "comment": ["", "好", " 好", "x" * 5000, None],
        "comment_public": [True, False, "true", "false", 1, 0, None, "yes"],
        "rated_at": [None, "2026-01-01T00:00:00+08:00", "2026-01-01", "2026-13-01T00:00:00Z"],
        "idempotency_key": ["k", "", "k" * 100, "k" * 101],
        "item_code": ["", "ITEM-001", " ITEM"],
    }
    for _ in range(2000):
        raw = {k: rng.choice(v) for k, v in pool.items() if rng.random() < 0.8}
        quick = rating_from_json(raw)
        if quick is not None:
            assert asdict(quick) == asdict(_serializer_reading(raw)), raw


@pytest.mark.parametrize("variant", VARIANTS, ids=[repr(v)[:40] for v in VARIANTS])
def test_single_ratings_are_read_as_the_single_serializer_reads_them(variant):
    from api.serializers_capture import EvaluationCreateSerializer

    raw = {k: v for k, v in {**BASE, **variant}.items() if k != "idempotency_key"}
    quick = rating_from_json(raw, keyed=False)
    if quick is not None:
        try:
            expected = EvaluationInput(**EvaluationCreateSerializer().run_validation(raw))
        except ValidationError:
            expected = None
        assert expected is not None and asdict(quick) == asdict(expected)
    # a key is no field of a single rating: the serializer has the last word on it
    assert rating_from_json({**raw, "idempotency_key": "k"}, keyed=False) is None
