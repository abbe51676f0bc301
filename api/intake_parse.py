"""A quick reading of a well-formed rating, for batches of up to 1,000.

DRF's serializer costs ~0.2 ms per rating — more than the database's share of storing it. Almost every item a
device or back-fill sends is well-formed, so each item is first read here: only the plain shape the
serializer (api.serializers_capture.BulkEvaluationItemSerializer, the contract and the OpenAPI schema) would
accept unchanged (single ratings are read the same way). Anything else — an unexpected key or type, an over-long value, an answer, an evaluator
identity — returns None and goes through the serializer, which stays the one place that words the errors.
"""

from datetime import datetime

from django.utils import timezone

from api.serializers_capture import MAX_COMMENT_BYTES_GUARD
from tenants.evaluations.models import CHANNEL_CODES, STAGE_CODES, Stage
from tenants.evaluations.services import EvaluationInput

# field → max length, as declared on the serializer
_CODES = {"item_code": 64, "unit_code": 64, "window_code": 64, "staff_no": 32, "platform_code": 64}
_PLAIN_KEYS = frozenset(
    {
        "transaction",
        "level",
        "channel",
        "stage",
        "reason_tags",
        "comment",
        "comment_public",
        "rated_at",
        "idempotency_key",
        *_CODES,
    }
)
_SINGLE_KEYS = _PLAIN_KEYS - {"idempotency_key"}
_ANONYMOUS = {"anonymous": True}


def _clean(value: str) -> bool:
    """What DRF's CharField validators refuse: NUL characters and lone surrogates."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _text(value, max_length: int) -> bool:
    return type(value) is str and 0 < len(value) <= max_length and value == value.strip() and _clean(value)


def rating_from_json(raw, *, keyed: bool = True) -> EvaluationInput | None:
    """The rating if `raw` is plainly valid as the serializer declares it, else None (let the serializer
    judge). Domain rules (tags of the tenant, bad reviews need a tag, known codes) are the service's.
    `keyed`: an item of a batch (BulkEvaluationItemSerializer: an idempotency key is required); else a single
    rating (EvaluationCreateSerializer: it has no such field)."""
    if type(raw) is not dict or not raw.keys() <= (_PLAIN_KEYS if keyed else _SINGLE_KEYS):
        return None
    level, channel, stage = raw.get("level"), raw.get("channel"), raw.get("stage", Stage.FINISHED)
    if (
        type(level) is not int
        or not 1 <= level <= 5
        or channel not in CHANNEL_CODES
        or stage not in STAGE_CODES
    ):
        return None
    number, key = raw.get("transaction"), raw.get("idempotency_key")
    if not _text(number, 64) or (keyed and not _text(key, 100)):
        return None
    codes = {}
    for name, max_length in _CODES.items():
        value = raw.get(name, "")
        if value != "" and not _text(value, max_length):
            return None
        codes[name] = value
    tags = raw.get("reason_tags", [])
    if type(tags) is not list or len(tags) > 10 or not all(_text(t, 32) for t in tags):
        return None
    comment = raw.get("comment", "")
    if type(comment) is not str or len(comment) > MAX_COMMENT_BYTES_GUARD or comment != comment.strip():
        return None
    if comment and not _clean(comment):
        return None
    comment_public = raw.get("comment_public", False)
    if type(comment_public) is not bool:
        return None  # "true", 1 …: the serializer's to read
    rated_at = raw.get("rated_at")
    if rated_at is not None:
        if type(rated_at) is not str:
            return None
        try:
            rated_at = datetime.fromisoformat(rated_at)
        except ValueError:
            return None
        if timezone.is_naive(rated_at):
            return None  # the serializer decides what a time without zone means
    return EvaluationInput(
        transaction=number,
        level=level,
        channel=channel,
        stage=stage,
        reason_tags=tags,
        comment=comment,
        comment_public=comment_public,
        evaluator=dict(_ANONYMOUS),
        rated_at=rated_at,
        idempotency_key=key,
        **codes,
    )
