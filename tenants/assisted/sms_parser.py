"""Reading an SMS reply to a rating invitation ("回复1-5").

What is understood (after NFKC normalisation, so full-width "１", "，" and "　" count as "1", "," and " "):

- a level, as a number 1 (best) … 5 (worst): ``1``, ``１``, ``回复1``;
  or as a scale word of either wording: 很好/好/一般/差/很差, 非常满意/满意/基本满意/不满意/非常不满意;
- then, optionally, reason numbers separated by spaces or punctuation: ``2 3 5`` is level 2 with reasons
  #3 and #5, ``4，2`` is level 4 with reason #2, ``差 3`` is level 4 with reason #3. Reason numbers count
  from 1 in the order of the reason list the invitation printed (the tenant's active tags, by position);
- then, optionally, free text after a separator, kept as the comment: ``4 2 等了一个小时``, ``很好，谢谢``.

Anything else (``好的``, ``12``, ``hello``) is unreadable: the caller answers with the format. ``TD`` and
``退订`` are unsubscribe requests and get no answer.
"""

import re
import unicodedata
from dataclasses import dataclass

from tenants.evaluations.models import SCALE_WORDS

LEVEL_WORDS: dict[str, int] = {
    word: level for words in SCALE_WORDS.values() for level, word in enumerate(words, start=1)
}
# Longest first, so 很差 wins over 差 and 非常不满意 over 不满意 over 满意.
_WORDS_LONGEST_FIRST = sorted(LEVEL_WORDS, key=len, reverse=True)
_SEPARATORS = " \t\r\n,;:./|+、。；：，～~"
_SPLIT = re.compile("[" + re.escape(_SEPARATORS) + "]+")
_PREFIX = re.compile(r"^(?:回复|回覆|评价|答复)[" + re.escape(_SEPARATORS) + "]*")
_TRIM = "\"'“”‘’「」『』【】[]()（）《》<>!?！？…" + _SEPARATORS
_OPT_OUT = frozenset({"TD", "T", "N", "退订", "取消", "STOP", "UNSUBSCRIBE"})
MAX_TEXT = 1000


class SmsParseError(ValueError):
    """`reason`: "empty" | "unreadable" | "level" | "tag" (with the offending `value`)."""

    def __init__(self, reason: str, value: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class SmsReply:
    level: int
    tags: tuple[int, ...] = ()  # 1-based reason numbers, in the order given, without repeats
    comment: str = ""


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().strip(_TRIM)


def is_opt_out(text: str) -> bool:
    return normalise(text[:MAX_TEXT] if text else "").upper() in _OPT_OUT


def parse_sms_reply(text: str, *, tag_count: int) -> SmsReply:
    """Parse a reply; raises SmsParseError when it is not a rating in one of the forms above."""
    body = normalise(text[:MAX_TEXT] if text else "")
    body = _PREFIX.sub("", body).strip(_TRIM)
    if not body:
        raise SmsParseError("empty")
    number = re.match(r"\d+", body)
    if number:
        level, rest = int(number.group()), body[number.end() :]
        if not 1 <= level <= 5:
            raise SmsParseError("level", number.group())
        if rest and rest[0] not in _SEPARATORS:
            raise SmsParseError("unreadable")
    else:
        word = next((w for w in _WORDS_LONGEST_FIRST if body.startswith(w)), None)
        if word is None:
            raise SmsParseError("unreadable")
        level, rest = LEVEL_WORDS[word], body[len(word) :]
        if rest and rest[0] not in _SEPARATORS and not rest[0].isdigit():
            raise SmsParseError("unreadable")
    tags: list[int] = []
    rest = rest.lstrip(_SEPARATORS)
    while rest:
        token = _SPLIT.split(rest, maxsplit=1)[0]
        if not token.isdigit():
            break
        tag = int(token)
        if not 1 <= tag <= tag_count:
            raise SmsParseError("tag", token)
        if tag not in tags:
            tags.append(tag)
        rest = rest[len(token) :].lstrip(_SEPARATORS)
    return SmsReply(level=level, tags=tuple(tags), comment=rest.strip())
