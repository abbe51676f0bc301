"""Removing personal data from a comment: the product's one scrubber for comment text.

The public portal scrubs every comment it publishes (only those the evaluator agreed to publish,
`Evaluation.comment_public`); the staff's comment pages (tenants.insight.textmining) and the exports
(tenants.insight.exports) scrub every comment they show or write, with the evaluator's own name. What is
replaced by "＊＊":
- e-mail addresses;
- every run of digits (ASCII or full-width, possibly broken by spaces, dashes or dots, possibly half-masked
  with * or x) holding 4 digits or more: phone numbers, ID numbers (including the final X), bank cards,
  licence plates' digits, masked forms such as 139****5678 or ****5678, dates (a loss we accept); a
  four-digit year followed by 年 is kept;
- runs of 7 or more Chinese numerals (一三九…), a phone number said in words;
- the value after a label that announces an identifier (工号, 身份证, 手机, 电话, 微信, QQ …);
- the tenant's staff numbers (as whole tokens) and the names of its staff and accounts;
- the evaluator's own name (and, for names of three characters or more, the given name alone).

Names are found by looking up every substring of the lengths the vocabulary holds in a set: linear in the
comment's length whatever the number of staff.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MASK = "＊＊"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9\-]+(?:[.．][A-Za-z0-9\-]+)+")
_LABELLED = re.compile(
    r"(工号|编号|身份证号码?|身份证|证件号码?|手机号码?|手机|电话号码?|电话|联系方式|微信号?|QQ号?|qq号?|邮箱)"
    r"(\s*[:：]?\s*)"
    r"([A-Za-z0-9０-９Ａ-Ｚａ-ｚ*＊_\-]{2,})"
)
_DIGIT = "0-9０-９"
_MASKED = "*＊×•●xXｘＸ"
_NUMBER_RUN = re.compile(rf"[{_DIGIT}{_MASKED}](?:[{_DIGIT}{_MASKED}]|[ \-－—.．·](?=[{_DIGIT}{_MASKED}]))*")
_DIGITS = re.compile(rf"[{_DIGIT}]")
_CHINESE_NUMERALS = re.compile(r"[零〇一二三四五六七八九幺两]{7,}")
_TOKEN = re.compile(r"[A-Za-z0-9\-_]+")
_MASKS = re.compile(r"(?:＊＊)+")
MIN_NAME_LENGTH = 2


@dataclass(frozen=True)
class Vocabulary:
    """What must not appear: names (people's, exact) and staff numbers (whole tokens, any case)."""

    names: frozenset[str] = field(default_factory=frozenset)
    codes: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, *, names: Iterable[str] = (), codes: Iterable[str] = ()) -> "Vocabulary":
        return cls(
            names=frozenset(n.strip() for n in names if len((n or "").strip()) >= MIN_NAME_LENGTH),
            codes=frozenset(c.strip().upper() for c in codes if len((c or "").strip()) >= 2),
        )

    def with_person(self, name: str) -> "Vocabulary":
        """This vocabulary plus one person's name (the evaluator's) and, for a name of 3+ characters, the
        given name without the one-character surname."""
        name = (name or "").strip()
        extra = {name} if len(name) >= MIN_NAME_LENGTH else set()
        if len(name) >= 3:
            extra.add(name[1:])
        return Vocabulary(names=self.names | extra, codes=self.codes) if extra else self


def _number(match: re.Match) -> str:
    run = match.group(0)
    digits = len(_DIGITS.findall(run))
    if digits < 4:
        return run
    end = match.end()
    if digits == 4 and len(run) == 4 and match.string[end : end + 1] == "年":
        return run  # a year
    return MASK


def _names(text: str, names: frozenset[str]) -> str:
    if not names or not text:
        return text
    lengths = sorted({len(n) for n in names}, reverse=True)
    hidden = [False] * len(text)
    for length in lengths:
        for i in range(len(text) - length + 1):
            if text[i : i + length] in names:
                for j in range(i, i + length):
                    hidden[j] = True
    if not any(hidden):
        return text
    out, i = [], 0
    while i < len(text):
        if hidden[i]:
            while i < len(text) and hidden[i]:
                i += 1
            out.append(MASK)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def scrub(text: str, vocabulary: Vocabulary = Vocabulary()) -> str:
    """The comment with personal data replaced by ＊＊ (see the module docstring)."""
    if not text:
        return ""
    text = _EMAIL.sub(MASK, text)
    text = _LABELLED.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    if vocabulary.codes:
        text = _TOKEN.sub(lambda m: MASK if m.group(0).upper() in vocabulary.codes else m.group(0), text)
    text = _NUMBER_RUN.sub(_number, text)
    text = _CHINESE_NUMERALS.sub(MASK, text)
    text = _names(text, vocabulary.names)
    return _MASKS.sub(MASK, text)
